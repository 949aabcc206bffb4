"""Words for people: confirmations once after a write, error pages, provenance, /docs."""

from __future__ import annotations

import re

from tests.helpers import csrf_from, decide, submit, submitted

FLASH = re.compile(r'<div class="flash" role="status">(.*?)</div>', re.S)


def flashes(html: str) -> str:
    match = FLASH.search(html)
    return match.group(1) if match else ""


def follow(client, response) -> str:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_submit_is_confirmed_once_on_the_claim_page(editor):
    response = submit(editor)
    page = follow(editor, response)
    claim_id = response.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert f"Submitted claim {claim_id} (Sudzha, contested) for review." in flashes(page)
    # Shown once: the next page has no confirmation.
    assert flashes(editor.get(response.headers["location"]).text) == ""


def test_approve_and_reject_are_confirmed_on_the_next_page(editor, reviewer):
    first = submitted(editor)
    second = submitted(editor, as_of="2025-03-02", published_on="2025-03-02")
    page = follow(reviewer, decide(reviewer, first, "approve"))
    assert f"Approved claim {first} (Sudzha, contested)." in flashes(page)
    page = follow(reviewer, decide(reviewer, second, "reject", review_note="Duplicate footage"))
    assert f"Rejected claim {second} (Sudzha, contested)." in flashes(page)
    assert flashes(reviewer.get("/review").text) == ""


def test_a_refused_decision_leaves_no_confirmation(editor, reviewer):
    claim_id = submitted(editor)
    assert decide(reviewer, claim_id, "approve").status_code == 303
    reviewer.get(f"/claims/{claim_id}")  # the confirmation of the first decision, shown
    refused = decide(reviewer, claim_id, "approve", version="1")
    assert refused.status_code == 409
    assert flashes(reviewer.get(f"/claims/{claim_id}").text) == ""


def test_grade_change_is_confirmed_in_words(reviewer):
    token = csrf_from(reviewer, "/sources/deepstate")
    response = reviewer.post(
        "/sources/deepstate/reliability",
        data={"csrf_token": token, "reliability": "A"},
        follow_redirects=False,
    )
    assert "The grade of DeepState is now A (it was " in flashes(follow(reviewer, response))


def test_confirmations_are_for_the_browser_that_wrote(editor, anonymous):
    submit(editor)
    assert flashes(anonymous.get("/").text) == ""


def test_a_page_with_a_confirmation_is_never_cached_for_others(editor):
    response = submit(editor)
    page = editor.get(response.headers["location"])
    assert flashes(page.text)
    assert "private" in page.headers.get("cache-control", "") or "no-store" in page.headers.get(
        "cache-control", ""
    )


def test_the_422_page_says_each_problem_once(client):
    response = client.get("/settlements/sudzha", params={"as_of": "2025-02-30"})
    assert response.status_code == 422
    assert response.text.count("not a real calendar date") == 1
    assert "<code>as_of</code>" in response.text


def test_a_demo_claim_says_it_comes_from_the_demo_dataset(client):
    page = client.get("/claims/1").text
    assert "From the demo dataset: it counts towards the status." in page
    assert "Approved on" not in page and "Approved by" not in page


def test_an_imported_claim_says_when_and_only_the_team_sees_the_file(editor, reviewer, anonymous):
    from tests.helpers import HEADER, confirm, csv_bytes, good_rows, settled, upload

    response = upload(editor, csv_bytes([HEADER, *good_rows(1)]), name="week-19.csv")
    location = response.headers["location"]
    settled(editor, location)
    page = follow(editor, confirm(editor, location))
    assert "Imported 1 claim from week-19.csv, waiting for review." in flashes(page)
    claim_id = int(re.findall(r"/claims/(\d+)", reviewer.get("/review").text)[0])
    decide(reviewer, claim_id, "approve")
    team_page = reviewer.get(f"/claims/{claim_id}").text
    assert "Imported on " in team_page and "; approved by rita on " in team_page
    assert "week-19.csv" in team_page
    reader_page = anonymous.get(f"/claims/{claim_id}").text
    assert "Imported on " in reader_page and "approved by a reviewer" in reader_page
    assert "week-19.csv" not in reader_page and "rita" not in reader_page


def test_the_api_page_is_in_the_site_layout_without_inline_scripts(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert '<header class="site-header">' in response.text
    assert re.search(r'<link rel="stylesheet" href="/static/css/app\.\w+\.css">', response.text)
    assert re.search(r'src="/static/vendor/swagger-ui/swagger-ui-bundle\.\w+\.js"', response.text)
    assert "<script>" not in response.text and "<script " not in response.text.replace(
        "<script src=", ""
    )
    assert (
        "unsafe-inline"
        not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
