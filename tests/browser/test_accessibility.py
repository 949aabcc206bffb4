"""axe-core, from the npm registry, judges every page at a desktop and a phone width.

Zero violations is the bar: a reader with a screen reader, a keyboard or a small screen gets
the same answers as everybody else. `make audit` runs the same check beside Lighthouse and
the Nu HTML checker and writes the figures to docs/AUDIT.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.helpers import IN_CI, PASSWORD, add_claim, make_user

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# (path, who reads it): None is an anonymous reader.
PAGES = [
    ("/", None),
    ("/map", None),
    ("/timeline", None),
    ("/contested", None),
    ("/settlements", None),
    ("/settlements/gornal", None),
    ("/sources", None),
    ("/sources/deepstate", None),
    ("/claims/1", None),
    ("/login", None),
    ("/about/method", None),
    ("/claims/new", "erin"),
    ("/review", "rita"),
    ("/import", "erin"),
    ("/audit", "rita"),
]
WIDTHS = [1280, 375]


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing: run `make setup-dev` (npm installs axe-core)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


@pytest.fixture
def tracker(fresh_server, fresh_db) -> str:
    """The demo data with an editor, a reviewer and a claim waiting in the review queue."""
    make_user(fresh_db, "erin", "editor")
    make_user(fresh_db, "rita", "reviewer")
    add_claim(
        fresh_db,
        settlement="gornal",
        source="deepstate",
        status="contested",
        as_of=date(2025, 4, 20),
        summary="Waiting for review, so that the queue has a row.",
        approve=False,
    )
    return fresh_server.base


def violations(page, script: str) -> list[str]:
    # evaluate() runs outside the page's CSP, which rightly refuses inline scripts.
    page.evaluate(script)
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => `${v.id} (${v.impact}): `
                      + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_axe_violations(browser, tracker, axe_script, width):
    found: dict[str, list[str]] = {}
    for who in (None, "erin", "rita"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        if who:
            page.goto(f"{tracker}/login")
            page.fill("#username", who)
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_load_state()
        for path, reader in PAGES:
            if reader != who:
                continue
            page.goto(tracker + path)
            problems = violations(page, axe_script)
            if problems:
                found[path] = problems
        context.close()
    assert found == {}, f"axe-core found violations at {width} px: {found}"
