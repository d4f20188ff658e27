"""Korean end to end: a carton reading 서울우유 is found by 우유, by ㅅㅇㅇㅇ and by NFD text; without Tesseract's
Korean data indexing still works and says once what is missing; `index --reocr` reads the text again later."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from web.cli import main


@pytest.fixture(scope="module")
def cartons(tmp_path_factory) -> Path:
    from PIL import Image, ImageDraw

    from fixtures.korean import font, korean_fonts

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
    import indexer.models.tesseract as tesseract

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
    import indexer.models.tesseract as tesseract

    monkeypatch.setattr(tesseract, "find_tessdata", lambda language="kor": None)
    library = tmp_path / "lib"
    assert run(capsys, "--library", library, "index", cartons, "--clip", "tiny", "--faces", "off")[0] == 0
    code, out, err = run(capsys, "--library", library, "search", "--image", cartons / "water.png", "--json", "--local")
    assert code == 0 and "Traceback" not in err
    assert "2L" in json.loads(out)["query"]["ocr_text"]  # its Latin is read; its Hangul is not
