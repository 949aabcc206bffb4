"""Settlement names in the reader's language: Ukrainian and Russian pages name each place in
their own script (name_uk, name_ru; the English name where one is missing), the map and its
image follow, and a search finds a place by any of its spellings from any page."""

from __future__ import annotations

import re

import pytest

from app.i18n import place_name, speaking
from tests.helpers import decide, submitted

# Korenevo is written differently in each language; Sudzha the same in Ukrainian and Russian.
KORENEVO = {"en": "Korenevo", "uk": "Коренєво", "ru": "Коренево"}
SUDZHA = {"en": "Sudzha", "uk": "Суджа", "ru": "Суджа"}
LANGUAGES = ("en", "uk", "ru")


def link_texts(html: str, slug: str) -> set[str]:
    """The text of every link to a settlement's page (without markup inside the link)."""
    found = re.findall(
        rf'<a[^>]* href="/settlements/{slug}(?:\?[^"]*)?"[^>]*>(.*?)</a>', html, re.S
    )
    return {re.sub(r"<[^>]+>", "", text).strip() for text in found}


def linked_slugs(html: str) -> set[str]:
    return set(re.findall(r'<a[^>]* href="/settlements/([a-z0-9-]+)[?"]', html))


def with_language(url: str, language: str) -> str:
    return url + ("&" if "?" in url else "?") + f"lang={language}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "url",
    [
        "/",  # latest changes, contested list, latest claims
        "/?as_of=2025-04-08",
        "/settlements",
        "/contested",
        "/timeline",
        "/sources/isw",  # the source's claims
    ],
)
def test_pages_name_each_settlement_in_the_readers_language(client, url, language):
    response = client.get(with_language(url, language))
    assert response.status_code == 200
    names = link_texts(response.text, "korenevo")
    assert KORENEVO[language] in names, (url, names)
    # No link to it keeps a name of another language.
    others = {name for lang, name in KORENEVO.items() if lang != language}
    assert not names & others, (url, names)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("slug", "names"), [("sudzha", SUDZHA), ("korenevo", KORENEVO)])
def test_a_settlements_page_is_titled_with_its_name_in_the_readers_language(
    client, language, slug, names
):
    html = client.get(f"/settlements/{slug}?lang={language}").text
    assert re.search(r"<h1>(.*?)</h1>", html).group(1) == names[language]
    assert re.search(r"<title>(.*?)</title>", html, re.S).group(1).startswith(names[language])
    # The date control steps through this settlement's own changes, and says so by name.
    assert re.search(rf'class="step step--prev"[^>]*title="[^"]*{names[language]}', html)


def test_a_missing_translation_falls_back_to_the_english_name():
    nameless = {"name": "Newplace", "name_uk": "", "name_ru": "Новоместо"}
    with speaking("uk"):
        assert place_name(nameless) == "Newplace"
    with speaking("ru"):
        assert place_name(nameless) == "Новоместо"
    with speaking("en"):
        assert place_name(nameless) == "Newplace"


def test_the_settlement_list_does_not_repeat_a_name_already_shown(client):
    russian = client.get("/settlements?q=sudzha&lang=ru").text
    assert 'class="alt-names"' not in russian  # the Russian name is the one shown
    english = client.get("/settlements?q=sudzha&lang=en").text
    assert '<span class="alt-names" lang="ru">Суджа</span>' in english


# --- the map ------------------------------------------------------------------------------


