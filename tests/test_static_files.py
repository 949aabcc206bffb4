"""Static files under content-hashed names, kept for a year; plain names still served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.static_files import StaticManifest, hashed_name, static_url

STATIC = PROJECT_ROOT / "static"
LINKED = [
    "css/app.css",
    "js/app.js",
    "js/docs.js",
    "favicon.svg",
    "vendor/htmx.min.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/swagger-ui/swagger-ui.css",
    "vendor/swagger-ui/swagger-ui-bundle.js",
]


def test_hashed_names_put_the_digest_before_the_suffix():
    assert re.fullmatch(r"css/app\.[0-9a-f]{8}\.css", hashed_name("css/app.css", b"body{}"))
    assert re.fullmatch(
        r"vendor/htmx\.min\.[0-9a-f]{8}\.js", hashed_name("vendor/htmx.min.js", b"")
    )
    assert re.fullmatch(r"LICENSE\.[0-9a-f]{8}", hashed_name("LICENSE", b"MIT"))
    assert hashed_name("a.css", b"one") != hashed_name("a.css", b"two")


@pytest.mark.parametrize("path", LINKED)
def test_a_hashed_address_is_served_for_a_year(reader, path):
    url = static_url(path)
    assert url != f"/static/{path}" and url.startswith("/static/")
    response = reader.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == (STATIC / path).read_bytes()


@pytest.mark.parametrize("path", LINKED)
def test_the_plain_address_keeps_working_briefly(reader, path):
    response = reader.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


def test_leaflet_finds_its_images_next_to_its_hashed_css(reader):
    css = reader.get(static_url("vendor/leaflet/leaflet.css")).text
    image = re.search(r"url\((images/[^)]+\.png)\)", css)
    assert image
    base = static_url("vendor/leaflet/leaflet.css").rsplit("/", 1)[0]
    assert reader.get(f"{base}/{image.group(1)}").status_code == 200


def test_an_unknown_or_old_hash_is_not_found(reader):
    assert reader.get("/static/css/app.00000000.css").status_code == 404
    assert reader.get("/static/css/../../pyproject.toml").status_code == 404


def test_a_conditional_request_for_a_static_file_gets_304(reader):
    url = static_url("css/app.css")
    etag = reader.get(url).headers["etag"]
    response = reader.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("page", "files"),
    [
        ("/", ["css/app.css", "js/app.js", "vendor/htmx.min.js", "vendor/leaflet/leaflet.js"]),
        ("/map", ["vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js", "favicon.svg"]),
        ("/login", ["css/app.css", "vendor/htmx.min.js"]),
        ("/docs", ["vendor/swagger-ui/swagger-ui-bundle.js", "js/docs.js"]),
    ],
)
def test_pages_link_the_hashed_addresses(reader, page, files):
    html = reader.get(page).text
    for path in files:
        assert f'"{static_url(path)}"' in html, path
    # Every static link of the page is a hashed one.
    for link in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert re.search(r"\.[0-9a-f]{8}\.\w+$", link), link


def test_a_changed_file_gets_a_new_address_at_the_next_start(tmp_path: Path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { color: black }")
    (tmp_path / ".stamp").write_text("")
    manifest = StaticManifest(tmp_path)
    manifest.build()
    first = manifest.url("css/app.css")
    assert manifest.original(first.removeprefix("/static/")) == "css/app.css"
    assert manifest.url(".stamp") == "/static/.stamp"  # hidden files get no hashed name
    (tmp_path / "css" / "app.css").write_text("body { color: navy }")
    manifest.build()
    assert manifest.url("css/app.css") != first
    assert manifest.original(first.removeprefix("/static/")) is None
    assert manifest.url("css/missing.css") == "/static/css/missing.css"
