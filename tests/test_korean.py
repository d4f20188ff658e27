"""Korean end to end: a carton reading 서울우유 is found by 우유, by ㅅㅇㅇㅇ and by NFD text; without Tesseract's
Korean data indexing still works and says once what is missing; `index --reocr` reads the text again later."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from visearch.cli import main


@pytest.fixture(scope="module")
def cartons(tmp_path_factory) -> Path:
    from PIL import Image, ImageDraw

    from visearch.demo.korean import font, korean_fonts

    fonts = korean_fonts()
    if not fonts:
        pytest.skip("no Korean fonts (fonts-nanum, fonts-noto-cjk)")
    folder = tmp_path_factory.mktemp("cartons")
    for name, lines in (("milk", ["서울우유", "1000ml"]), ("ramen", ["얼큰 신라면", "컵"]),
                        ("water", ["제주 삼다수", "2L"])):
        image = Image.new("RGB", (640, 480), (236, 240, 248))
        draw = ImageDraw.Draw(image)
        for number, line in enumerate(lines):
            draw.text((60, 90 + 150 * number), line, font=font(fonts[1 % len(fonts)], 72), fill=(20, 30, 90))
        image.save(folder / f"{name}.png")
    return folder


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def found(capsys, library, text: str) -> list[str]:
    code, out, _ = run(capsys, "--library", library, "search", "--text", text, "--json", "--local")
    assert code == 0
    return [Path(r["path"]).stem for r in json.loads(out)["results"]]


def test_hangul_is_found_the_way_koreans_type_it(cartons, tmp_path, capsys, monkeypatch):
    import visearch.indexer.models.tesseract as tesseract

    if tesseract.missing_reason():
        pytest.skip(tesseract.missing_reason())
    library = tmp_path / "lib"
    real = tesseract.find_tessdata
    monkeypatch.setattr(tesseract, "find_tessdata", lambda language="kor": None)  # Tesseract's Korean data gone
    code, out, _ = run(capsys, "--library", library, "index", cartons, "--clip", "tiny", "--faces", "off")
    assert code == 0 and out.count("Hangul is not read") == 1 and "tesseract-ocr-kor" in out
    assert found(capsys, library, "우유") == []
    code, out, _ = run(capsys, "--library", library, "stats")
    assert "Hangul is not read" in out and "latin, han" in out

    monkeypatch.setattr(tesseract, "find_tessdata", real)  # installed later: the text is read again
    code, out, _ = run(capsys, "--library", library, "index", "--reocr")
    assert code == 0 and "text read again: 3 photos" in out
    assert found(capsys, library, "우유")[:1] == ["milk"]
    assert found(capsys, library, "ㅅㅇㅇㅇ")[:1] == ["milk"]
    assert found(capsys, library, unicodedata.normalize("NFD", "서울우유"))[:1] == ["milk"]
    assert found(capsys, library, "ᄉᄋᄋᄋ")[:1] == ["milk"]  # conjoining jamo, as NFKC text has them
    assert found(capsys, library, "신라면 컵")[:1] == ["ramen"]
    assert found(capsys, library, "삼다수 2L")[:1] == ["water"]
    assert found(capsys, library, "서울우요")[:1] == ["milk"]  # one jamo off: an OCR slip, below exact
    assert found(capsys, library, "ㅋㅋㅋ") == [] and found(capsys, library, "고등어") == []
    code, out, _ = run(capsys, "--library", library, "index", "--reocr")
    assert "text read again: 0 photos" in out and "3 items were already read" in out


def test_without_tesseract_a_query_photo_is_still_read_and_nothing_fails(cartons, tmp_path, capsys, monkeypatch):
    import visearch.indexer.models.tesseract as tesseract

    monkeypatch.setattr(tesseract, "find_tessdata", lambda language="kor": None)
    library = tmp_path / "lib"
    assert run(capsys, "--library", library, "index", cartons, "--clip", "tiny", "--faces", "off")[0] == 0
    code, out, err = run(capsys, "--library", library, "search", "--image", cartons / "water.png", "--json", "--local")
    assert code == 0 and "Traceback" not in err
    assert "2L" in json.loads(out)["query"]["ocr_text"]  # its Latin is read; its Hangul is not


def test_a_person_is_found_by_name_alias_or_the_other_script():
    """Both spellings of a Korean name, aliases, and the rule in one place for every backend."""
    from visearch.text.names import best_match, clean_aliases, names_match

    people = [(1, "카리나", ["Winter's friend"]), (2, "김민지", []), (3, "윈터", ["Winter"]), (4, "Karina", [])]
    assert best_match("카리나", people) == 1 and best_match("KARINA", people) == 4  # exact name first
    assert best_match("Kim Min-ji", people) == 2 and best_match("gim minji", people) == 2
    assert best_match("winter", people) == 3 and best_match("3", people) == 3
    assert best_match("Nobody", people) is None and best_match("", people) is None
    assert names_match("kari", 1, "카리나", []) and names_match("minji", 2, "김민지", [])
    assert clean_aliases([" Karina ", "karina", "", "\u1100\u1161"]) == ["Karina", "가"]


def test_people_answer_to_either_script_in_every_store(tmp_path):
    from visearch.storage.backends import open_sqlite

    stores = open_sqlite(tmp_path / "items.sqlite")
    karina = stores.faces.create_person("카리나")
    stores.faces.set_aliases(karina, ["Karina", "유지민"])
    assert stores.faces.find_person("karina") == karina and stores.faces.find_person("유지민") == karina
    assert stores.faces.find_person("Yu Ji-min") == karina  # an alias's romanisation
    assert stores.faces.people([karina])[0].aliases == ("Karina", "유지민")
    stores.close()


def test_aliases_through_the_cli_and_the_api(client, web_library, tmp_path, capsys):
    import shutil

    people = client.get("/api/people").get_json()["people"]
    if not people:
        pytest.skip("the web library has no person (no shared data)")
    person = people[0]["id"]
    answer = client.post(f"/api/people/{person}/aliases", json={"aliases": ["안젤리나", " Angie "]})
    assert answer.status_code == 200 and answer.get_json()["aliases"] == ["안젤리나", "Angie"]
    assert [p["id"] for p in client.get("/api/people?q=안젤").get_json()["people"]] == [person]
    assert client.get("/api/people?q=nobody-at-all").get_json()["people"] == []
    assert client.post(f"/api/people/{person}/aliases", json={"aliases": "Angie"}).status_code == 400
    assert client.post(f"/api/people/{person}/aliases", json={"aliases": ["x"] * 21}).status_code == 400
    assert client.post("/api/people/999999/aliases", json={"aliases": []}).status_code == 404
    library = tmp_path / "cli-lib"
    shutil.copytree(web_library, library)
    code, out, _ = run(capsys, "--library", library, "people", "alias", person, "Jolie")
    assert code == 0 and "Jolie" in out
    code, out, _ = run(capsys, "--library", library, "clips", "--person", "jolie", "--json")
    assert code == 0 and json.loads(out)["person"]["id"] == person


def test_tesseracts_data_is_found_without_walking_the_working_folder(tmp_path, monkeypatch):
    """tesserocr's default folder is "./", searched recursively: started in a home folder it walked all of it."""
    tesserocr = pytest.importorskip("tesserocr")
    import visearch.indexer.models.tesseract as tesseract

    def walked(*args, **kwargs):
        raise AssertionError("tesserocr.get_languages walks the working folder")

    monkeypatch.setattr(tesserocr, "get_languages", walked)
    monkeypatch.chdir(tmp_path)
    own = tmp_path / "mine" / "tessdata"
    own.mkdir(parents=True)
    (own / "kor.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(own.parent))  # Tesseract's own variable wins over the usual folders
    assert tesseract.find_tessdata() == own
    monkeypatch.delenv("TESSDATA_PREFIX")
    assert tesseract.find_tessdata() in {None, *(Path(folder) for folder in tesseract.TESSDATA_FOLDERS)}
