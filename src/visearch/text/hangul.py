"""Hangul as Koreans type it: syllables and their jamo, 초성 (initial-consonant) strings, near misses, and the
Revised Romanisation of Korean. Pure functions over strings, shared by indexing and queries.

A syllable (가–힣) is one initial consonant, one vowel and an optional final consonant, computed from its
code point. Lone jamo come in two encodings, compatibility (ㄱ, what keyboards type) and conjoining
(ᄀ, what NFKC and NFD produce); both are folded to compatibility jamo.
"""
from __future__ import annotations

SYLLABLE_FIRST, SYLLABLE_LAST = 0xAC00, 0xD7A3
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ",
          "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")

# Conjoining jamo (U+1100 block) → compatibility jamo (U+3130 block).
_CONJOINING = {0x1100 + i: c for i, c in enumerate(INITIALS)} | {0x1161 + i: c for i, c in enumerate(VOWELS)} | \
              {0x11A8 + i: c for i, c in enumerate(FINALS[1:])}
COMPATIBLE_JAMO = str.maketrans(_CONJOINING)

MIN_INITIALS, MAX_INITIALS = 2, 12  # a 초성 query: 서울우유 is ㅅㅇㅇㅇ


def is_syllable(ch: str) -> bool:
    return len(ch) == 1 and SYLLABLE_FIRST <= ord(ch) <= SYLLABLE_LAST


def has_hangul(text: str) -> bool:
    return any(is_syllable(ch) for ch in text)


def split_syllable(ch: str) -> tuple[int, int, int]:
    """(initial, vowel, final) indices of a syllable; final 0 is none."""
    index = ord(ch) - SYLLABLE_FIRST
    return index // 588, (index % 588) // 28, index % 28


def initials(text: str) -> str:
    """Each syllable's initial consonant (서울우유1L → ㅅㅇㅇㅇ1L); other characters stay as they are."""
    return "".join(INITIALS[split_syllable(ch)[0]] if is_syllable(ch) else ch for ch in text)


def jamo(text: str) -> str:
    """Syllables spelled out in compatibility jamo (우유 → ㅇㅜㅇㅠ), so one wrong jamo leaves its neighbours'
    trigrams intact; other characters stay as they are."""
    out = []
    for ch in text:
        if is_syllable(ch):
            first, vowel, final = split_syllable(ch)
            out.append(INITIALS[first] + VOWELS[vowel] + FINALS[final])
        else:
            out.append(ch)
    return "".join(out)


def fold_jamo(text: str) -> str:
    """Lone conjoining jamo (from NFKC or NFD text) as the compatibility jamo a keyboard types."""
    return text.translate(COMPATIBLE_JAMO)


def is_initials_query(text: str) -> bool:
    """Whether a (compact) query is a plausible 초성 search: 2-12 initial consonants, not one repeated
    (ㅋㅋㅋ is laughter, not a product). Anything else is searched as plain text."""
    letters = fold_jamo(text).replace(" ", "")
    if not MIN_INITIALS <= len(letters) <= MAX_INITIALS or any(ch not in INITIALS for ch in letters):
        return False
    return len(set(letters)) > 1 or len(letters) == 2


def initials_word(letters: str, texts) -> str:
    """The first word in `texts` whose syllables' initial consonants hold `letters` (서울우유 for ㅅㅇㅇㅇ), or ""."""
    for text in texts:
        for word in text.split():
            if letters in initials(word):
                return word
    return ""


def one_jamo_apart(a: str, b: str) -> bool:
    """Two syllables that differ in exactly one of initial, vowel and final (서 / 사, 유 / 요, 울 / 우)."""
    if not (is_syllable(a) and is_syllable(b)) or a == b:
        return False
    return sum(x != y for x, y in zip(split_syllable(a), split_syllable(b))) == 1


def slips_allowed(term: str) -> int:
    """How many OCR slips a term is matched past: one in a word of two or three syllables, two from four on
    (꿀꽈배기 read 꼴과배기), none in one syllable (it would match half the library)."""
    syllables = sum(map(is_syllable, term))
    return 0 if syllables < 2 else 1 if syllables < 4 else 2


def near_miss(term: str, text: str) -> bool:
    """Whether `text` holds `term` with a few syllables (`slips_allowed`) each off by one jamo, and the rest
    exact: an OCR slip (서울우요 for 서울우유). Exact text is not a near miss: it ranks above."""
    length, allowed = len(term), slips_allowed(term)
    if not allowed:
        return False
    for start in range(len(text) - length + 1):
        window = text[start:start + length]
        differ = [i for i in range(length) if window[i] != term[i]]
        if 0 < len(differ) <= allowed and all(one_jamo_apart(window[i], term[i]) for i in differ):
            return True
    return False


def slip_terms(terms) -> list[str]:
    """The query terms a one-jamo slip is looked for in: two Hangul syllables or more."""
    return [t for t in dict.fromkeys(terms) if sum(map(is_syllable, t)) >= 2]


def jamo_pieces(terms) -> list[str]:
    """The jamo trigrams of the terms: an item with a slip still shares most of them."""
    return sorted({jamo(t)[i:i + 3] for t in terms for i in range(len(jamo(t)) - 2)})


# -- the Revised Romanisation of Korean (2000), the form road signs and passports use

_RR = dict(zip(INITIALS, ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
                          "h")))
_RR_VOWELS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
              "yu", "eu", "ui", "i")
# A final consonant's sound before a pause or a consonant: seven representatives.
_SOUND = {"": "", "ㄱ": "k", "ㄲ": "k", "ㅋ": "k", "ㄴ": "n", "ㄷ": "t", "ㅅ": "t", "ㅆ": "t", "ㅈ": "t", "ㅊ": "t",
          "ㅌ": "t", "ㅎ": "t", "ㄹ": "l", "ㅁ": "m", "ㅂ": "p", "ㅍ": "p", "ㅇ": "ng"}
