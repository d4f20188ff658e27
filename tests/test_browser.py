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

    from visearch.web import create_app

    library = tmp_path_factory.mktemp("browser") / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library)})
    app.extensions["visearch"].load_models()
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    _LIBRARIES[url] = library
    yield url
    server.close()


_LIBRARIES: dict[str, Path] = {}


def _server_library(url: str) -> Path:
    return _LIBRARIES[url]


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
    # Playwright's wait_for_function evaluates strings, which the app's CSP forbids: tests bypass it here,
    # and test_pages_run_no_inline_script_and_break_no_policy checks the policy with it enforced.
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield page
    page.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pick_photo(page, photo: Path) -> None:
    """Choose a photo with the lens's picker, as a user taps it, and wait for the answer's cards."""
    with page.expect_file_chooser() as chooser:
        page.click("#pick")
    chooser.value.set_files(str(photo))
    page.wait_for_selector(".card.result", timeout=120_000)


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


def test_other_names_are_added_and_removed_on_the_person_page(server, browser, shared_data):
    """The alias control, in Korean: a stage name added finds the person, and removed no longer does."""
    import json
    import urllib.request

    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(server + "/people")
    page.click(".person-card a")
    person = page.locator(".person").get_attribute("data-person")
    assert page.locator("#aliases button[type=submit]").inner_text() == "이름 추가"
    page.fill("#new-alias", "Stagename Rosé")
    page.press("#new-alias", "Enter")
    page.wait_for_selector(".remove-alias[data-alias='Stagename Rosé']")
    page.locator(".person-head").screenshot(path=str(ARTIFACTS / "person-aliases-ko-390.png"))
    found = json.load(urllib.request.urlopen(server + "/api/people?q=stagename%20rose"))["people"]
    assert [str(p["id"]) for p in found] == [person]  # accents folded: Rose finds Rosé
    page.reload()
    chip = page.locator(".remove-alias[data-alias='Stagename Rosé']")
    assert chip.get_attribute("aria-label") == "Stagename Rosé 이름 지우기"
    chip.click()
    page.wait_for_function("!document.querySelector(\".remove-alias[data-alias='Stagename Rosé']\")")
    assert json.load(urllib.request.urlopen(server + "/api/people?q=stagename"))["people"] == []
    context.close()


def test_merge_people_from_the_grid_then_split_and_reject_faces(server, page, shared_data):
    """Select cards and merge; a pair seen together is refused with the photo named; split and
    "not this person" from the person's faces, all with the mouse and no ids typed."""
    page.goto(server + "/people")
    before = page.locator(".person-card").count()
    assert before >= 3 and page.locator("#merge-selected").is_disabled()
    for box in page.locator(".select-person").all():
        box.check()
    assert page.inner_text("#merge-selected") == f"Merge {before} people"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#merge-selected")
    page.wait_for_function("document.getElementById('people-status').textContent.startsWith('Not merged')")
    assert "two faces in one picture are two people" in page.inner_text("#people-status")
    assert page.locator(".person-card").count() < before  # those never seen together did merge
    shot(page, "people-merge")

    page.goto(server + "/people")
    named = page.locator(".person-card").filter(has=page.locator(".card-name[value^='Ang']")).first
    named.locator("a").click()
    page.wait_for_selector(".grid.faces .face-card")
    faces = page.locator(".face-card").count()
    assert page.locator("#split-faces").is_disabled()
    page.locator(".select-face").last.check()
    page.once("dialog", lambda dialog: dialog.accept("Her double"))
    page.click("#split-faces")
    page.wait_for_function("document.getElementById('person-name').textContent === 'Her double'")
    assert page.locator(".face-card").count() == 1
    page.go_back()
    page.reload()
    page.wait_for_selector(".grid.faces .face-card")
    assert page.locator(".face-card").count() == faces - 1
    page.locator(".select-face").first.check()
    page.click("#reject-faces")
    page.wait_for_load_state("load")
    page.wait_for_function(f"document.querySelectorAll('.face-card').length === {faces - 2}")
    shot(page, "person-corrected")


def test_name_a_person_from_the_grid(server, page, shared_data):
    page.goto(server + "/people")
    card = page.locator(".person-card").filter(has=page.locator(".card-name[value='']")).first
    person = card.get_attribute("data-person")
    card.locator(".card-name").fill("Named Here")
    card.locator(".card-name").press("Enter")
    page.wait_for_function("document.getElementById('people-status').textContent === 'Named Named Here.'")
    page.goto(server + f"/people/{person}")
    assert page.inner_text("#person-name") == "Named Here"


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


