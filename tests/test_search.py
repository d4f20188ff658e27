"""Search quality on the generated catalogue, with the tiny encoder and real OCR."""
import json

import pytest

from visearch.cli import main


def search(capsys, library, *argv) -> dict:
    capsys.readouterr()
    assert main(["--library", str(library), "search", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("sku", ["AUR-2040", "KET-315", "LUM-88", "SON-500"])
def test_recompressed_copy_finds_its_product_first(indexed_library, fixture_set, capsys, sku):
    photo = fixture_set.root / "photos" / f"{sku.lower()}-recompressed.jpg"
    first = search(capsys, indexed_library, "--image", str(photo), "--ocr", "off")["results"][0]
    assert first["product"]["sku"] == sku
    assert first["evidence"]["vector_rank"] == 1 and first["evidence"]["vector_score"] > 0.99


@pytest.mark.parametrize("sku", ["AUR-2040", "KET-315", "LUM-88", "SON-500"])
def test_cluttered_photo_finds_its_product_through_ocr_fusion(indexed_library, fixture_set, capsys, sku):
    photo = fixture_set.root / "photos" / f"{sku.lower()}-cluttered.jpg"
    response = search(capsys, indexed_library, "--image", str(photo))
    first = response["results"][0]
    assert first["product"]["sku"] == sku
    assert first["evidence"]["text_rank"] is not None and first["evidence"]["text_matches"]
    assert response["query"]["ocr_text"]


def test_box_searches_only_the_region(indexed_library, fixture_set, capsys):
    """The cluttered AURA photo also shows a POLARIS bottle; boxing the bottle finds the bottle."""
    photo = fixture_set.root / "photos" / "aur-2040-cluttered.jpg"
    response = search(capsys, indexed_library, "--image", str(photo), "--box", "30,510,210,690")
    assert response["results"][0]["product"]["sku"] == "POL-7"
    assert response["query"]["box"] == [30, 510, 210, 690]


def test_text_query_finds_the_product_whose_label_says_it(indexed_library, capsys):
    response = search(capsys, indexed_library, "--text", "AX-2040")
    first = response["results"][0]
    assert first["product"]["sku"] == "AUR-2040" and first["product"]["price"] == 189.0
    match = first["evidence"]["text_matches"][0]
    assert match["term"] == "ax-2040" and len(match["box"]) == 4
    assert any("not semantic" in notice for notice in response["notices"])


def test_results_are_grouped_one_row_per_sku(indexed_library, capsys):
    response = search(capsys, indexed_library, "--text", "AURA", "-k", "10")
    skus = [r["product"]["sku"] for r in response["results"] if r["product"]]
    assert skus.count("AUR-2040") == 1  # two catalogue images, one row


def test_catalogue_title_is_searchable_without_ocr_words(indexed_library, capsys):
    # The category is only in the CSV, never printed on the package.
    first = search(capsys, indexed_library, "--text", "kitchen")["results"][0]
    assert first["product"]["sku"] == "KET-315" and first["evidence"]["text_matches"] == []


def test_json_keys_are_stable(indexed_library, fixture_set, capsys):
    response = search(capsys, indexed_library, "--image", str(fixture_set.photos[0]), "-k", "3")
    assert set(response) == {"query", "match", "message", "results", "notices", "variants", "also"}
    assert response["match"] in ("exact", "similar", "none")
    for result in response["results"]:
        assert {"id", "path", "score", "kind", "product", "ocr_text", "evidence", "reasons"} <= set(result)
        assert result["reasons"]
        assert result["kind"] == "image"
        assert {"vector_score", "text_terms", "text_matches"} <= set(result["evidence"])
    scores = [r["score"] for r in response["results"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1


def test_no_results_is_an_empty_list(indexed_library, capsys):
    assert search(capsys, indexed_library, "--text", "zzzqqqxxx")["results"] == []
