"""What a valid area figure looks like on the way in."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.claims.schemas import IsoDate, Slug
from app.status.models import Holder
from app.validation import check_http_url, check_plain_text


def _url(value: object) -> object:
    return check_http_url(value) if isinstance(value, str) else value


def _summary(value: object) -> object:
    return check_plain_text(value.strip(), 2000) if isinstance(value, str) else value


class AreaFigureIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    as_of: IsoDate
    holder: Holder
    area_km2: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
    source: Slug
    source_url: Annotated[str, BeforeValidator(_url)] = ""
    summary: Annotated[str, BeforeValidator(_summary)] = ""
