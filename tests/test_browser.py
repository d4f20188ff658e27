"""Real Chromium (Debian's package) driven by Playwright against the app served by waitress."""
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(web_library, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from waitress import create_server

    from web import create_app

    library = tmp_path_factory.mktemp("browser") / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library)})
    app.extensions["visearch"].load_models()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def first_result_title(page) -> str:
    return page.locator(".result").first.inner_text()


def test_upload_a_photo_then_drag_the_box(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "aur-2040-cluttered.jpg"))
    page.wait_for_selector(".result", timeout=60_000)
    page.wait_for_function("document.getElementById('status').textContent.includes('results')")
    assert "Air purifier" in first_result_title(page)
    assert page.locator(".suggestion").count() >= 1
    shot(page, "search-lens")

    page.set_viewport_size({"width": 1280, "height": 1400})
    page.locator("#stage").scroll_into_view_if_needed()
    stage = page.locator("#stage").bounding_box()
    handle = page.locator("#box .handle").bounding_box()
    # Shrink the box to the top-left corner, then drag it down over the water bottle (bottom left).
    page.mouse.move(handle["x"] + 8, handle["y"] + 8)
    page.mouse.down()
    page.mouse.move(stage["x"] + stage["width"] * 0.22, stage["y"] + stage["height"] * 0.30, steps=8)
    page.mouse.up()
    box = page.locator("#box").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + stage["height"] * 0.61, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "document.querySelector('.result') && document.querySelector('.result').innerText.includes('Water bottle')",
        timeout=60_000,
    )
    shot(page, "search-lens-box-moved")


def test_shelf_photo_outlines_each_product_and_a_click_filters(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "shelf.jpg"))
    page.wait_for_selector("#matches .match", timeout=60_000)
    assert page.locator("#matches .match").count() >= 4
    shot(page, "lens-shelf")
    page.locator("#matches .match").first.dispatch_event("click")
    page.wait_for_selector("#show-all")
    assert page.locator(".result").count() == 1
    page.click("#show-all")
    assert page.locator(".result").count() > 1


def test_text_query(server, page):
    page.goto(server + "/")
    page.fill("#text", "AX-2040")
    page.press("#text", "Enter")
    page.wait_for_selector(".result", timeout=60_000)
    assert "Air purifier" in first_result_title(page)
    assert page.locator(".result .hit").count() >= 1  # the matched words are marked on the thumbnail
    shot(page, "search-text")


def test_item_page_overlays_and_similar(server, page):
    page.goto(server + "/items/1")
    page.wait_for_selector("#similar .card", timeout=60_000)
    assert page.locator(".ocr-box").count() >= 1
    page.uncheck("#show-ocr")
    assert page.locator("#ocr-layer").is_hidden()
    shot(page, "item")


def test_open_a_person_rename_and_play_a_clip(server, page, shared_data):
    page.goto(server + "/people")
    shot(page, "people")
    page.click(".person-card:has-text('Angelina') a")
    page.wait_for_selector(".timeline .segment")
    page.fill("#new-name", "Angie")
    page.click("#rename button")
    page.wait_for_function("document.getElementById('person-name').textContent === 'Angie'")
    segment = page.locator(".segment").nth(1)
    start, end = float(segment.get_attribute("data-start")), float(segment.get_attribute("data-end"))
    segment.click()
    page.wait_for_function("document.getElementById('player').currentTime > 0", timeout=30_000)
    current = page.evaluate("document.getElementById('player').currentTime")
    assert start - 0.1 <= current <= end + 0.1
    page.wait_for_function("document.getElementById('player').paused", timeout=30_000)  # it stops at the end
    stopped = page.evaluate("document.getElementById('player').currentTime")
    assert stopped == pytest.approx(end, abs=0.6)
    shot(page, "person")
    page.goto(server + "/people")
    assert page.locator(".person-card:has-text('Angie')").count() == 1


def test_filter_the_browse_page(server, page):
    page.goto(server + "/browse")
    total = int(page.inner_text("#browse-count").split()[0])
    page.select_option("select[name=brand]", "AURA")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/browse?**")
    assert page.inner_text("#browse-count").startswith("2 item")
    assert page.locator(".card").count() == 2
    page.goto(server + "/browse?kind=image&sort=name")
    filtered = int(page.inner_text("#browse-count").split()[0])
    assert 0 < filtered <= total
    shot(page, "browse")