# -- the first hour, as a new user meets it


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_relative_library_served_from_another_directory_shows_every_image(web_library, tmp_path, browser):
    """`visearch --library lib serve` with a relative path, started in another working directory."""
    import subprocess
    import sys
    import time
    import urllib.request

    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    shutil.copytree(web_library, workdir / "lib")
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(Path(__file__).parents[1]))
    server = subprocess.Popen([sys.executable, "-m", "visearch", "--library", "lib", "serve", "--port", str(port)],
                              cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        failures = []
        page.on("response", lambda r: failures.append((r.url, r.status)) if r.status >= 500 else None)
        page.goto(f"http://127.0.0.1:{port}/browse?per_page=24")
        page.wait_for_load_state("networkidle")
        sizes = page.eval_on_selector_all(".card img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert sizes and all(sizes), sizes
        assert not failures, failures
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "Traceback" not in server.stderr.read()


def test_a_file_that_is_not_an_image_gets_a_message_at_the_upload_control(server, page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/api/search" in r.url else None)
    page.goto(server + "/")
    page.set_input_files("#file", str(notes))
    page.wait_for_selector("#file-error:not([hidden])")
    assert "notes.txt is not an image" in page.inner_text("#file-error")
    page.click("#text-form button")  # an empty text search: its message sits at the text box
    assert "Type some words" in page.inner_text("#text-error")
    assert not requests
    shot(page, "errors")


def test_a_photo_of_something_else_gets_an_honest_empty_answer_and_a_url(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "no-product.jpg"))
    page.wait_for_selector(".empty-state", timeout=60_000)
    assert page.locator(".result").count() == 0
    assert "Draw the box" in page.inner_text(".empty-state")
    assert "photo=" in page.url
    shot(page, "lens-no-match")
    page.reload()
    page.wait_for_selector(".empty-state", timeout=60_000)
    assert page.locator("#lens").is_visible()


def test_exact_match_sits_beside_the_photo_above_the_fold(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "aur-2040-cluttered.jpg"))
    page.wait_for_selector(".result", timeout=60_000)
    first = page.locator(".result").first.bounding_box()
    photo = page.locator("#stage").bounding_box()
    assert first["y"] + first["height"] <= 900 and first["x"] > photo["x"] + photo["width"] - 1
    assert "exact product" in page.locator(".result").first.inner_text()
    assert page.locator(".banner:visible").count() <= 1
    shot(page, "lens-exact")


def test_text_search_clears_the_photo_and_back_brings_it_again(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "aur-2040-cluttered.jpg"))
    page.wait_for_selector(".result", timeout=60_000)
    page.fill("#text", "kettle")
    page.press("#text", "Enter")
    page.wait_for_url("**/?q=kettle")
    page.wait_for_function("document.getElementById('lens').hidden")
    page.go_back()
    page.wait_for_function("!document.getElementById('lens').hidden", timeout=60_000)
    page.wait_for_selector(".result", timeout=60_000)
    page.click("#clear-photo")
    assert page.locator("#lens").is_hidden() and page.locator(".result").count() == 0


def test_the_box_moves_and_resizes_from_the_keyboard(server, page, fixture_set):
    page.goto(server + "/")
    page.set_input_files("#file", str(fixture_set.root / "photos" / "aur-2040-cluttered.jpg"))
    page.wait_for_selector(".result", timeout=60_000)
    before = page.evaluate("({...document.getElementById('box').dataset})")
    page.focus("#box")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    after = page.evaluate("({...document.getElementById('box').dataset})")
    assert float(after["x"]) < float(before["x"]) and float(after["h"]) < float(before["h"])
    page.wait_for_url("**box=*", timeout=10_000)


