"""The tracker's vocabulary, with no dependencies: what a claim can say and how well it is
verified, where it stands in review, which side a source is on, and the words for each.

The derivation rule (app/status/derive.py) and its history are written in these terms only,
so they load without the database layer; the ORM models store them (app/db.py str_enum) and
re-export them. The calendar the tracker accepts is app/dates.py.
"""

from __future__ import annotations

import enum

from app.i18n import N_, gettext


class ControlStatus(enum.StrEnum):
    russian_control = "russian_control"
    ukrainian_control = "ukrainian_control"
    contested = "contested"
    unknown = "unknown"

    @property
    def label(self) -> str:
        """The status in the reader's language."""
        return gettext(STATUS_LABELS[self])


# What a source can say about a settlement. "unknown" is what the rule derives when nobody
# says anything: a claim cannot assert it (claims stored before this rule keep it).
ASSERTABLE_STATUSES = (
    ControlStatus.russian_control,
    ControlStatus.ukrainian_control,
    ControlStatus.contested,
)

STATUS_LABELS = {
    ControlStatus.russian_control: N_("Russian control"),
    ControlStatus.ukrainian_control: N_("Ukrainian control"),
    ControlStatus.contested: N_("Contested"),
    ControlStatus.unknown: N_("Unknown"),
}

# A status inside a sentence: "Oleg submitted claim 42 (Sudzha, under Russian control)".
STATUS_PHRASES = {
    ControlStatus.russian_control: N_("under Russian control"),
    ControlStatus.ukrainian_control: N_("under Ukrainian control"),
    ControlStatus.contested: N_("contested"),
    ControlStatus.unknown: N_("unknown"),
}


class Verification(enum.StrEnum):
    unverified = "unverified"
    geolocated = "geolocated"  # the place is verified, the time is not
    confirmed = "confirmed"  # independently confirmed
    refuted = "refuted"


class ReviewState(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Side(enum.StrEnum):
    russia = "russia"
    ukraine = "ukraine"
    neutral = "neutral"


# Value -> member, for code that reads raw column values by the hundred thousand.
STATUS_OF = {s.value: s for s in ControlStatus}
VERIFICATION_OF = {v.value: v for v in Verification}
SIDE_OF = {s.value: s for s in Side}
