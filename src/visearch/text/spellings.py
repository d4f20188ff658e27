"""Korean names as people spell them in Latin letters: Park Ji-sung, Lee Min-ho, Choi, Ahn, Suh, Paik, Roh.

A name is spelled in Latin letters syllable by syllable, and every syllable has the spellings people use
beside the Revised Romanisation: the passport and newspaper spellings of surnames (SURNAMES), and the
common alternatives of the rest (eo → u, eu → u, oo → u, ee → i, a trailing h, k/g, t/d, p/b, ch/j, r/l).
`spells(latin, hangul)` asks whether a typed spelling writes the name, in Korean order (surname first) or
Western order, with any hyphens, spaces, case and accents. Pure.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from visearch.text.hangul import FINALS, INITIALS, VOWELS, is_syllable, split_syllable
from visearch.text.normalise import edit_distance

# Common Latin spellings of Korean surnames: the Revised Romanisation, McCune-Reischauer, and the spellings
# most used on passports and in newspapers. Sources: the romanisation table of Wikipedia's "List of Korean
# surnames" (RR, MR and "common spellings" columns, read 2026) and the Korean passport-spelling statistics it
# cites (National Institute of Korean Language, 2009). Two-syllable surnames are listed whole.
SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("kim", "gim", "ghim"), "이": ("lee", "yi", "rhee", "i", "ri", "li", "rii", "ree", "e"),
    "박": ("park", "pak", "bak", "bahk", "baak"), "최": ("choi", "choe", "chey", "choy", "chae"),
    "정": ("jung", "jeong", "chung", "joung", "cheong", "jong", "chong"), "강": ("kang", "gang", "kahng"),
    "조": ("cho", "jo", "joe", "joh", "chough"), "윤": ("yoon", "yun", "youn"), "장": ("jang", "chang", "zang"),
    "임": ("lim", "im", "rim", "yim", "leem"), "한": ("han", "hahn"), "오": ("oh", "o"),
    "서": ("seo", "suh", "so", "seu"), "신": ("shin", "sin", "shinn", "sheen"), "권": ("kwon", "gwon", "kweon"),
    "황": ("hwang", "whang"), "안": ("ahn", "an", "ann"), "송": ("song", "soung"), "류": ("ryu", "yoo", "yu", "ryoo", "rhyu", "lyu"),
    "유": ("yoo", "yu", "you", "ryu"), "전": ("jeon", "jun", "chun", "chon", "jon", "cheon"), "홍": ("hong",),
    "고": ("ko", "go", "koh", "goh"), "문": ("moon", "mun", "moun"), "양": ("yang", "ryang"), "손": ("son", "sohn"),
    "배": ("bae", "pae", "bai", "bea"), "백": ("baek", "paik", "paek", "baik", "back", "beak"),
    "허": ("heo", "huh", "hur", "her"), "노": ("noh", "roh", "no", "ro", "rho"), "남": ("nam",),
    "심": ("shim", "sim", "seem"), "하": ("ha", "hah"), "곽": ("kwak", "gwak", "kwack"), "성": ("sung", "seong", "song"),
    "차": ("cha",), "주": ("joo", "ju", "chu", "choo"), "우": ("woo", "u", "wu", "oo"), "구": ("koo", "ku", "gu", "goo"),
    "민": ("min",), "진": ("jin", "chin"), "나": ("na", "ra"), "지": ("ji", "chi", "jee"), "엄": ("eom", "um", "uhm", "eum"),
    "채": ("chae", "chai", "chea"), "원": ("won", "weon"), "천": ("cheon", "chun", "chon"), "방": ("bang", "pang"),
    "공": ("kong", "gong"), "현": ("hyun", "hyeon", "hyon"), "함": ("ham", "hahm"), "변": ("byun", "byeon", "pyun", "byon"),
    "염": ("yeom", "yum", "youm", "yeum"), "여": ("yeo", "yuh", "yoh", "yo"), "추": ("choo", "chu"), "도": ("do", "doh", "toh"),
    "소": ("so", "soh"), "석": ("seok", "suk", "sok"), "선": ("sun", "seon", "son"), "설": ("seol", "sul", "sol"),
    "마": ("ma",), "길": ("gil", "kil"), "연": ("yeon", "yun", "youn"), "위": ("wi", "wee"), "표": ("pyo", "pyoh"),
    "명": ("myung", "myeong"), "기": ("ki", "gi", "kee"), "반": ("ban", "pan"), "왕": ("wang",), "금": ("keum", "geum", "kum"),
    "옥": ("ok", "ock"), "육": ("yuk", "yook"), "인": ("in",), "맹": ("maeng",), "제": ("je", "jae"), "모": ("mo",),
    "탁": ("tak", "tahk"), "국": ("kook", "guk", "kuk"), "어": ("eo", "uh", "auh"), "은": ("eun",),
    "편": ("pyeon", "pyun"), "용": ("yong",), "예": ("ye", "yeh"), "경": ("kyung", "gyeong", "kyeong"),
    "봉": ("bong", "pong"), "사": ("sa",), "부": ("boo", "bu"), "황보": ("hwangbo",), "남궁": ("namgoong", "namgung"),
    "제갈": ("jegal", "chegal"), "선우": ("sunwoo", "seonu", "sunwu"), "독고": ("dokgo", "tokko"),
}

# The Revised Romanisation of the two-syllable surnames, written whole (the rest: syllable by syllable).
RR_SURNAMES = {"황보": "hwangbo", "남궁": "namgung", "제갈": "jegal", "선우": "seonu", "독고": "dokgo"}

_INITIAL = dict(zip(INITIALS, (("g", "k"), ("kk", "gg", "k"), ("n",), ("d", "t"), ("tt", "dd"), ("r", "l"), ("m",),
                               ("b", "p"), ("pp", "bb"), ("s", "sh"), ("ss", "s"), ("",), ("j", "ch", "z"),
                               ("jj", "tch", "j"), ("ch", "j"), ("k",), ("t",), ("p",), ("h",))))
_VOWEL = dict(zip(VOWELS, (("a", "ah"), ("ae", "e", "ai"), ("ya",), ("yae",), ("eo", "u", "o", "uh"), ("e", "ae"),
                           ("yeo", "yo", "yu", "you", "yuh", "ou"), ("ye",), ("o", "oh"), ("wa",), ("wae",), ("oe", "oi", "we"),
                           ("yo",), ("u", "oo", "woo"), ("wo", "weo", "uo"), ("we",), ("wi", "wee"), ("yu", "yoo", "you"),
                           ("eu", "u"), ("ui", "eui", "ee", "i"), ("i", "ee", "y"))))
_FINAL = {"": ("", "h"), "ㄱ": ("k", "g"), "ㄴ": ("n",), "ㄷ": ("t", "d"), "ㄹ": ("l", "r"), "ㅁ": ("m",),
          "ㅂ": ("p", "b"), "ㅅ": ("t", "s"), "ㅇ": ("ng",), "ㅈ": ("t",), "ㅊ": ("t",), "ㅋ": ("k",), "ㅌ": ("t",),
          "ㅍ": ("p",), "ㅎ": ("t",), "ㄲ": ("k",), "ㅆ": ("t",)}


def latin_letters(text: str) -> str:
    """Lower-case Latin letters only: accents folded (Rosé → rose), hyphens, spaces and dots dropped. Pure."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if "a" <= ch <= "z")


