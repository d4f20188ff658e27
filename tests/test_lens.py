"""The exact-product lens: RootSIFT shortlist + RANSAC verification, boxes in the query photo.

Run with OCR off too, to show the local stage stands on its own with the
non-semantic `tiny` encoder (the offline case).
"""
import json

import pytest

from visearch.indexer.tracking import box_iou
from visearch.cli import main


def lens(capsys, library, photo, *extra, k: int = 10) -> dict:
    capsys.readouterr()
    assert main(["--library", str(library), "search", "--image", str(photo), "--json", "-k", str(k), *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("ocr", [[], ["--ocr", "off"]], ids=["with-ocr", "local-only"])
@pytest.mark.parametrize("kind", ["cluttered", "covered"])
def test_angled_and_covered_products_rank_first_with_their_box(indexed_library, fixture_set, capsys, kind, ocr):
    photos = {name: entry for name, entry in fixture_set.truth.items() if entry.get("kind") == kind}
    assert photos
    for name, truth in photos.items():
        first = lens(capsys, indexed_library, fixture_set.root / "photos" / name, *ocr)["results"][0]
        assert first["product"]["sku"] == truth["sku"], name
        local = first["evidence"]["local"]
        assert local is not None and local["inliers"] >= 20, name
        assert box_iou(local["box"], truth["box"]) >= 0.5, (name, local["box"], truth["box"])
        assert len(local["polygon"]) == 4


def test_a_shelf_yields_one_verified_match_per_product(indexed_library, fixture_set, capsys):
    truth = fixture_set.truth["shelf.jpg"]["products"]
    results = lens(capsys, indexed_library, fixture_set.root / "photos" / "shelf.jpg", "--ocr", "off", k=20)["results"]
    # (the library also holds un-catalogued copies of the VERDE shot in odd formats: they verify too)
    verified = {r["product"]["sku"]: r["evidence"]["local"] for r in results
                if r["evidence"]["local"] and r["product"]}
    assert set(verified) == {entry["sku"] for entry in truth}
    for entry in truth:
        assert box_iou(verified[entry["sku"]]["box"], entry["box"]) >= 0.5, entry["sku"]
    flags = [bool(r["evidence"]["local"]) for r in results]
    assert flags == sorted(flags, reverse=True)  # verified matches lead


def test_no_catalogue_product_means_no_verified_match(indexed_library, fixture_set, capsys):
    results = lens(capsys, indexed_library, fixture_set.root / "photos" / "no-product.jpg")["results"]
    assert all(r["evidence"]["local"] is None for r in results)


def test_the_users_box_still_narrows_the_search(indexed_library, fixture_set, capsys):
    shelf = next(e for e in fixture_set.truth["shelf.jpg"]["products"] if e["sku"] == "LUM-88")
    box = ",".join(str(round(v)) for v in shelf["box"])
    results = lens(capsys, indexed_library, fixture_set.root / "photos" / "shelf.jpg", "--box", box, "--ocr", "off")
    first = results["results"][0]
    assert first["product"]["sku"] == "LUM-88"
    assert box_iou(first["evidence"]["local"]["box"], shelf["box"]) >= 0.5  # in full-photo coordinates


def test_features_are_stored_compactly_and_follow_removals(indexed_library, tmp_path):
    from visearch.storage.feature_store import FeatureStore

    store = FeatureStore(indexed_library / "features", read_only=True)
    assert len(store) >= 20
    sizes = [len(store.get(item)) for item in list(store._where)[:10]]
    assert all(50 <= size <= 400 for size in sizes)
    writable = FeatureStore(tmp_path / "features")
    some = store.get(next(iter(store._where)))
    writable.put(1, some)
    writable.put(2, some)
    writable.save()
    writable.remove([1])
    writable.save()
    reopened = FeatureStore(tmp_path / "features", read_only=True)
    assert 1 not in reopened and 2 in reopened
    assert sorted(p.name for p in (tmp_path / "features").iterdir()) == ["CURRENT", "gen-2"]


def test_voters_are_spread_over_the_photo_strongest_first_in_each_part():
    import numpy as np

    from visearch.lens.geometry import spread_keypoints

    # 60 strong points crowd the top-left quarter, 10 weaker ones sit in the bottom-right
    points = np.array([[10 + i % 8, 10 + i // 8] for i in range(60)] + [[90 + i, 90] for i in range(10)], float)
    chosen = spread_keypoints(points, (100, 100), 20, grid=2)
    assert len(chosen) == 20 and list(chosen) == sorted(chosen)
    assert sum(i >= 60 for i in chosen) == 10  # the weak corner keeps every voter
    assert set(range(10)) <= set(chosen)  # and the crowded corner its strongest
    assert list(spread_keypoints(points[:5], (100, 100), 20)) == [0, 1, 2, 3, 4]


def test_ocr_terms_take_words_then_the_line_without_spaces_once_each():
    from visearch.indexer.records import OcrLine
    from visearch.search.answers import ocr_terms

    box = ((0, 0), (1, 0), (1, 1), (0, 1))
    lines = [OcrLine("AX-2040 PRO", box, 0.9), OcrLine("ax-2040", box, 0.8), OcrLine("ok", box, 0.9)]
    terms = ocr_terms(lines)
    assert terms[-1] == "ax-2040pro" and len(terms) == len(set(terms))
    assert "ax-2040" in terms and "pro" in terms and "ok" not in terms  # under three characters: noise
    assert ocr_terms([]) == []


# -- what verification cannot settle: the words name a brand, the keypoints say which of its products

BRAND = [("ACME-1", "KET-315"), ("ACME-2", "LUM-88"), ("ACME-3", "SON-500")]


@pytest.fixture(scope="module")
def one_brand(fixture_set, tmp_path_factory):
    """Three different packages whose catalogue rows share one brand word and nothing else."""
    import csv

    folder = tmp_path_factory.mktemp("brand")
    with open(folder / "catalogue.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "title", "brand", "image"])
        for sku, design in BRAND:
            writer.writerow([sku, f"ACME {design[:3].lower()}", "ACME", fixture_set.catalog_image(design)])
    library = folder / "lib"
    assert main(["--library", str(library), "index", *[str(fixture_set.catalog_image(d)) for _, d in BRAND], "--catalog",
                 str(folder / "catalogue.csv"), "--clip", "tiny", "--ocr", "off", "--faces", "off",
                 "--no-progress"]) == 0
    return library


def waved(path, amplitude: float = 30, period: float = 240):
    """The package on a crumpled sleeve: every keypoint still there, but no homography holds them all."""
    import cv2
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGB"))
    ys, xs = np.mgrid[0:pixels.shape[0], 0:pixels.shape[1]].astype(np.float32)
    wave = amplitude * np.sin(np.stack([ys, xs]) / period * 2 * np.pi).astype(np.float32)
    return Image.fromarray(cv2.remap(pixels, xs + wave[0], ys + wave[1], cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE))


@pytest.mark.parametrize("sku, design", BRAND)
def test_when_only_the_brand_is_read_the_keypoints_say_which_product(one_brand, fixture_set, sku, design):
    """All three products carry the word the photo shows; the one whose keypoints the photo holds leads, and the
    answer stays "similar": nothing verified."""
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec
    from visearch.indexer.records import OcrLine
    from visearch.search.engine import SearchEngine
    from visearch.storage.library import Library

    class ReadsTheBrand:
        name = "brand-only"

        def read(self, image):
            return [OcrLine("ACME", ((0, 0), (40, 0), (40, 12), (0, 12)), 0.99)]

    encoder = ClipEncoder(parse_clip_spec("tiny"))
    with Library.open(one_brand, read_only=True) as library:
        engine = SearchEngine(library, encoder, ReadsTheBrand())
        try:
            answer = engine.search_image(waved(fixture_set.catalog_image(design)), k=3)
        finally:
            engine.close()
    assert answer.match == "similar"
    assert answer.results[0].product.sku == sku
    assert all("text" in r.reasons for r in answer.results) and len(answer.results) == 3