def test_geojson_names_each_settlement_in_ukrainian_and_russian_last(client):
    data = client.get("/export/status.geojson?as_of=2025-04-08&lang=uk").json()
    features = {f["id"]: f["properties"] for f in data["features"]}
    korenevo = features["korenevo"]
    # The contract only grows: the new names come after every property there was.
    assert list(korenevo)[-2:] == ["name_uk", "name_ru"]
    assert list(korenevo)[:2] == ["settlement", "name"]
    assert (korenevo["name"], korenevo["name_uk"], korenevo["name_ru"]) == (
        "Korenevo",
        "Коренєво",
        "Коренево",
    )
    assert all(p["name_uk"] and p["name_ru"] for p in features.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_map_image_names_settlements_in_the_language_it_is_asked_for(client, language):
    svg = client.get(f"/map.svg?as_of=2025-04-08&lang={language}").text
    assert f">{KORENEVO[language]} · " in svg
    others = {name for lang, name in KORENEVO.items() if lang != language}
    assert not any(f">{name} · " in svg for name in others)


def test_the_map_image_without_a_language_is_english(client):
    svg = client.get("/map.svg?as_of=2025-04-08").text
    assert ">Korenevo · " in svg
    assert "Коренєво" not in svg


def test_the_map_page_asks_for_its_image_in_its_language(client):
    ukrainian = client.get("/map?as_of=2025-04-08&lang=uk").text
    assert 'data-svg="/map.svg?as_of=2025-04-08&amp;lang=uk"' in ukrainian
    assert 'src="/map.svg?as_of=2025-04-08&amp;lang=uk"' in ukrainian
    # In English the image keeps the address it always had; the data stays English.
    english = client.get("/map?as_of=2025-04-08&lang=en").text
    assert 'data-svg="/map.svg?as_of=2025-04-08"' in english
    assert 'data-geojson="/export/status.geojson?as_of=2025-04-08"' in ukrainian


def test_the_unplaced_list_on_the_map_page_names_settlements_in_the_readers_language(client):
    html = client.get("/map?as_of=2025-04-08&lang=uk").text
    unplaced = html.split('id="unplaced-title"', 1)[1]
    assert "Махнівка" in link_texts(unplaced, "makhnovka")


# --- search in any spelling, from any page -------------------------------------------------

SUDZHA_SPELLINGS = ["суджа", "СУДЖА", "Суджа", "Sudzha", "SUDZHA", "sudja", "Суд"]
GUYEVO_SPELLINGS = ["Гуєво", "гуєво", "Гуево", "ГУЕВО", "Guyevo", "huieve", "Gujewo"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("query", "slug"),
    [(q, "sudzha") for q in SUDZHA_SPELLINGS] + [(q, "guyevo") for q in GUYEVO_SPELLINGS],
)
def test_the_settlement_list_finds_a_settlement_by_any_spelling(client, language, query, slug):
    html = client.get("/settlements", params={"q": query, "lang": language}).text
    assert linked_slugs(html) == {slug}, (query, language)


def test_yo_and_ye_meet_in_a_search(client):
    # Плёхово (the Russian name) is found typed with е, as people usually type it.
    for query in ["Плехово", "плёхово", "Плехове", "plekhovo"]:
        html = client.get("/settlements", params={"q": query, "lang": "en"}).text
        assert linked_slugs(html) == {"plekhovo"}, query


@pytest.mark.parametrize(
    ("query", "language", "shown"),
    [
        ("суджа", "en", "Sudzha"),
        ("СУДЖА", "en", "Sudzha"),
        ("Коренево", "en", "Korenevo"),
        ("Sudzha", "uk", "Суджа"),
        ("korenevo", "uk", "Коренєво"),
        ("Коренєво", "ru", "Коренево"),
        ("Korenewo", "ru", "Коренево"),
    ],
)
def test_the_dashboard_finder_answers_any_spelling_in_the_readers_language(
    client, query, language, shown
):
    html = client.get("/", params={"q": query, "lang": language}).text
    card = re.search(r'<h2 class="answer__name" id="answer-([a-z-]+)"><a [^>]*>([^<]*)</a>', html)
    assert card, query
    assert card.group(2) == shown
    # The finder's own HTMX answer (a block of the page) says the same.
    fragment = client.get(
        "/", params={"q": query, "lang": language}, headers={"HX-Request": "true"}
    ).text
    assert f">{shown}</a></h2>" in fragment


def test_the_api_finds_a_settlement_by_a_cyrillic_spelling(client):
    found = client.get("/api/v1/settlements", params={"q": "СУДЖА"}).json()
    assert [s["slug"] for s in found] == ["sudzha"]
    assert found[0]["name"] == "Sudzha"  # the API stays English


# --- the editors' pages -------------------------------------------------------------------


def test_review_queue_claim_and_audit_name_the_settlement_in_the_readers_language(editor, reviewer):
    claim_id = submitted(editor, settlement="Коренево")  # typed in Russian: resolved
    queue = reviewer.get("/review?lang=uk").text
    assert "Коренєво" in link_texts(queue, "korenevo")
    claim = reviewer.get(f"/claims/{claim_id}?lang=ru").text
    assert link_texts(claim, "korenevo") >= {"Коренево"}
    decide(reviewer, claim_id, "approve")
    audit = reviewer.get("/audit?lang=uk").text
    assert f"{claim_id} (Коренєво" in re.sub(r"<[^>]+>", "", audit)
    assert f"claim {claim_id} (Korenevo" in re.sub(
        r"<[^>]+>", "", reviewer.get("/audit?lang=en").text
    )


UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
RUSSIAN_ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def names_in_the_list(html: str) -> list[str]:
    table = html[html.index('<table class="table table--settlements">') :]
    return re.findall(r'<th scope="row">\s*<a href="/settlements/[^"]+">([^<]+)</a>', table)


@pytest.mark.parametrize(
    ("language", "alphabet"), [("uk", UKRAINIAN_ALPHABET), ("ru", RUSSIAN_ALPHABET)]
)
def test_the_settlement_list_is_in_the_readers_alphabet(client, language, alphabet):
    names = names_in_the_list(client.get(f"/settlements?lang={language}").text)
    assert len(names) >= 40

    def letters(name: str) -> list[int]:
        return [alphabet.index(c) if c in alphabet else -1 for c in name.lower() if c.isalpha()]

    assert names == sorted(names, key=letters)


def test_the_english_list_is_in_english_order(client):
    names = names_in_the_list(client.get("/settlements?lang=en").text)
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("language", "words", "option"),
    [
        ("en", "Sudzhansky district, Kursk region", '<option value="Sudzhansky" >Sudzhansky'),
        ("uk", "Суджанський район, Курська область", '<option value="Sudzhansky" >Суджанський'),
        ("ru", "Суджанский район, Курская область", '<option value="Sudzhansky" >Суджанский'),
    ],
)
def test_districts_and_the_region_are_named_in_the_readers_language(
    client, language, words, option
):
    assert words in client.get(f"/settlements/sudzha?lang={language}").text
    # The filter's values stay the stored names (addresses are the same in every language).
    assert option in client.get(f"/settlements?lang={language}").text
