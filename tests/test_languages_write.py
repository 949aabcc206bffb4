"""The team's pages in Ukrainian and Russian: forms answer in the language they were posted
from, messages beside the fields, confirmations and the login's refusal in that language;
feeds speak the ``lang`` they are asked in; the JSON API stays English whatever is asked."""

from __future__ import annotations

import re

import pytest

from tests.helpers import (
    GOOD_CLAIM,
    HEADER,
    PASSWORD,
    csrf_from,
    csv_bytes,
    error_beside,
    good_rows,
    make_user,
    settled,
    text_of,
)

# The words beside a field, per language: a choice left empty and a link that is not http(s).
STATUS_MISSING = {
    "uk": "Виберіть статус: під контролем Росії, під контролем України або спірний",
    "ru": "Выберите статус: под контролем России, под контролем Украины или спорный",
}
NOT_HTTP = {
    "uk": "має починатися з http:// або https://",
    "ru": "должно начинаться с http:// или https://",
}
NOT_STORED = {"uk": "Заяву не збережено.", "ru": "Заявление не сохранено."}


def post_claim(client, language: str, **changes: str):
    token = csrf_from(client, f"/claims/new?lang={language}")
    data = {**GOOD_CLAIM, **changes, "csrf_token": token}
    return client.post(f"/claims/new?lang={language}", data=data, follow_redirects=False)


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_bad_claim_form_answers_beside_the_fields_in_its_language(editor, language):
    form = editor.get(f"/claims/new?lang={language}").text
    # The form posts (and checks inline) in the language of the page it is on.
    assert f'action="/claims/new?lang={language}"' in form
    assert f'data-hx-post="/claims/check?lang={language}"' in form

    response = post_claim(editor, language, status="", source_url="ftp://example.org/x")
    assert response.status_code == 422
    html = response.text
    assert error_beside(html, "status") == STATUS_MISSING[language]
    assert error_beside(html, "source_url") == NOT_HTTP[language]
    assert NOT_STORED[language] in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_inline_check_answers_in_the_language_of_the_page(editor, language):
    token = csrf_from(editor, f"/claims/new?lang={language}")
    response = editor.post(
        f"/claims/check?lang={language}",
        data={**GOOD_CLAIM, "source_url": "javascript:alert(1)", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "claim-form", "HX-Trigger-Name": "source_url"},
    )
    assert response.status_code == 200
    assert error_beside(response.text, "source_url") == NOT_HTTP[language]


def test_a_date_out_of_range_beside_the_field_names_today_in_words(editor):
    html = post_claim(editor, "uk", as_of="2099-01-01", published_on="").text
    message = error_beside(html, "as_of")
    assert message.startswith("2099-01-01 поза допустимим діапазоном: вкажіть дату")
    assert not re.search(r"January|February|March|April|May|June|July|August", message)


def test_a_submitted_claim_is_confirmed_in_the_language_it_was_posted_in(editor):
    response = post_claim(editor, "uk")
    assert response.status_code == 303
    # The redirect after the form keeps the language.
    location = response.headers["location"]
    assert location.startswith("/claims/") and "lang=uk" in location
    page = editor.get(location).text
    assert re.search(r"Подано на перевірку: заява \d+ \([^,]+, спірний\)\.", page)
    assert "Submitted claim" not in page
    # The claim's page itself, in Ukrainian: its review state and facts.
    assert "Очікує перевірки: поки не враховується." in page
    assert "Історія змін" in page


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("uk", "Неправильне ім'я користувача або пароль."),
        ("ru", "Неверное имя пользователя или пароль."),
        ("en", "Wrong username or password."),
    ],
)
def test_a_wrong_password_is_refused_in_the_reader_s_language(
    anonymous, fresh_db, language, refusal
):
    make_user(fresh_db, "lena", "editor")
    form = anonymous.get(f"/login?lang={language}").text
    action = "/login" if language == "en" else f"/login?lang={language}"
    assert f'action="{action}"' in form
    token = csrf_from(anonymous, f"/login?lang={language}")
    response = anonymous.post(
        f"/login?lang={language}",
        data={"username": "lena", "password": PASSWORD + "x", "csrf_token": token},
    )
    assert response.status_code == 401
    assert refusal.replace("'", "&#39;") in response.text


