"""The web UI in English and Korean from one catalogue; the command line stays English."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src" / "visearch" / "web" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"


def catalogue():
    with open(PO, "rb") as handle:
        return read_po(handle, locale="ko")


def test_every_message_has_a_korean_translation_with_the_same_placeholders():
    missing, broken = [], []
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(ids[0])
            continue
        wanted = set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", ids[0]))
        if any(set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", s)) != wanted for s in strings):
            broken.append(ids[0])
    assert not missing, f"untranslated: {missing[:10]}"
    assert not broken, f"placeholders differ: {broken[:10]}"


def test_the_compiled_catalogue_is_current(tmp_path):
    """`make translations` compiles the .po; a .mo older than its .po would show stale Korean."""
    import io

    compiled = io.BytesIO()
    write_mo(compiled, catalogue())
    shipped = (PO.with_suffix(".mo")).read_bytes()
    assert compiled.getvalue() == shipped, "run `make translations` (web/translations/ko/LC_MESSAGES/messages.mo is stale)"


def test_every_script_message_is_in_the_catalogue():
    from visearch.web.i18n import script_calls

    singles, plurals = script_calls()
    known = {m.id for m in catalogue() if m.id}
    assert singles and plurals
    assert not [s for s in singles if s not in known]
    assert not [p for p in plurals if p not in known]


def test_the_language_follows_the_browser_then_the_switch(client):
    korean = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ko">' in korean and ">검색<" in korean and ">Search<" not in korean
    english = client.get("/", headers={"Accept-Language": "de-DE,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in english and ">Search<" in english
    switched = client.get("/people?lang=ko", headers={"Accept-Language": "en"})
    assert "visearch_lang=ko" in switched.headers["Set-Cookie"] and ">인물<" in switched.get_data(as_text=True)
    remembered = client.get("/browse", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">둘러보기<" in remembered and "lang=en" in remembered  # the switch back is on the page
    assert client.get("/?lang=xx", headers={"Accept-Language": "en"}).status_code == 200


def test_counts_read_naturally_in_both_languages(client):
    korean = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"이미지 \d+개, 동영상 \d+개", korean)
    assert re.search(r"\b(1 image|\d+ images), (1 video|\d+ videos)", english)


def test_scripts_get_their_messages_as_data_not_code(client):
    page = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    found = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', page, re.S)
    messages = json.loads(found.group(1))
    assert messages["No results"] == "결과 없음" and messages["{n} result\u0000{n} results"] == ["결과 {n}개"] * 2
    assert "<" not in found.group(1)


def test_errors_and_the_api_document_speak_korean(client):
    korean = {"Accept-Language": "ko"}
    assert client.get("/api/people/987654", headers=korean).get_json()["error"] == "인물 987654이(가) 없습니다"
    bad = client.post("/api/search", json={"text": "우유", "k": "many"}, headers=korean).get_json()
    assert bad["error"].startswith("k: 정수여야 합니다") and bad["field"] == "k"
    assert "찾을 수 없습니다" in client.get("/no-such-page", headers=korean).get_data(as_text=True)
    document = client.get("/api/openapi.json", headers=korean).get_json()
    assert document["paths"]["/api/people"]["get"]["summary"] == "인물과 개수, 대표 얼굴"
    english = client.get("/api/openapi.json").get_json()
    assert english["paths"]["/api/people"]["get"]["summary"] == "People with counts and cover face"


def test_answers_from_the_library_are_translated(client):
    answer = client.post("/api/search", json={"text": "zzqx nothing"}, headers={"Accept-Language": "ko"}).get_json()
    assert answer["message"] == "이 단어와 맞는 항목이 없습니다."


def test_the_command_line_stays_english(indexed_library, capsys, monkeypatch):
    from visearch.cli import main

    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["--library", str(indexed_library), "search", "--text", "zzqx nothing", "--local"]) == 0
    assert "Nothing matches these words." in capsys.readouterr().out


@pytest.mark.parametrize("hostile", ["\ud800", "ᄀ\u0000", "ｱｲｳ", "서울" * 300, "\u1100\u1161\u11a8" * 3])
def test_hostile_unicode_in_queries_is_a_clear_answer_never_a_500(client, hostile):
    from urllib.parse import quote

    query = quote(hostile.encode("utf-8", "surrogatepass"))
    response = client.get(f"/people?q={query}", headers={"Accept-Language": "ko"})
    assert response.status_code in (200, 400)
    answer = client.post("/api/search", data=json.dumps({"text": hostile}).encode("utf-8", "surrogatepass"),
                         content_type="application/json", headers={"Accept-Language": "ko"})
    assert answer.status_code in (200, 400)