def test_phone_width_has_compact_cards_and_folded_filters(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page.goto(server + "/?q=AX-2040")
    page.wait_for_selector(".result", timeout=60_000)
    assert page.locator(".result").first.bounding_box()["height"] < 200
    shot(page, "lens-390")
    page.goto(server + "/browse")
    assert not page.evaluate("document.getElementById('filter-panel').open")
    assert page.locator(".card").first.bounding_box()["y"] < 844
    shot(page, "browse-390")
    page.close()


def test_pages_run_no_inline_script_and_break_no_policy(server, browser):
    page = browser.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    for path in ("/", "/browse", "/people", "/items/1", "/?q=kettle"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    assert not violations, violations


def test_a_javascript_catalogue_link_never_runs(server, page):
    from pathlib import Path as P

    from visearch.indexer.records import Product
    from visearch.storage.library import Library

    library_path = _server_library(server)
    library = Library.open(library_path)
    item = next(i for i in library.docs.item_ids() if library.docs.products_for([i]))
    product = library.docs.products_for([item])[item]
    library.docs.upsert_products([Product(product.sku, product.title, product.brand, product.price, product.currency,
                                          "javascript:window.__ran=1", product.category,
                                          (P(library.docs.get([item])[item].path),))])
    library.save()
    library.close()
    page.goto(f"{server}/items/{item}")
    assert page.locator("a[href^='javascript']").count() == 0
    page.evaluate("document.querySelectorAll('a').forEach(a => a.href.startsWith('http') || a.click())")
    assert page.evaluate("window.__ran") is None


def test_make_a_fancam_from_the_person_page_and_play_it(server, page, shared_data):
    import json
    import urllib.request

    people = json.load(urllib.request.urlopen(server + "/api/people?all=1"))["people"]
    person = next(p for p in people if p["videos"])
    page.goto(f"{server}/people/{person['id']}")
    panel = page.locator(".fancam").first
    panel.locator(".fancam-aspect").select_option("1:1")
    panel.locator(".fancam-start").click()
    panel.locator(".fancam-progress").wait_for(state="visible", timeout=10_000)
    panel.locator(".fancam-result").wait_for(state="visible", timeout=180_000)
    assert panel.locator(".fancam-status").inner_text().startswith("Done:")
    page.wait_for_function("document.querySelector('.fancam-player').readyState >= 1", timeout=30_000)
    width, height, duration = page.evaluate(
        "[document.querySelector('.fancam-player').videoWidth, document.querySelector('.fancam-player').videoHeight,"
        " document.querySelector('.fancam-player').duration]")
    assert width == height and duration > 1.0  # 1:1, as chosen
    page.evaluate("document.querySelector('.fancam-player').play()")
    page.wait_for_function("document.querySelector('.fancam-player').currentTime > 0.2", timeout=30_000)
    assert panel.locator(".fancam-download").get_attribute("href").endswith(".mp4?download=1")
    shot(page, "fancam")


def test_a_video_frame_page_offers_a_fancam_of_who_is_in_it(server, page, shared_data):
    import json
    import urllib.request

    frames = json.load(urllib.request.urlopen(server + "/api/browse?kind=frame&per_page=100"))["items"]
    for frame in frames:
        page.goto(f"{server}/items/{frame['id']}")
        if page.locator(".fancam").count():
            break
    else:
        pytest.fail("no frame page offers a fancam")
    options = page.locator(".fancam-who option").all_inner_texts()
    assert options and not any(o.strip() == "" for o in options)
    # the frame's face and text boxes stop above the player's controls, whatever their place
    bands = page.eval_on_selector_all("#player ~ .overlay", "els => els.map(el => getComputedStyle(el).clipPath)")
    assert bands and all(band == "inset(0px 0px 48px)" for band in bands), bands


def test_find_a_persons_moments_play_one_and_save_them_as_a_tag(server, page, shared_data):
    page.goto(server + "/moments")
    page.select_option("#moment-person", index=1)  # the first person (other tests rename Angelina)
    page.click("#moments-form button[type=submit]")
    page.wait_for_selector(".moment")
    assert page.locator("#moments-status").inner_text().startswith('person "')
    page.locator(".play-moment").first.click()
    page.wait_for_function("document.getElementById('player').currentTime > 0", timeout=30_000)
    assert page.locator(".moment a").first.get_attribute("href").startswith("/export/clip/")
    page.fill("#tag-name", "Angelina on screen")
    page.click("#save-tag button")
    page.wait_for_url("**/moments?tag=*")
    page.wait_for_selector(".moment")
    assert page.locator("table.tags td a", has_text="Angelina on screen").count() == 1
    shot(page, "moments")
    # the video's page shows the tag as a row of its timeline, and a click plays that span
    video_frame = page.locator(".moment img").first.get_attribute("src").split("/")[-1]
    page.goto(f"{server}/items/{video_frame}")
    row = page.locator(".video-timeline .timeline-row", has_text="Angelina on screen")
    assert row.count() == 1
    segment = row.locator(".segment").first
    start = float(segment.get_attribute("data-start"))
    segment.click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.5 "
                           "&& !document.getElementById('player').paused", timeout=30_000)


def test_an_empty_moment_query_says_what_to_give(server, page):
    page.goto(server + "/moments")
    page.click("#moments-form button[type=submit]")
    page.wait_for_selector("#moments-status.error")
    assert "empty query" in page.locator("#moments-status").inner_text()
