"""Real-photo OCR checks on ../shared/data (skipped where that folder is absent).

PP-OCRv4's default recogniser covers Chinese and Latin script; Korean, Japanese
kana, Cyrillic, Devanagari, Arabic and Thai need PaddleOCR's other language
models (`--ocr paddleocr:korean`, …), so they are left out of the figures here.
"""
import csv
import difflib
import re

from visearch.indexer.images import open_image
from visearch.text.normalise import compact

SUPPORTED = re.compile(r"^[\s\x20-\x7e\u00c0-\u024f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef·°“”‘’]*$")


def ground_truth(shared_data):
    rows = csv.DictReader(open(shared_data / "ocr" / "ground_truth.tsv", encoding="utf-8"), delimiter="\t")
    for row in rows:
        if row["text"] and row["confidence"] != "low" and SUPPORTED.match(row["text"]):
            yield row


def test_word_and_line_crops(shared_data, ocr_model):
    """Tight crops (15 to 120 px high) in Latin script and Chinese: read whole, not missed by the detector."""
    exact, scores = 0, []
    for row in ground_truth(shared_data):
        if "imgs_words" not in row["file"]:
            continue
        read = compact("".join(line.text for line in ocr_model.read(open_image(shared_data / row["file"]))))
        exact += compact(row["text"]).rstrip(".,") in read
        scores.append(difflib.SequenceMatcher(None, compact(row["text"]), read).ratio())
    assert len(scores) >= 25
    assert exact / len(scores) >= 0.8, f"{exact} of {len(scores)} crops read exactly"
    assert sum(score >= 0.8 for score in scores) / len(scores) >= 0.9


def test_scene_text_key_strings(shared_data, ocr_model):
    found = total = 0
    for row in ground_truth(shared_data):
        if "imgs_words" in row["file"]:
            continue
        read = compact("".join(line.text for line in ocr_model.read(open_image(shared_data / row["file"]))))
        parts = [compact(part) for part in row["text"].split(" | ")]
        found += sum(part in read for part in parts)
        total += len(parts)
    assert total >= 40
    assert found / total >= 0.7, f"found {found} of {total} key strings"


def test_brands_read_off_grocery_packages(shared_data, ocr_model):
    folder = shared_data / "products" / "grocerystore"
    products = sorted(p for p in folder.iterdir() if p.is_dir())
    assert products
    read = 0
    for product in products:
        brand = compact(product.name.split("-")[0])
        iconic = next(product.glob("*Iconic*"))
        read += brand in compact(" ".join(line.text for line in ocr_model.read(open_image(iconic))))
    assert read >= len(products) - 1


def test_every_product_photo_indexes_without_failure(shared_data, tmp_path, capsys):
    """Real photos of every size and source go through the whole pipeline (OCR off to keep it quick)."""
    import json

    from visearch.cli import main

    rows = list(csv.DictReader(open(shared_data / "products" / "products.csv", encoding="utf-8")))
    code = main(["--library", str(tmp_path / "lib"), "index", str(shared_data / "products"), "--clip", "tiny",
                 "--ocr", "off", "--no-progress", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["failed"] == []
    assert report["indexed"] == len({row["file"] for row in rows})
