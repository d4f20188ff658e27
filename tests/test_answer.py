"""The lens's three answers: exact product, similar items, nothing — pure rules, then end to end."""
import numpy as np
import pytest

from visearch.lens.answer import EXACT, NONE, SIMILAR, Signals, judge
from visearch.lens.calibration import best_unrelated, floor_from_scores, needs_recalibration


def test_verified_match_makes_an_exact_answer_and_filler_goes():
    signals = [Signals(inliers=120, vector_score=0.4, coverage=0.4), Signals(vector_score=0.95), Signals(vector_score=0.3),
               Signals(text_share=0.05, text_chars=3)]
    state, kept, why = judge(signals, floor=0.9)
    assert state == EXACT and kept == [0, 1] and why == [["exact"], ["visual"]]


def test_a_match_on_a_small_part_of_the_product_is_partial_not_exact():
    """Two cartons of one brand share a logo: the keypoints verify, but only on the logo."""
    state, kept, why = judge([Signals(inliers=40, coverage=0.05, text_share=0.4, text_chars=4)], floor=0.9)
    assert state == SIMILAR and kept == [0] and why == [["partial", "text"]]


def test_coverage_is_the_inliers_hull_over_the_product_outline():
    from visearch.lens.geometry import coverage

    square = np.array([[0, 0], [50, 0], [50, 50], [0, 50], [25, 25]], np.float32)
    assert coverage(square, (100, 100), (0, 0, 1, 1)) == pytest.approx(0.25)
    assert coverage(square, (100, 100), (0, 0, 0.5, 0.5)) == pytest.approx(1.0)
    assert coverage(square[:2], (100, 100), (0, 0, 1, 1)) == 0.0


def test_look_alikes_above_the_floor_are_similar():
    state, kept, why = judge([Signals(vector_score=0.93), Signals(vector_score=0.5)], floor=0.9)
    assert state == SIMILAR and kept == [0] and why == [["visual"]]


def test_a_real_share_of_the_words_is_a_reason_but_a_stray_syllable_is_not():
    state, kept, _ = judge([Signals(text_share=0.6, text_chars=8), Signals(text_share=0.9, text_chars=3)], floor=1)
    assert state == SIMILAR and kept == [0]


def test_nothing_above_the_floor_is_an_honest_none():
    assert judge([Signals(vector_score=0.33)] * 24, floor=0.8) == (NONE, [], [])
    assert judge([], floor=0.5) == (NONE, [], [])


def test_floor_is_a_high_quantile_and_higher_without_semantics():
    scores = np.linspace(0.2, 0.8, 101)
    assert floor_from_scores(scores, semantic=True) == pytest.approx(0.74)
    assert floor_from_scores(scores, semantic=False) == pytest.approx(0.794)
    assert floor_from_scores(np.array([]), semantic=True) == 1.0


def test_best_unrelated_skips_self_same_product_and_missing():
    groups = {1: ("sku", "A"), 2: ("sku", "A"), 3: ("video", 9), 4: ("sku", "B"), 5: ("sha", "x")}
    assert best_unrelated(np.array([1.0, 0.9, 0.7, 0.5]), np.array([1, 2, -1, 4]), groups, 1) == 0.5
    assert best_unrelated(np.array([1.0, 0.8]), np.array([3, 1]), groups, 3) == 0.8
    assert best_unrelated(np.array([1.0]), np.array([1]), groups, 1) is None


def test_recalibration_when_new_or_grown():
    assert needs_recalibration(10, 0) and not needs_recalibration(110, 100) and needs_recalibration(130, 100)


def lens(capsys, library, photo, *extra):
    import json

    from visearch.cli import main

    assert main(["--library", str(library), "search", "--image", str(photo), "--json", "-k", "24", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_catalogue_photo_is_an_exact_answer_led_by_the_product(indexed_library, fixture_set, capsys):
    answer = lens(capsys, indexed_library, fixture_set.root / "photos" / "aur-2040-cluttered.jpg")
    assert answer["match"] == "exact" and answer["results"][0]["product"]["sku"] == "AUR-2040"
    assert "exact" in answer["results"][0]["reasons"]
    assert len(answer["results"]) < 24  # no filler after the good hits


def test_photo_of_nothing_in_the_catalogue_is_none_not_24_guesses(indexed_library, fixture_set, capsys):
    answer = lens(capsys, indexed_library, fixture_set.root / "photos" / "no-product.jpg", "--ocr", "off")
    assert answer["match"] == "none" and answer["results"] == [] and "box" in answer["message"]


def test_photos_of_other_things_are_not_called_matches(indexed_library, shared_data, capsys):
    """Real photos that are not products (faces, scenes) against the product catalogue."""
    photos = sorted((shared_data / "faces").rglob("*.jpg"))[:4] + sorted((shared_data / "ocr").rglob("*.jpg"))[:4]
    assert photos
    for photo in photos:
        answer = lens(capsys, indexed_library, photo)
        assert answer["match"] != "exact", photo
        assert all("visual" not in r["reasons"] for r in answer["results"]), photo


def test_the_library_records_its_floor(indexed_library):
    from visearch.storage.library import read_manifest

    manifest = read_manifest(indexed_library)
    assert 0 < manifest.no_match_floor <= 1 and manifest.floor_items > 0
    # the tiny encoder puts everything near 1: only a copy of an indexed picture may count as visual
    assert manifest.no_match_floor > 0.99
