"""An editor imports a spreadsheet in the browser: a bad row is explained, fixed, then imported."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in_page, make_user

pytestmark = pytest.mark.browser

HEADER = "settlement;status;as_of;source;verification;summary"  # a spreadsheet's semicolons
GOOD = [
    "sudzha;contested;2024-08-12;isw;geolocated;Fighting in the south of Sudzha.",
    "guyevo;ukrainian_control;2024-08-14;ua-general-staff;unverified;General Staff: Guyevo held.",
]
BAD = "gornal;liberated;2024-08-14;ua-general-staff;unverified;Gornal 'liberated'."


def test_upload_preview_fix_commit_review(browser, fresh_server, fresh_db, tmp_path, artifacts_dir):
    make_user(fresh_db, "erin", "editor")
    make_user(fresh_db, "rita", "reviewer")
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in_page(page, fresh_server, "erin")

    bad_file = tmp_path / "august.csv"
    bad_file.write_text("\n".join([HEADER, *GOOD, BAD]) + "\n", encoding="utf-8-sig")
    page.goto(f"{fresh_server}/import")
    page.set_input_files("#file", str(bad_file))
    page.click("form[action='/import'] button[type=submit]")
    expect(page.locator(".outcome--refused")).to_contain_text("Nothing was stored")
    refused = page.locator("tr.row--refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("4")
    expect(refused).to_contain_text("status")
    expect(refused).to_contain_text("Choose a status")
    page.screenshot(path=str(artifacts_dir / "import-refused.png"), full_page=True)

    fixed = tmp_path / "august-fixed.csv"
    fixed.write_text(
        "\n".join([HEADER, *GOOD, BAD.replace("liberated", "contested")]) + "\n", encoding="utf-8"
    )
    page.goto(f"{fresh_server}/import")
    page.set_input_files("#file", str(fixed))
    page.click("form[action='/import'] button[type=submit]")
    expect(page.locator(".outcome")).to_contain_text("Every row is fine")
    expect(page.locator("table").last).to_contain_text("gornal")
    page.screenshot(path=str(artifacts_dir / "import-preview.png"), full_page=True)
    page.click("text=Import 3 claims")
    expect(page.locator(".outcome--ok")).to_contain_text("3 claims added, waiting for review")

    reviewer = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in_page(reviewer, fresh_server, "rita")
    reviewer.goto(f"{fresh_server}/review")
    expect(reviewer.locator(".review-item")).to_have_count(3)
    expect(reviewer.locator(".review-item").first).to_contain_text("Sudzha")