@lru_cache(maxsize=4096)
def syllable_spellings(syllable: str) -> frozenset[str]:
    """The Latin spellings people use for one Hangul syllable (young for 영, hee for 희, woo for 우). Pure."""
    first, vowel, final = split_syllable(syllable)
    initial = INITIALS[first]
    vowels = _VOWEL[VOWELS[vowel]]
    if initial == "ㅇ" and VOWELS[vowel] == "ㅣ":
        vowels += ("yi",)
    finals = _FINAL.get(FINALS[final], ("",))  # a cluster in a name is rare: its letters are not guessed
    found = {i + v + f for i in _INITIAL[initial] for v in vowels for f in finals}
    if initial == "ㅎ" and VOWELS[vowel] in "ㅘㅙㅚㅝㅞㅟ":
        found |= {"wh" + spelled[2:] for spelled in found if spelled.startswith("hw")}  # Kyung-wha
    found |= {spelled + "e" for spelled in found if spelled.endswith("n")}  # Nam-june
    return frozenset(found)


TWO_SYLLABLE = ("황보", "남궁", "제갈", "선우", "독고")


def split_surname(name: str) -> tuple[str, str]:
    """A Hangul full name → (surname, given name): a two-syllable surname where the name starts with one and
    has three syllables or more, else the first syllable; a one-syllable name is all given name. Pure."""
    name = "".join(ch for ch in name if is_syllable(ch))
    if len(name) >= 3 and name[:2] in TWO_SYLLABLE:
        return name[:2], name[2:]
    return (name[:1], name[1:]) if len(name) >= 2 else ("", name)


