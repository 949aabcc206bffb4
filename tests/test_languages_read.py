"""The reader's pages in Ukrainian and Russian: translated headings, dates the reader's way,
no English left of the marked messages; the error pages speak the reader's language too.

Real HTTP on the demo data, on 8 April 2025 (a day with fresh contested claims).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tests.helpers import text_of

DAY = "as_of=2025-04-08"
# (Babel writes a narrow no-break space before the year; text_of folds it into a space.)
DATES = {"uk": "8 квітня 2025 р.", "ru": "8 апреля 2025 г."}

# Each reader page: what it must say in each language, and English it must no longer say.
PAGES: dict[str, dict[str, list[str]]] = {
    "/": {
        "uk": ["Станом на 8 квітня 2025 р.", "Останні схвалені заяви", "Контрольована площа"],
        "ru": ["По состоянию на 8 апреля 2025 г.", "Последние одобренные заявления"],
        "en": ["Who holds a settlement?", "Latest approved claims", "Latest changes of status"],
    },
    "/map": {
        "uk": ["Мапа станом на", "Без координат", "Пунктирне коло: приблизне розташування"],
        "ru": ["Карта по состоянию на", "Без координат", "Пунктирный круг"],
        "en": ["Move through the dates", "No coordinates", "Dashed circle"],
    },
    "/timeline": {
        "uk": ["Область у часі", "Зміни статусу, спершу найновіші"],
        "ru": ["Область во времени", "Изменения статуса, сначала самые новые"],
        "en": ["The region over time", "Changes of status, newest first", "on the word of"],
    },
    "/contested": {
        "uk": ["Спірні станом на", "Вони були спірними, коли про них повідомляли востаннє"],
        "ru": ["Спорные по состоянию на", "Они были спорными, когда о них сообщали"],
        "en": ["A settlement is contested when", "These were contested when", "latest claim"],
    },
    "/settlements": {
        "uk": ["Пошук назв і написань", "Будь-який статус", "Остання заява"],
        "ru": ["Поиск названий и написаний", "Любой статус", "Последнее заявление"],
        "en": ["Search names and spellings", "Only stale statuses", "Any status"],
    },
    "/settlements/sudzha": {
        "uk": ["Чому такий статус", "Заяви, що враховуються", "Давність даних"],
        "ru": ["Почему такой статус", "Учитываемые заявления", "Давность данных"],
        "en": ["Why this status", "The claims that count", "Age of the evidence"],
    },
    "/about/method": {
        "uk": ["Як виводиться статус", "Які заяви враховуються.", "Бої, потім захоплення"],
        "ru": ["Как выводится статус", "Какие заявления учитываются.", "Бои, затем захват"],
        "en": ["How a status is derived", "Which claims count", "Fighting, then a capture"],
    },
}
# The chrome of every page: header, date bar, footer.
CHROME = {
    "uk": ["Трекер контролю Курщини", "Хронологія", "як повідомлялося тоді"],
    "ru": ["Трекер контроля Курской области", "Хронология", "как сообщалось тогда"],
    "en": ["Skip to content", "as reported then", "How statuses are derived"],
}


def page_text(client: TestClient, path: str, language: str) -> str:
    response = client.get(f"{path}?{DAY}&lang={language}")
    assert response.status_code == 200, (path, language)
    assert f'<html lang="{language}">' in response.text
    return html.unescape(text_of(response.text))


@pytest.mark.parametrize("language", ["uk", "ru"])
@pytest.mark.parametrize("path", list(PAGES))
def test_reader_page_speaks_the_language(reader: TestClient, path: str, language: str) -> None:
    text = page_text(reader, path, language)
    for words in PAGES[path][language] + CHROME[language]:
        assert words in text, (path, language, words)
    assert DATES[language] in text
    for english in PAGES[path]["en"] + CHROME["en"]:
        assert english not in text, (path, language, english)
    # No English month is built by hand any more (the date bar's steps, chart axes).
    assert not re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", text)


@pytest.mark.parametrize("path", list(PAGES))
def test_english_pages_keep_their_words(reader: TestClient, path: str) -> None:
    text = page_text(reader, path, "en")
    for english in PAGES[path]["en"]:
        assert english in text, (path, english)
    assert "8 Apr 2025" in text


def test_settlement_names_in_the_readers_script(reader: TestClient) -> None:
    assert "<h1>Суджа</h1>" in reader.get(f"/settlements/sudzha?{DAY}&lang=uk").text
    assert "<h1>Sudzha</h1>" in reader.get(f"/settlements/sudzha?{DAY}&lang=en").text


def test_numbers_and_areas_the_readers_way(reader: TestClient) -> None:
    text = page_text(reader, "/", "uk")
    assert "58 км²" in text
    assert "km²" not in text.replace("км²", "")


def test_the_map_script_gets_its_words_from_the_page(reader: TestClient) -> None:
    page = reader.get(f"/map?{DAY}&lang=ru").text
    found = re.search(r"data-map-words='([^']*)'", page)
    assert found
    words = json.loads(html.unescape(found.group(1)))
    assert words["open"] == "Открыть %(name)s и заявления о нём →"
    assert words["days_before"]["few"] == "за %(count)s дня до показанной даты"
    explained = words["explanations"]["decided by independently confirmed claims"]
    assert explained == "решено независимо подтверждёнными заявлениями"


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("uk", "Не знайдено", "За цією адресою сторінки немає."),
        ("ru", "Не найдено", "По этому адресу страницы нет."),
    ],
)
def test_not_found_page_speaks_the_language(
    reader: TestClient, language: str, title: str, message: str
) -> None:
    response = reader.get(f"/no-such-page?lang={language}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    text = html.unescape(text_of(response.text))
    assert f"<h1>{title}</h1>" in response.text
    assert message in text
    assert "Not found" not in text and "Not Found" not in text
    assert "Go to the dashboard" not in text


@pytest.mark.parametrize(
    ("language", "title", "lead"),
    [
        ("uk", "Перевірте адресу", "1 частину адреси не можна використати:"),
        ("ru", "Проверьте адрес", "1 часть адреса нельзя использовать:"),
    ],
)
def test_bad_address_page_speaks_the_language(
    reader: TestClient, language: str, title: str, lead: str
) -> None:
    response = reader.get(
        f"/settlements?as_of=not-a-date&lang={language}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 422
    text = html.unescape(text_of(response.text))
    assert f"<h1>{title}</h1>" in response.text
    assert lead in text
    assert "<code>as_of</code>" in response.text  # the parameter is named as in the address
    assert "Please check the address" not in text


def test_json_errors_stay_english(reader: TestClient) -> None:
    """The API is a data contract: its errors do not follow a page's language."""
    response = reader.get("/api/v1/no-such-thing?lang=uk", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_catalogs_use_neutral_words_and_no_guesses(language: str) -> None:
    path = Path(__file__).parents[1] / "app/locales" / language / "LC_MESSAGES/messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert not re.search(r"звільн|освобожд|окуп|оккуп", translated, re.IGNORECASE)
