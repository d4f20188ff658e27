"""Real PP-OCRv4 (rapidocr) on generated text of every size."""
import pytest
from PIL import Image, ImageDraw

from visearch.demo.generate import font
from visearch.indexer.errors import UnknownModelError
from visearch.indexer.models.ocr import create_ocr
from visearch.text.normalise import compact


def _text_image(text: str, size: tuple[int, int], font_size: int, at=(10, 10)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text(at, text, font=font(font_size), fill=(15, 15, 15))
    return image


def test_reads_lines_with_boxes_and_confidence(ocr_model):
    image = _text_image("AURA", (640, 300), 60, (40, 40))
    ImageDraw.Draw(image).text((40, 180), "Model AX-2040 PRO", font=font(34), fill="black")
    lines = ocr_model.read(image)
    assert [compact(line.text) for line in lines] == ["aura", "modelax-2040pro"]
    x0, y0, x1, y1 = lines[1].bounds
    assert 20 <= x0 < 80 and 160 <= y0 < 200 and x1 > 300
    assert all(0.5 <= line.confidence <= 1 for line in lines)


def test_tight_crop_of_one_word(ocr_model):
    lines = ocr_model.read(_text_image("Hello", (86, 34), 24, (4, 2)))
    assert [compact(line.text) for line in lines] == ["hello"]


def test_small_print_on_a_large_image(ocr_model):
    image = _text_image("SKU 4711-B", (1600, 1200), 22, (1200, 1100))
    assert any("4711" in line.text for line in ocr_model.read(image))


def test_large_sign(ocr_model):
    image = _text_image("EXIT", (1200, 500), 300, (60, 40))
    assert [compact(line.text) for line in ocr_model.read(image)] == ["exit"]


def test_blank_image_has_no_text(ocr_model):
    assert ocr_model.read(Image.new("RGB", (300, 200), "white")) == []


def test_backend_registry():
    assert create_ocr("off") is None
    with pytest.raises(UnknownModelError):
        create_ocr("tesseract")
    with pytest.raises(UnknownModelError):
        create_ocr("rapidocr:korean")
    assert create_ocr("paddleocr:korean").identity == "paddleocr:korean"


def test_the_cheap_look_is_trusted_only_for_a_few_tall_sure_plain_lines():
    from visearch.indexer.models.ocr_rules import plain_words, trust_probe

    assert trust_probe([20.0, 14.0], [0.95, 0.9])  # a package's brand and model, large and sure
    assert not trust_probe([20.0, 9.0], [0.95, 0.9])  # small print: it may have missed more of it
    assert not trust_probe([20.0] * 6, [0.95] * 6)  # a page: read in full
    assert not trust_probe([20.0, 20.0], [0.95, 0.55])  # unsure
    assert not trust_probe([], [])
    assert plain_words("AX-2040 PRO") and not plain_words("50óml") and not plain_words("HE")
    assert not plain_words("서울우유")


def test_a_tilted_lines_orientation_is_looked_for_around_it_only():
    import numpy as np

    from visearch.indexer.models.tesseract import QuadFinder

    seen = []

    class Recording(QuadFinder):
        def __call__(self, pixels):
            seen.append(pixels.shape)
            return [np.float32([[1, 1], [9, 1], [9, 4], [1, 4]])]

    picture = np.zeros((1000, 1400, 3), np.uint8)
    quads = Recording().around(picture, (400.0, 300.0, 700.0, 380.0))  # an 80 px tall line
    assert seen[0][0] < 200 and seen[0][1] < 250  # a window around it, shrunk to ~40 px text: not the picture
    x0, y0 = quads[0].min(axis=0)
    assert 300 <= x0 <= 420 and 200 <= y0 <= 320  # back in the picture's pixels


def test_latin_words_pp_ocr_did_not_see_mark_hangul_misread_as_latin():
    from visearch.indexer.models.tesseract import stray_latin

    pp_ocr = "2言| 早H ·TODAY'S STAGE"  # PP-OCR: the Latin right, the Hangul as Chinese-looking shapes
    assert stray_latin("오늘의 SCH - TODAY'S STAGE", pp_ocr) == 1  # 무대 read as SCH
    assert stray_latin("오늘의 무대 - TODAY'S STAGE", pp_ocr) == 0
    assert stray_latin("신라면 Big Cup 1l4g", "신라면 Bia Cup") == 0  # a slip is the same word; digits are no word


def test_the_demo_caption_mixing_hangul_and_english_reads_both():
    """The README's example: `visearch moments --text "오늘의 무대"` on the demo video's caption."""
    from visearch.demo.video import CAPTION, HEIGHT, WIDTH, draw_caption
    from visearch.indexer.models.tesseract import missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    frame = Image.new("RGB", (WIDTH, HEIGHT), (90, 120, 160))
    draw_caption(ImageDraw.Draw(frame), CAPTION[2], WIDTH, HEIGHT)
    text = " ".join(line.text for line in create_ocr("faster-paddle:tiny+hangul").read(frame))
    assert compact("오늘의 무대") in compact(text) and compact("TODAY S STAGE") in compact(text)
