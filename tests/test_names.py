"""Korean names as people spell them: real people's English spellings, surname spellings, given names alone,
accents, loanword names by their sound, and the Revised Romanisation's own examples."""
from __future__ import annotations

from pathlib import Path

import pytest

from visearch.text.hangul import romanize
from visearch.text.names import GIVEN, NAME, SPELLED, best_match, display_name, match_strength, suggestions
from visearch.text.spellings import SURNAMES, sound_key, spells

TABLE = Path(__file__).parent / "data" / "korean_names.tsv"


def real_people() -> list[tuple[str, str]]:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line.strip() and not line.startswith("#")]


def test_real_peoples_english_spellings_find_them_both_ways():
    """≥ 0.95 of 2 × 50: the spelling finds the person stored in Hangul, and Hangul finds the one stored in
    English. (Ki Sung-yueng and Lee Seung-yuop keep spellings no rule predicts.)"""
    people = real_people()
    stored_hangul = [(n, hangul, []) for n, (hangul, _) in enumerate(people, 1)]
    stored_latin = [(n, latin, []) for n, (_, latin) in enumerate(people, 1)]
    found = sum(best_match(latin, stored_hangul) == n for n, (_, latin) in enumerate(people, 1)) + \
        sum(best_match(hangul, stored_latin) == n for n, (hangul, _) in enumerate(people, 1))
    assert found / (2 * len(people)) >= 0.95, found


@pytest.mark.parametrize("surname, spelled", [("이", "Lee"), ("이", "Yi"), ("이", "Rhee"), ("박", "Park"), ("박", "Pak"),
                                               ("최", "Choi"), ("최", "Choe"), ("안", "Ahn"), ("신", "Shin"),
                                               ("임", "Lim"), ("오", "Oh"), ("우", "Woo"), ("서", "Suh"), ("고", "Koh"),
                                               ("손", "Sohn"), ("백", "Paik"), ("허", "Huh"), ("노", "Noh"),
                                               ("노", "Roh"), ("정", "Chung"), ("정", "Jeong"), ("김", "Gim")])
def test_the_common_surname_spellings(surname, spelled):
    assert spells(f"{spelled} Min-ho", surname + "민호") == 2
    assert spells(f"Minho {spelled}", surname + "민호") == 2  # the Western order


@pytest.mark.parametrize("typed, name", [("Park Ji-sung", "박지성"), ("PARK JISUNG", "박지성"), ("park  ji sung", "박지성"),
                                         ("Bak Ji-seong", "박지성"), ("Jang Won-young", "장원영"), ("Kim Tae-hee", "김태희"),
                                         ("Hwang In-woo", "황인우"), ("Lee Ji-wook", "이지욱")])
def test_spellings_with_hyphens_spaces_and_the_usual_syllables(typed, name):
    assert match_strength(typed, 1, name, []) == SPELLED


def test_a_given_name_alone_finds_the_person_below_an_exact_match():
    people = [(1, "김지수", []), (2, "Jisoo", [])]
    assert match_strength("Jisoo", 1, "김지수", []) == GIVEN
    assert best_match("Jisoo", people) == 2  # the one named exactly so leads
    assert best_match("Wonyoung", [(5, "장원영", [])]) == 5 and best_match("Minho", [(3, "최민호", [])]) == 3


def test_accents_are_folded_and_loanword_names_match_by_their_sound():
    assert match_strength("Rose", 1, "Rosé", []) == NAME
    assert match_strength("Angelina", 1, "안젤리나", []) == SPELLED
    assert match_strength("Jennifer", 1, "제니퍼", []) == SPELLED
    assert sound_key("안젤리나") == sound_key("Angelina")
    assert suggestions("Angelica", [(3, "안젤리나", []), (4, "박지성", [])]) == [(3, "안젤리나")]


def test_names_that_mean_nobody_find_nobody():
    people = [(1, "박지성", []), (2, "김지수", ["Jisoo"])]
    for typed in ("Kim", "Park Min-ho", "Karina", "Ji", "zz"):
        assert best_match(typed, people) is None, typed


def test_names_are_shown_in_the_revised_romanisation_as_names_are_written():
    assert display_name("박지성") == "Bak Ji-seong" and display_name("남궁민수") == "Namgung Min-su"
    assert display_name("안젤리나") == "Anjellina" and display_name("Karina") == "Karina"
    assert all(spellings for spellings in SURNAMES.values())


# The official examples of the Revised Romanisation of Korean (National Institute of Korean Language, 2000):
# rules of transcription, sound changes, and place names. 학여울 and 알약 need a dictionary (ㄴ insertion).
OFFICIAL = {"백마": "baengma", "신문로": "sinmunno", "종로": "jongno", "왕십리": "wangsimni", "별내": "byeollae",
            "신라": "silla", "해돋이": "haedoji", "같이": "gachi", "굳히다": "guchida", "좋고": "joko", "놓다": "nota",
            "잡혀": "japyeo", "낳지": "nachi", "묵호": "mukho", "집현전": "jiphyeonjeon", "압구정": "apgujeong",
            "낙동강": "nakdonggang", "죽변": "jukbyeon", "낙성대": "nakseongdae", "합정": "hapjeong", "팔당": "paldang",
            "샛별": "saetbyeol", "울산": "ulsan", "구미": "gumi", "영동": "yeongdong", "백암": "baegam",
            "옥천": "okcheon", "합덕": "hapdeok", "호법": "hobeop", "월곶": "wolgot", "벚꽃": "beotkkot",
            "한밭": "hanbat", "구리": "guri", "설악": "seorak", "칠곡": "chilgok", "임실": "imsil", "울릉": "ulleung",
            "대관령": "daegwallyeong", "부산": "busan", "세종": "sejong", "남산": "namsan", "속리산": "songnisan",
            "금강": "geumgang", "독도": "dokdo", "경복궁": "gyeongbokgung", "무량수전": "muryangsujeon",
            "연화교": "yeonhwagyo", "극락전": "geungnakjeon", "안압지": "anapji", "남한산성": "namhansanseong",
            "화랑대": "hwarangdae", "불국사": "bulguksa", "현충사": "hyeonchungsa", "독립문": "dongnimmun",
            "오죽헌": "ojukheon", "촉석루": "chokseongnu", "종묘": "jongmyo", "다보탑": "dabotap", "앓았다": "aratda",
            "많다": "manta", "학여울": "hangnyeoul", "알약": "allyak"}


def test_the_official_romanisation_examples():
    right = [word for word, latin in OFFICIAL.items() if romanize(word) == latin]
    assert len(right) / len(OFFICIAL) >= 0.95, sorted(set(OFFICIAL) - set(right))


def test_edit_distance_is_levenshtein():
    from visearch.text.normalise import edit_distance

    assert edit_distance("kitten", "sitting") == 3 and edit_distance("", "abc") == 3
    assert edit_distance("우유", "우유") == 0 and edit_distance("우유", "두유") == 1
