"""The Korean UI in real Chromium: a shopper with a Korean browser photographs a milk carton, types 초성, switches
language."""
import threading

import pytest

from tests.test_browser import ARTIFACTS, CHROMIUM, browser, shot  # noqa: F401 - `browser` is a fixture

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def korean_server(tmp_path_factory):
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from visearch.demo.generate import generate
    from visearch.demo.korean import korean_fonts
    from visearch.indexer.models.tesseract import missing_reason

    if not korean_fonts() or missing_reason():
        pytest.skip("Korean fonts or Tesseract's Korean data are missing (make install adds them)")
    from waitress import create_server

    from visearch.app.indexing import IndexRequest, index
    from visearch.app.settings import Settings
    from visearch.web import create_app

    root = tmp_path_factory.mktemp("korean-shop")
    shop = generate(root / "shop", korean=True)
    settings = Settings.from_env().with_options(library=root / "lib")
    index(settings, IndexRequest(paths=[shop.catalog_dir], catalog=shop.catalog_csv, clip="tiny", faces="off"))
    app = create_app({"LIBRARY": str(root / "lib")}, settings)
    app.extensions["visearch"].load_models()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}", shop
    server.close()


@pytest.fixture
def korean_page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_a_korean_shopper_finds_the_carton_by_photo_and_by_initials(korean_server, korean_page):
    url, shop = korean_server
    page = korean_page
    page.goto(url + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("nav >> text=둘러보기").count() == 1
    photo = next(p for p in shop.photos if p.name.startswith("seoul-milk"))
    page.set_input_files("#file", str(photo))
    page.wait_for_function("document.getElementById('status').textContent.includes('정확히 같은 상품')",
                           timeout=60_000)
    first = page.locator(".result").first.inner_text()
    assert "서울우유" in first and "₩3,900" in first
    assert "정확히 같은 상품" in page.locator(".result .badge.exact").first.inner_text()
    shot(page, "korean-lens")
    page.fill("#text", "ㅅㅇㅇㅇ")
    page.press("#text", "Enter")
    page.wait_for_function("document.getElementById('status').textContent.includes('초성')", timeout=30_000)
    assert "서울우유" in page.locator(".result").first.inner_text()


def test_the_language_switch_is_remembered(korean_server, korean_page):
    url, _ = korean_server
    page = korean_page
    page.goto(url + "/people")
    page.click("nav.languages >> text=English")
    page.wait_for_selector("nav >> text=Browse")
    page.goto(url + "/moments")
    assert page.locator("h1").inner_text() == "Moments"
    page.click("nav.languages >> text=한국어")
    page.wait_for_selector("h1 >> text=장면")


def test_a_korean_shopper_on_a_phone_sees_the_answer_in_the_first_screen(korean_server, browser):  # noqa: F811
    url, shop = korean_server
    phone = {"width": 390, "height": 844}
    context = browser.new_context(locale="ko-KR", viewport=phone, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.goto(url + "/")
    page.set_input_files("#file", str(next(p for p in shop.photos if p.name.startswith("seoul-milk"))))
    page.wait_for_selector(".card.result", timeout=60_000)
    page.wait_for_timeout(300)
    card = page.locator(".card.result").first
    assert "서울우유" in card.inner_text()
    assert card.bounding_box()["y"] < phone["height"]  # the answer is on the first screen, not below the fold
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 1
    page.screenshot(path=str(ARTIFACTS / "korean-phone-lens.png"))  # the README's phone view
    context.close()
