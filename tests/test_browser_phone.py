"""The UI on a phone (390 × 844), in English and Korean: one-line header, nothing wider than the screen,
hidden things hidden, and the lens's answer brought into the first screen."""
from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, browser, pick_photo, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(params=["en-US", "ko-KR"], ids=["english", "korean"])
def phone(browser, request):  # noqa: F811 - the fixture above
    context = browser.new_context(locale=request.param, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def one_line(page, selector: str) -> bool:
    """Every element the selector finds renders its text on one line (no word broken over two)."""
    return page.eval_on_selector_all(selector, """els => els.every(el => {
        const range = document.createRange(); range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return tops.size <= 1; })""")


@pytest.mark.parametrize("path", ["/", "/browse", "/people", "/moments"])
def test_the_header_keeps_each_word_whole_and_nothing_is_wider_than_the_screen(server, phone, path):  # noqa: F811
    phone.goto(server + path)
    assert one_line(phone, ".brand, .top nav a, .top nav.languages a, .top nav.languages strong")
    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"phone{path.replace('/', '-') or '-home'}.png"))


def test_hidden_things_stay_hidden(server, phone):  # noqa: F811
    phone.goto(server + "/moments")
    assert not phone.is_visible("#save-tag")  # before any search there is nothing to save
    phone.goto(server + "/?q=nothing-matches-this-qqq")
    phone.wait_for_selector("#status:not(:empty)")
    if phone.is_visible("#banner"):
        phone.click("#banner-close")
        assert not phone.is_visible("#banner")
        phone.reload()
        phone.wait_for_selector("#status:not(:empty)")
        assert not phone.is_visible("#banner")  # dismissed notes stay dismissed, and no empty bar is left


def test_the_lens_answer_reaches_the_first_screen(server, phone, fixture_set):  # noqa: F811
    phone.goto(server + "/")
    pick_photo(phone, fixture_set.root / "photos" / "aur-2040-cluttered.jpg")
    phone.wait_for_timeout(300)
    top = phone.eval_on_selector("#status", "el => el.getBoundingClientRect().top")
    card = phone.eval_on_selector(".card.result", "el => el.getBoundingClientRect().top")
    assert 0 <= top < PHONE["height"] and card < PHONE["height"], (top, card)
    assert phone.is_visible(".cutout-button")  # the upload is known before the cards are built
