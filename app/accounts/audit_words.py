"""The audit log in sentences: "Rita approved claim 41 (Gornal, contested)".

Events record slugs and ids as they were; the sentences name people, settlements and sources
as they are now, looked up once per page for all its events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuditEvent, User
from app.domain import STATUS_OF, STATUS_PHRASES
from app.i18n import place_name
from app.settlements.models import Settlement
from app.sources.models import Source

# Fields whose change says nothing to a reader of the log (every decision bumps the version).
QUIET_FIELDS = frozenset({"version"})


@dataclass(frozen=True, slots=True)
class Change:
    """One field's value before and after, as words."""

    name: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class AuditLine:
    sentence: str
    claim_id: int | None = None  # linked from the sentence
    changes: list[Change] = field(default_factory=list)


@dataclass
class _Names:
    users: dict[int, str]
    settlements: dict[str, str]
    sources: dict[int, str]


def _int(value: object) -> int | None:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


def _names(session: Session, events: Sequence[AuditEvent]) -> _Names:
    user_ids = {e.actor_id for e in events if e.actor_id is not None}
    user_ids |= {i for e in events if e.entity_type == "user" and (i := _int(e.entity_id))}
    slugs = {str(e.after["settlement"]) for e in events if e.after and "settlement" in e.after}
    source_ids = {i for e in events if e.entity_type == "source" and (i := _int(e.entity_id))}
    users: dict[int, str] = {}
    settlements: dict[str, str] = {}
    sources: dict[int, str] = {}
    if user_ids:
        rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
        users = {user_id: username for user_id, username in rows}
    if slugs:
        rows_s = session.execute(
            select(Settlement.slug, Settlement.name, Settlement.name_uk, Settlement.name_ru).where(
                Settlement.slug.in_(slugs)
            )
        )
        # In the reader's language: the sentences are made for the page being shown.
        settlements = {row.slug: place_name(row) for row in rows_s}
    if source_ids:
        rows = session.execute(select(Source.id, Source.name).where(Source.id.in_(source_ids)))
        sources = {source_id: name for source_id, name in rows}
    return _Names(users, settlements, sources)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str) and value in STATUS_OF:
        return STATUS_PHRASES[STATUS_OF[value]]
    return (
        str(value).replace("_", " ") if isinstance(value, str) and " " not in value else str(value)
    )


def _changes(event: AuditEvent) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    if not before:
        return []
    return [
        Change(name.replace("_", " "), _value(before.get(name)), _value(value))
        for name, value in after.items()
        if before.get(name) != value and name not in QUIET_FIELDS
    ]


def _sentence(event: AuditEvent, names: _Names) -> tuple[str, int | None]:
    who = names.users.get(event.actor_id, "someone") if event.actor_id else "The system"
    after, before = event.after or {}, event.before or {}
    entity_id = _int(event.entity_id)
    action = event.action
    if event.entity_type == "claim" and entity_id is not None:
        slug = str(after.get("settlement", ""))
        place = names.settlements.get(slug, slug)
        status = STATUS_OF.get(str(after.get("status", "")))
        about = f" ({place}, {STATUS_PHRASES[status]})" if place and status else ""
        claim = f"claim {entity_id}{about}"
        verbs = {
            "claim.submit": f"{who} submitted {claim}",
            "claim.correct": f"{who} submitted {claim}, correcting claim "
            f"{after.get('supersedes_id')}",
            "claim.approve": f"{who} approved {claim}",
            "claim.reject": f"{who} rejected {claim}",
            "claim.seed": f"The demo dataset added {claim}",
        }
        sentence = verbs.get(action, f"{who}: {action} on {claim}")
        note = str(after.get("review_note") or "")
        if action == "claim.reject" and note:
            sentence += f": “{note}”"
        return sentence, entity_id
    if event.entity_type == "source":
        source = names.sources.get(entity_id, f"source {event.entity_id}") if entity_id else ""
        if action == "source.reliability":
            return (
                f"{who} changed the grade of {source} from {before.get('reliability')} to "
                f"{after.get('reliability')}",
                None,
            )
        if action == "source.create":
            return f"{who} added the source {after.get('name', source)}", None
        if action == "source.publish":
            return f"The source {source} became public: its first claim was approved", None
    if event.entity_type == "user":
        account = names.users.get(entity_id, "") if entity_id else ""
        account = account or str(after.get("username", "an unknown username"))
        words = {
            "user.create": f"{who} created the account {account} ({after.get('role')})",
            "user.deactivate": f"{who} deactivated the account {account}",
            "user.role": f"{who} changed the role of {account} from {before.get('role')} to "
            f"{after.get('role')}",
            "user.password": f"{who} changed the password of {account}",
            "login": f"{account} logged in",
            "logout": f"{account} logged out",
            "login.failed": f"A login as {account} failed",
            "login.throttled": f"Logins as {account} were paused after too many failures",
        }
        if action in words:
            return words[action], None
    if action == "import.upload":
        return f"{who} uploaded the file {after.get('file')} to check it for import", None
    if action == "import.commit":
        kind = after.get("kind") or "rows"
        added = after.get("added", 0)
        state = " (approved)" if after.get("approved") else ""
        return f"{who} imported {added:,} {kind}{state} from a file ({after.get('file')})", None
    if action == "seed":
        counts = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in after.items())
        return f"The demo dataset was loaded ({counts or 'nothing new'})", None
    if action == "seed.replace_demo":
        return f"The demo dataset replaced an older version ({before.get('version')})", None
    target = f"{event.entity_type} {event.entity_id}".strip()
    return f"{who}: {action} on {target}", None


def describe(session: Session, events: Sequence[AuditEvent]) -> dict[int, AuditLine]:
    """Each event (by id) as a sentence and its changes, with one lookup per kind of name."""
    names = _names(session, events)
    lines = {}
    for event in events:
        sentence, claim_id = _sentence(event, names)
        lines[event.id] = AuditLine(sentence + ".", claim_id, _changes(event))
    return lines
