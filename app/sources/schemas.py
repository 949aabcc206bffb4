"""What a valid source looks like on the way in."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.sources.models import Reliability, Side, SourceKind
from app.validation import check_http_url, check_slug, name_field


def _url(value: object) -> object:
    return check_http_url(value) if isinstance(value, str) else value


def _slug(value: object) -> object:
    return check_slug(value) if isinstance(value, str) else value


def _default_reliability(value: object) -> object:
    return Reliability.F if isinstance(value, str) and not value.strip() else value


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    slug: Annotated[str, BeforeValidator(_slug), Field(min_length=1, max_length=80)]
    name: Annotated[str, BeforeValidator(name_field), Field(min_length=1, max_length=200)]
    kind: SourceKind = SourceKind.other
    side: Side
    reliability: Annotated[Reliability, BeforeValidator(_default_reliability)] = Reliability.F
    homepage: Annotated[str, BeforeValidator(_url)] = ""