def _parts(hangul: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """The name's pieces, each a set of whole-piece spellings: the surname, then each given syllable."""
    surname, given = split_surname(hangul)
    pieces = []
    if surname:
        spelled = set(SURNAMES.get(surname, ()))
        if len(surname) == 1:
            spelled |= syllable_spellings(surname)
        pieces.append(frozenset(spelled))
    return tuple(pieces), tuple(syllable_spellings(ch) for ch in given)


def _writes(latin: str, pieces: tuple[frozenset[str], ...]) -> bool:
    """Whether `latin` is one spelling of each piece, in order. Pure."""
    @lru_cache(maxsize=None)
    def rest(position: int, index: int) -> bool:
        if index == len(pieces):
            return position == len(latin)
        return any(latin.startswith(option, position) and rest(position + len(option), index + 1)
                   for option in pieces[index])

    return rest(0, 0)


def spells(typed: str, hangul: str) -> int:
    """How a typed Latin spelling writes a Hangul name: 2 the full name (either order), 1 the given name alone
    (Jisoo for 김지수), 0 not at all. Pure."""
    latin = latin_letters(typed)
    if not latin or not any(is_syllable(ch) for ch in hangul):
        return 0
    surname, given = _parts(hangul)
    if surname and (_writes(latin, surname + given) or _writes(latin, given + surname)):
        return 2
    if given and _writes(latin, given) and (len(given) > 1 or len(latin) >= 3):
        return 1
    return 0


def sound_key(text: str) -> str:
    """A key for how a name sounds, whichever script it is written in: Hangul romanised as a word, then the
    letters Korean renders alike folded (g/j before e and i, f/p, v/b, th/t, c/k, r/l, a final -er and -eo),
    doubled letters single, unstressed final vowels kept. 안젤리나 and Angelina, 제니퍼 and Jennifer share one. Pure."""
    from visearch.text.hangul import romanize

    latin = latin_letters(romanize(text) if any(is_syllable(ch) for ch in text) else text)
    for before in ("e", "i", "y"):
        latin = latin.replace("g" + before, "j" + before)
    for spelled, said in (("ph", "p"), ("th", "t"), ("ck", "k"), ("sh", "s"), ("ch", "j"), ("f", "p"), ("v", "b"),
                          ("c", "k"), ("q", "k"), ("x", "ks"), ("z", "j"), ("w", "u"), ("y", "i"), ("r", "l"),
                          ("eu", "u"), ("eo", "e"), ("ae", "e")):
        latin = latin.replace(spelled, said)
    if latin.endswith("el") and len(latin) > 3:  # -er said as 어 (Jennifer 제니퍼)
        latin = latin[:-1]
    return "".join(ch for i, ch in enumerate(latin) if i == 0 or ch != latin[i - 1])


def sounds_apart(a: str, b: str) -> int:
    """Edits between two sound keys: 0 the same name, 1 or 2 a likely slip. Pure."""
    return edit_distance(a, b)