def test_a_successful_login_keeps_the_language_on_its_way(anonymous, fresh_db):
    make_user(fresh_db, "lena", "editor")
    token = csrf_from(anonymous, "/login?lang=ru")
    response = anonymous.post(
        "/login?lang=ru",
        data={"username": "lena", "password": PASSWORD, "csrf_token": token, "next": "/import"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/import?lang=ru"


def test_import_preview_row_errors_in_the_reader_s_language(editor):
    """Row errors are stored with the batch as English sentences (the check runs in a worker
    thread, and the command line reports the same words). One that is a message of the
    catalogs as it stands is shown translated; one with values written into it (a line
    number, a date) stays as stored."""
    bad_link = "sudzha,contested,2025-02-01,,tass,ftp://example.org/x,unverified,x"
    bad_date = "sudzha,contested,2025-02-30,,tass,,unverified,y"
    data = csv_bytes([HEADER, *good_rows(2), bad_link, bad_date])
    token = csrf_from(editor, "/import?lang=uk")
    response = editor.post(
        "/import?lang=uk",
        data={"csrf_token": token},
        files={"file": ("claims.csv", data, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert "lang=uk" in location
    html = settled(editor, location)
    assert "Нічого не збережено." in html
    rows = re.findall(r'<tr class="row--refused">(.*?)</tr>', html, re.S)
    link_row = next(row for row in rows if "source_url" in row)
    assert NOT_HTTP["uk"] in link_row
    date_row = next(row for row in rows if "as_of" in row)
    assert "not a real calendar date" in date_row  # stored with its values: as stored
    assert "Відхилені рядки" in html and "Чому" in html
    # The same batch read in English is the English it always was.
    english = settled(editor, location.replace("lang=uk", "lang=en"))
    assert "must start with http:// or https://" in english


def test_the_feed_speaks_the_language_it_is_asked_in(client):
    ukrainian = client.get("/feed.atom?lang=uk")
    assert ukrainian.status_code == 200
    assert ukrainian.headers["content-language"] == "uk"
    assert "Трекер контролю Курщини: схвалені заяви" in ukrainian.text
    assert "Джерело:" in ukrainian.text and 'xml:lang="uk"' in ukrainian.text
    assert "/feed.atom?lang=uk" in ukrainian.text  # its self link
    russian = client.get("/settlements/sudzha/feed.atom?lang=ru").text
    assert "Трекер контроля Курской области: Суджа" in russian
    english = client.get("/feed.atom", headers={"Accept-Language": "uk"}).text
    assert "Kursk Control Tracker: approved claims" in english and "Source:" in english


def test_a_page_parameter_message_starts_with_the_parameter_name(client):
    for language, words in (("uk", "поза допустимим діапазоном"), ("ru", "вне допустимого")):
        response = client.get(f"/settlements?as_of=2099-01-01&lang={language}")
        assert response.status_code == 422
        assert f"as_of 2099-01-01 {words}" in text_of(response.text)


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("/api/v1/claims?since=2099-01-01&lang=uk", {}),
        ("/api/v1/claims?since=2099-01-01", {"Accept-Language": "uk"}),
        ("/api/v1/status?as_of=nonsense", {"Accept-Language": "ru", "Cookie": "kt_lang=ru"}),
    ],
)
def test_the_api_answers_422_in_english_whatever_language_is_asked(client, address, headers):
    response = client.get(address, headers=headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    message = detail[0]["message"]
    assert message.startswith(("since", "as_of")), message
    assert re.fullmatch(r"[\x20-\x7e]+", message), message  # English words only


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_team_pages_in_the_language_leave_no_english_heading(reviewer, language):
    review = reviewer.get(f"/review?lang={language}").text
    audit = reviewer.get(f"/audit?lang={language}").text
    sources = reviewer.get(f"/sources?lang={language}").text
    expected = {
        "uk": ("Черга перевірки", "Журнал змін", "Джерела та їхній послужний список"),
        "ru": ("Очередь проверки", "Журнал изменений", "Источники и их послужной список"),
    }[language]
    assert f"<h1>{expected[0]}</h1>" in review
    assert f"<h1>{expected[1]}</h1>" in audit
    assert f"<h1>{expected[2]}</h1>" in sources
    # The audit log's sentences are in the language too: "rita увійшов(-ла)".
    logged_in = {"uk": "rita увійшов(-ла).", "ru": "rita вошёл (вошла)."}[language]
    assert logged_in in text_of(audit)


# --- refusals that come before any form is read: in the page's language too ------------------

REFUSED_IN_WORDS = {
    "uk": {
        "csrf": "Ця форма застаріла або надіслана не з цього сайту",
        "nul": "summary не може містити символів NUL",
        "form": "частину форми не можна використати",
        "title": "Перевірте форму",
        "cursor": "не є курсором, який видав цей список",
        "utf8": "q: це не коректний текст UTF-8",
    },
    "ru": {
        "csrf": "Эта форма устарела или отправлена не с этого сайта",
        "nul": "summary не может содержать символы NUL",
        "form": "часть формы нельзя использовать",
        "title": "Проверьте форму",
        "cursor": "не является курсором, который выдал этот список",
        "utf8": "q: это не корректный текст UTF-8",
    },
}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_early_refusals_speak_the_page_s_language(editor, client, language):
    words = REFUSED_IN_WORDS[language]
    no_token = editor.post(f"/claims/new?lang={language}", data=GOOD_CLAIM)
    assert no_token.status_code == 403 and words["csrf"] in no_token.text
    nul = post_claim(editor, language, summary="a\x00b")
    assert nul.status_code == 422
    assert words["nul"] in nul.text and words["form"] in nul.text and words["title"] in nul.text
    cursor = client.get(f"/timeline?after=abc&lang={language}")
    assert cursor.status_code == 422 and words["cursor"] in cursor.text
    damaged = client.get(f"/settlements?q=%FF&lang={language}")
    assert damaged.status_code == 422 and words["utf8"] in damaged.text


def test_a_too_long_name_is_said_in_characters(editor):
    response = post_claim(editor, "en", settlement="x" * 100, source="y" * 100)
    assert response.status_code in (200, 422)
    assert "must be at most" in error_beside(response.text, "settlement")
    assert "items" not in response.text
