"""/openapi.json tells the truth: a valid document, and every answer it describes is the
answer sent (content type, and the body against the documented schema), errors included."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.helpers import running_app
from tests.reliability.faults import UNREACHABLE_URL

# A real slug for each path parameter, and one that names nothing.
REAL = {"slug": "sudzha"}
SOURCE_SLUG = "isw"
MISSING = "no-such-place"
# Parameters the operation checks itself, with a value each refuses.
BAD = {"as_of": "2025-02-30", "since": "yesterday", "limit": "0", "q": "x" * 201}


@pytest.fixture(scope="module")
def spec(client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in spec["paths"].items() if "get" in item]


def address(path: str, slug: str | None = None) -> str:
    real = SOURCE_SLUG if path.startswith("/api/v1/sources/") else REAL["slug"]
    return path.replace("{slug}", slug or real)


def check_body(spec: dict[str, Any], operation: dict[str, Any], status: int, response) -> None:
    """The answer has the documented content type, and a JSON body fits the documented schema."""
    documented = operation["responses"][str(status)]
    content_type = response.headers["content-type"].split(";")[0].strip()
    assert content_type in documented["content"], (status, content_type)
    schema = documented["content"][content_type]["schema"]
    if content_type.endswith("json"):
        # The document's components alongside, so that its $refs resolve.
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        problems = [e.message for e in validator.iter_errors(response.json())]
        assert not problems, problems[:3]


def test_the_document_is_valid_openapi(spec):
    validate(spec)


def test_downloads_are_documented_with_their_real_content_types(spec):
    media = {path: list(op["responses"]["200"]["content"]) for path, op in operations(spec)}
    assert media["/export/claims.csv"] == ["text/csv"]
    assert media["/export/status.csv"] == ["text/csv"]
    assert media["/export/settlements.csv"] == ["text/csv"]
    assert media["/export/status.geojson"] == ["application/geo+json"]
    assert media["/feed.atom"] == ["application/atom+xml"]
    assert media["/settlements/{slug}/feed.atom"] == ["application/atom+xml"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # never sent


def test_every_success_is_as_documented(spec, client):
    for path, operation in operations(spec):
        response = client.get(address(path))
        assert response.status_code == 200, path
        check_body(spec, operation, 200, response)


def test_every_refused_parameter_is_as_documented(spec, client):
    checked = 0
    for path, operation in operations(spec):
        assert "422" in operation["responses"], path
        # A NUL character is refused in any parameter of any address.
        response = client.get(address(path), params={"q": "a\x00b"})
        assert response.status_code == 422, path
        check_body(spec, operation, 422, response)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in BAD:
                bad = {parameter["name"]: BAD[parameter["name"]]}
                response = client.get(address(path), params=bad)
                assert response.status_code == 422, (path, bad)
                check_body(spec, operation, 422, response)
                assert parameter["name"] in response.json()["detail"][0]["field"]
                checked += 1
    assert checked >= 12


def test_every_missing_thing_is_as_documented(spec, client):
    with_404 = [(p, op) for p, op in operations(spec) if "404" in op["responses"]]
    assert len(with_404) == 3
    for path, operation in with_404:
        response = client.get(address(path, MISSING))
        assert response.status_code == 404, path
        check_body(spec, operation, 404, response)
        assert MISSING in response.json()["detail"]


def test_every_outage_is_as_documented(spec):
    with running_app(UNREACHABLE_URL) as (_app, away):
        for path, operation in operations(spec):
            response = away.get(address(path))
            assert response.status_code == 503, path
            check_body(spec, operation, 503, response)
            if path != "/healthz":
                assert response.headers["retry-after"] == "30"
                assert "cannot be reached" in response.json()["detail"]
