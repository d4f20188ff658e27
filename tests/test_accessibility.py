"""Accessibility checked by a real tool: axe-core (from the npm registry; `make test` fetches it) on every page,
in English and Korean, at phone and desktop width: no serious or critical violation. Skips without it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_browser import browser, pick_photo, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("VISEARCH_AXE", ROOT / ".venv" / "share" / "axe-core" / "axe.min.js"))
PAGES = ["/", "/browse", "/people", "/people/1", "/people/review", "/people/unassigned", "/moments",
         "/items/1", "/?q=nothing-matches-this-qqq", "/no-such-page"]
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=[(locale, width) for locale in ("en-US", "ko-KR") for width in WIDTHS],
                ids=lambda p: f"{p[0][:2]}-{p[1]}")
def audited(browser, request):  # noqa: F811 - the fixture above
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE} (make test fetches it from the npm registry)")
    locale, width = request.param
    context = browser.new_context(locale=locale, viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands: rule, and where."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    }""")
    return found


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(server, audited, path):  # noqa: F811
    audited.goto(server + path)
    audited.wait_for_load_state("networkidle")
    assert serious(audited) == [], path


def test_the_lens_answer_has_none_either(server, audited, fixture_set):  # noqa: F811
    audited.goto(server + "/")
    pick_photo(audited, fixture_set.root / "photos" / "aur-2040-cluttered.jpg")
    assert serious(audited) == []