# A cluster is said as one of its consonants, and moves its second over a following vowel (닭이 dalgi).
_CLUSTERS = {"ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ",
             "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ"}
_SAID = {"ㄳ": "k", "ㄵ": "n", "ㄶ": "n", "ㄺ": "k", "ㄻ": "m", "ㄼ": "l", "ㄽ": "l", "ㄾ": "l", "ㄿ": "p",
         "ㅀ": "l", "ㅄ": "p"}
# Nasal assimilation: a stop said before ㄴ or ㅁ (or ㄹ, which then turns ㄴ) becomes the matching nasal.
_NASAL = {"k": "ng", "t": "n", "p": "m"}


def _sound(final: str) -> str:
    return _SAID.get(final) or _SOUND[final]


_ASPIRATED = {"ㄱ": "k", "ㄷ": "t", "ㅈ": "ch"}
_PALATAL = {"ㄷ": "j", "ㅌ": "ch"}
# ㅎ after ㄱ, ㄷ, ㅂ is written aspirated in verbs (잡혀 japyeo) but not in nouns (묵호 Mukho, 집현전
# Jiphyeonjeon); the syllables that make verbs passive or causative stand for the verbs.
_VERBAL_H = set("히혀혔해했")


def _boundary(final: str, initial: str, following: str = "") -> tuple[str, str]:
    """How a final consonant and the next syllable's initial are written, with the sound changes RR transcribes:
    linking (한국어 hangugeo), nasalisation (국민 gungmin, 독립 dongnip), liquids (신라 silla, 종로 jongno),
    palatalisation (같이 gachi, 해돋이 haedoji), aspiration (좋고 joko, 많다 manta, 잡혀 japyeo); `following` is
    the next syllable."""
    if not final:
        return "", _RR[initial]
    if initial == "ㅇ":  # a silent initial: the final links over
        vowel = VOWELS[split_syllable(following)[1]] if following else ""
        if final in _PALATAL and vowel == "ㅣ":
            return "", _PALATAL[final]
        if final == "ㅇ":
            return "ng", ""
        if final == "ㅎ":
            return "", ""
        if final in _CLUSTERS:
            kept, moved = _CLUSTERS[final]
            if moved == "ㅎ":  # 앓아 ara: ㅎ falls silent and ㄹ links over
                return "", _RR[kept] if kept != "ㄹ" else "r"
            return _sound(kept), _RR[moved]
        return "", "r" if final == "ㄹ" else _RR.get(final, "")
    if final in ("ㅎ", "ㄶ", "ㅀ") and initial in _ASPIRATED:  # 좋고 joko, 많다 manta, 끓고 kkeulko
        return ("" if final == "ㅎ" else _sound(_CLUSTERS[final][0])), _ASPIRATED[initial]
    if initial == "ㅎ" and following in _VERBAL_H and _sound(final) in ("k", "t", "p"):
        if final in _PALATAL and following[0] in "히":  # 굳히다 guchida
            return "", "ch"
        return "", {"k": "k", "t": "t", "p": "p"}[_sound(final)]
    sound = _sound(final)
    if initial == "ㄹ":
        if final == "ㄴ" and following == "로":  # a road's name: 신문로 Sinmunno (but 신라 Silla)
            return "n", "n"
        if final in ("ㄴ", "ㄹ") or sound == "l":
            return "l", "l"
        return _NASAL.get(sound, sound), "n"
    if initial == "ㄴ" and sound == "l":
        return "l", "l"
    if initial in ("ㄴ", "ㅁ"):
        return _NASAL.get(sound, sound), _RR[initial]
    return sound, _RR[initial]


def romanize(text: str, *, name: bool = False) -> str:
    """Hangul in the Revised Romanisation; other characters kept. With `name`, syllables are romanised one by
    one, as the rules ask for personal names (김민지 → gimminji); else a word's syllables link with the sound
    changes RR writes (한국어 → hangugeo, 신라 → silla, 종로 → jongno)."""
    out: list[str] = []
    carried = None  # the initial as the previous syllable's final left it
    for index, ch in enumerate(text):
        if not is_syllable(ch):
            out.append(ch)
            carried = None
            continue
        first, vowel, final = split_syllable(ch)
        head = _RR[INITIALS[first]] if carried is None else carried
        after = text[index + 1] if index + 1 < len(text) else ""
        if name or not is_syllable(after):
            tail, carried = _sound(FINALS[final]), None
        else:
            tail, carried = _boundary(FINALS[final], INITIALS[split_syllable(after)[0]], after)
        out.append(head + _RR_VOWELS[vowel] + tail)
    return "".join(out)


def name_key(text: str) -> str:
    """A spelling-tolerant key for names typed in either script: Hangul romanised syllable by syllable, then
    letters only, lower case, with the RR / McCune-Reischauer / English spelling pairs folded (k/g, t/d, p/b,
    ch/j, r/l, oo/u, ee/i, eo/u) and doubled letters single. 김민지, Gim Minji and Kim Min-ji share one key."""
    latin = "".join(ch for ch in romanize(text, name=True).casefold() if ch.isalpha())
    for spelled, key in (("ch", "j"), ("eo", "u"), ("oo", "u"), ("ee", "i"), ("k", "g"), ("t", "d"), ("p", "b"),
                         ("l", "r")):
        latin = latin.replace(spelled, key)
    folded = []
    for ch in latin:
        if not folded or folded[-1] != ch:
            folded.append(ch)
    return "".join(folded)
