"""What a valid settlement looks like on the way in (seed data, imports)."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.settlements.models import ALIAS_SEPARATOR, LocationPrecision
from app.settlements.regions import Bounds, check_latitude, check_longitude
from app.validation import check_name, check_slug, name_field, text_field


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _slug(value: object) -> object:
    return check_slug(value) if isinstance(value, str) else value


def _aliases(value: object) -> object:
    if isinstance(value, str):
        aliases = (check_name(a) for a in value.split(ALIAS_SEPARATOR))
        return ALIAS_SEPARATOR.join(a for a in aliases if a)
    return value


Text200 = Annotated[str, BeforeValidator(text_field), Field(max_length=200)]
Name200 = Annotated[str, BeforeValidator(name_field), Field(max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def _bounds(info: ValidationInfo) -> dict[str, Bounds] | None:
    return (info.context or {}).get("region_bounds")


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    slug: Annotated[str, BeforeValidator(_slug), Field(min_length=1, max_length=80)]
    name: Annotated[str, BeforeValidator(name_field), Field(min_length=1, max_length=200)]
    name_uk: Name200 = ""
    name_ru: Name200 = ""
    aliases: Annotated[str, BeforeValidator(_aliases), Field(max_length=2000)] = ""
    district: Text200 = ""
    region: Text200 = "Kursk"
    lat: Annotated[Latitude | None, BeforeValidator(_blank_to_none)] = None
    lon: Annotated[Longitude | None, BeforeValidator(_blank_to_none)] = None
    location_precision: Annotated[LocationPrecision | None, BeforeValidator(_blank_to_none)] = None
    population: Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_blank_to_none)] = (
        None
    )

    # In the region's box (app.settlements.regions); a validation context may carry the
    # configured boxes as "region_bounds", else the defaults apply.
    @field_validator("lat")
    @classmethod
    def _lat_in_region(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None or "region" not in info.data:
            return value
        return check_latitude(value, info.data["region"], _bounds(info))

    @field_validator("lon")
    @classmethod
    def _lon_in_region(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None or "region" not in info.data:
            return value
        return check_longitude(value, info.data["region"], _bounds(info))

    @model_validator(mode="after")
    def _coordinates_together(self) -> SettlementIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        if self.lat is None:
            self.location_precision = LocationPrecision.unknown
        elif self.location_precision in (None, LocationPrecision.unknown):
            # Coordinates without a stated precision are taken as given.
            self.location_precision = LocationPrecision.exact
        return self
