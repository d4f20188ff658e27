"""The lens page shows the answer's shape, in English and Korean: "one of these variants" with dashed
outlines, and "also in this photo" below the answer with outlines of their own."""
from __future__ import annotations

import json

import pytest

from tests.test_browser import browser, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def result(item: int, sku: str, reasons: list[str], polygon: list[list[float]], rank: int, spot: int) -> dict:
    x0, y0 = polygon[0]
    x1, y1 = polygon[2]
    return {"id": item, "path": f"/catalog/{sku}.jpg", "score": 0.9, "kind": "image", "ocr_text": "", "thumbnail": "",
            "product": {"sku": sku, "title": sku.title(), "brand": "Alpro", "price": 2.5, "currency": "EUR",
                        "url": "", "category": "", "aliases": [], "view": ""},
            "size": [640, 640], "video": None, "video_id": None, "time": None, "reasons": reasons,
            "evidence": {"vector_score": None, "vector_rank": None, "text_rank": None, "text_terms": [],
                         "text_share": 0, "text_matches": [],
                         "local": {"inliers": 60, "polygon": polygon, "box": [x0, y0, x1, y1], "coverage": 0.3},
                         "variant": {"spot": spot, "rank": rank, "sure": False, "rivals": 2, "via": None,
                                     "fit": 9.0, "margin": 0.05}}}


def answer() -> dict:
    here = [[300, 100], [600, 110], [590, 520], [310, 510]]
    there = [[40, 500], [180, 500], [180, 690], [40, 690]]
    return {"query": {"type": "image", "k": 24, "box": None, "size": [1024, 768], "upload": "0" * 32},
            "match": "similar", "message": "One of these variants: the photo does not show what tells them apart.",
            "notices": [], "variants": [1, 2], "also": [3],
            "results": [result(1, "vanilla", ["variant"], here, 0, 0), result(2, "blueberry", ["variant"], here, 1, 0),
                        result(3, "oat-drink", ["also"], there, 0, 1)]}


@pytest.mark.parametrize("locale, variants, also", [("en-US", "One of these 2 variants", "Also in this photo"),
                                                    ("ko-KR", "이 중 하나입니다: 2가지 종류", "이 사진에 함께 있는 상품")])
def test_variants_and_also_in_this_photo_are_grouped_and_outlined(server, browser, fixture_set, locale, variants,  # noqa: F811
                                                                   also):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.route("**/api/search", lambda route: route.fulfill(status=200, content_type="application/json",
                                                             body=json.dumps(answer())))
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "aur-2040-cluttered.jpg"))
    page.wait_for_selector("#variants-head")
    assert page.inner_text("#variants-head") == variants
    assert page.inner_text("#also-head") == also
    heads = page.eval_on_selector_all("#results > *", "els => els.map(e => e.id || e.className)")
    assert heads.index("variants-head") < heads.index("also-head")  # the answer first, the shelf behind it after
    assert page.locator("polygon.match.variant").count() == 2 and page.locator("polygon.match.also").count() == 1
    assert page.locator(".badge.variant").count() == 2 and page.locator(".badge.also").count() == 1
    assert page.locator(".badge.exact").count() == 0  # never a confident answer among variants
    context.close()
