"""Hangul the way Koreans type it: pure functions, each on its own."""
import unicodedata

import pytest

from visearch.text.hangul import (fold_jamo, initials, is_initials_query, jamo, name_key, near_miss, one_jamo_apart,
                            romanize)
from visearch.text.normalise import compact, query_terms

# Place names from the RR rules' own examples, and words that exercise each sound change.
RR_WORDS = [("서울", "seoul"), ("부산", "busan"), ("한국어", "hangugeo"), ("신라", "silla"), ("종로", "jongno"),
            ("국민", "gungmin"), ("독립문", "dongnimmun"), ("대관령", "daegwallyeong"), ("설날", "seollal"),
            ("백마", "baengma"), ("좋고", "joko"), ("닭이", "dalgi"), ("입니다", "imnida"), ("삼다수", "samdasu")]
# Real names as RR writes them syllable by syllable, and spellings people actually type for them.
NAMES = [("카리나", "karina", ["Karina", "KARINA"]), ("김민지", "gimminji", ["Kim Minji", "Kim Min-ji", "gim minji"]),
         ("지수", "jisu", ["Jisoo", "JISU"]), ("손흥민", "sonheungmin", ["Son Heung-min"]),
         ("박지성", "bakjiseong", ["Bak Ji-seong"]), ("이지은", "ijieun", ["I Ji-eun"]),
         ("정국", "jeongguk", ["Jeongguk", "Jungkook"])]


@pytest.mark.parametrize("hangul, latin", RR_WORDS)
def test_revised_romanisation_of_words(hangul, latin):
    assert romanize(hangul) == latin


@pytest.mark.parametrize("hangul, latin, typed", NAMES)
def test_names_romanise_syllable_by_syllable_and_match_common_spellings(hangul, latin, typed):
    assert romanize(hangul, name=True) == latin
    for spelling in typed:
        assert name_key(spelling) == name_key(hangul), spelling


def test_different_names_keep_different_keys():
    keys = {name_key(hangul) for hangul, _, _ in NAMES}
    assert len(keys) == len(NAMES)
    assert name_key("윈터") != name_key("Winter")  # a stage name is an alias, not a romanisation


def test_initials_and_jamo():
    assert initials("서울우유 1L") == "ㅅㅇㅇㅇ 1L"
    assert jamo("우유") == "ㅇㅜㅇㅠ" and jamo("닭") == "ㄷㅏㄺ" and jamo("A7") == "A7"


@pytest.mark.parametrize("query, plausible", [("ㅅㅇㅇㅇ", True), ("ㄹㅁ", True), ("ㅅ ㅇ ㅇ ㅇ", True),
                                              ("ᄉᄋᄋᄋ", True), ("ㅋㅋㅋ", False), ("ㄱ", False), ("ㄳㅇ", False),
                                              ("ㅅㅇ우유", False), ("ABC", False), ("ㅏㅓ", False)])
def test_which_consonant_queries_are_initials(query, plausible):
    assert is_initials_query(query) is plausible


def test_near_misses_allow_a_jamo_slip_per_syllable_in_a_few_syllables():
    assert one_jamo_apart("유", "요") and one_jamo_apart("울", "우") and one_jamo_apart("서", "사")
    assert not one_jamo_apart("유", "유") and not one_jamo_apart("유", "다") and not one_jamo_apart("a", "b")
    assert near_miss("서울우유", "오늘의서울우요") and near_miss("우유", "딸기우요")
    assert not near_miss("서울우유", "서울우유")  # exact is not a near miss: it ranks above
    assert near_miss("꿀꽈배기", "꼴과배기")  # four syllables: two slips allowed
    assert near_miss("서울우유", "서을우요") and not near_miss("서울우유", "사을우요")  # two slips in four, not three
    assert not near_miss("우유", "오요")  # two syllables: one slip only
    assert not near_miss("서울우유", "서울우")  # shorter text
    assert not near_miss("바나나우유", "딸기맛우유")  # another word, however many jamo it shares
    assert not near_miss("유", "요") and not near_miss("ab", "ac")  # one syllable, or no Hangul: too loose


@pytest.mark.parametrize("typed", ["서울우유", unicodedata.normalize("NFD", "서울우유"), "서울 우유", "서울우유 "])
def test_nfd_spaced_and_composed_text_compact_alike(typed):
    assert compact(typed) == "서울우유"


def test_compatibility_conjoining_and_halfwidth_jamo_fold_to_one():
    assert fold_jamo("ᄀᄂ") == "ㄱㄴ"
    assert compact("ㄱ") == compact("ᄀ") == compact("ﾡ") == "ㄱ"
    assert compact("ＡＸ－２０４０") == "ax-2040"  # full-width Latin and digits


def test_mixed_script_queries_split_at_spaces_and_keep_the_whole():
    assert query_terms("신라면 컵") == ["신라면", "컵"]
    assert query_terms("삼다수 2L") == ["삼다수", "2l"]
