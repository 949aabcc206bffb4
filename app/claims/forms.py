"""The claim form: raw fields in, a validated ClaimIn (and maybe a new source) or errors out."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from app.claims.schemas import ClaimIn
from app.sources.schemas import SourceIn
from app.text import slugify
from app.validation import field_errors

CLAIM_FIELDS = (
    "settlement",
    "status",
    "as_of",
    "published_on",
    "source",
    "source_url",
    "verification",
    "summary",
)
NEW_SOURCE_FIELDS = ("new_source_name", "new_source_kind", "new_source_side")
NEW_SOURCE = "__new__"
# Longest value kept from any field when re-rendering the form (the summary's own limit is
# checked and reported; this only stops a megabyte from being echoed back).
ECHO_LIMIT = 10_000


@dataclass
class ClaimForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    claim: ClaimIn | None = None
    new_source: SourceIn | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.claim is not None


def parse_claim_form(raw: dict[str, str]) -> ClaimForm:
    values = {name: raw.get(name, "")[:ECHO_LIMIT] for name in CLAIM_FIELDS + NEW_SOURCE_FIELDS}
    form = ClaimForm(values=values)
    claim_values = {name: raw.get(name, "") for name in CLAIM_FIELDS}
    if claim_values["source"] == NEW_SOURCE:
        name = raw.get("new_source_name", "").strip()
        try:
            form.new_source = SourceIn(
                slug=slugify(name) or "source",
                name=name,
                # Text in, checked by the model (an unknown kind or side is a field error).
                kind=raw.get("new_source_kind") or "other",  # type: ignore[arg-type]
                side=raw.get("new_source_side", ""),  # type: ignore[arg-type]
            )
            claim_values["source"] = form.new_source.slug
        except ValidationError as error:
            for key, message in field_errors(error.errors()).items():
                form.errors[f"new_source_{'name' if key == 'slug' else key}"] = message
            claim_values["source"] = "placeholder"
    try:
        form.claim = ClaimIn.model_validate(claim_values)
    except ValidationError as error:
        form.errors.update(field_errors(error.errors()))
    return form
