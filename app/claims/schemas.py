"""What a valid claim looks like on the way in: one model for the form, the import and the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from app import dates
from app.claims.models import ASSERTABLE_STATUSES, SUMMARY_MAX_LENGTH, ControlStatus, Verification
from app.i18n import gettext
from app.validation import (
    check_http_url,
    check_plain_text,
    check_text,
    choice_message,
    parse_iso_date,
)


def _date(value: object) -> object:
    return parse_iso_date(value) if isinstance(value, str) else value


def _in_range(value: date) -> date:
    # Strings were checked while parsed; a date object (the API, a test) is checked here.
    return dates.check_in_range(value)


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _url(value: object) -> object:
    return check_http_url(value) if isinstance(value, str) else value


def _summary(value: object) -> object:
    return check_plain_text(value.strip(), SUMMARY_MAX_LENGTH) if isinstance(value, str) else value


def _slug(value: object) -> object:
    # A slug, or (for settlements) a name in any spelling: one-line text, compared lower-case.
    return check_text(value.strip()).lower() if isinstance(value, str) else value


IsoDate = Annotated[date, BeforeValidator(_date), AfterValidator(_in_range)]
Slug = Annotated[str, BeforeValidator(_slug), Field(min_length=1, max_length=80)]


class ClaimIn(BaseModel):
    """One claim as submitted. Field names are the CSV column names (README, "Data in and out")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    settlement: Slug
    status: ControlStatus
    as_of: IsoDate
    published_on: Annotated[IsoDate | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, validate_default=True
    )
    source: Slug
    source_url: Annotated[str, BeforeValidator(_url)] = ""
    verification: Verification = Verification.unverified
    summary: Annotated[str, BeforeValidator(_summary)] = ""

    @field_validator("status")
    @classmethod
    def _asserted(cls, value: ControlStatus) -> ControlStatus:
        if value not in ASSERTABLE_STATUSES:
            raise ValueError(
                gettext(
                    "%(choices)s (%(value)s is what the tracker derives "
                    "when no source says anything)"
                )
                % {"choices": choice_message("status"), "value": value.value}
            )
        return value

    @field_validator("published_on")
    @classmethod
    def _published_after_as_of(cls, value: date | None, info: ValidationInfo) -> date | None:
        as_of = info.data.get("as_of")
        if value is None:
            return as_of
        if as_of is not None and value < as_of:
            raise ValueError(
                gettext(
                    "A source cannot report a day ahead: give a date on or after %(date)s, "
                    "the day the status held on (or leave it empty)"
                )
                % {"date": as_of.isoformat()}
            )
        return value
