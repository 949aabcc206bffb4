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
from app.i18n import N_, format_number, gettext, place_name
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
    # The words of the sentence that link to the claim ("claim 41"), in the reader's language.
    claim_link: str = ""


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
        return gettext("(empty)")
    if isinstance(value, str) and value in STATUS_OF:
        return gettext(STATUS_PHRASES[STATUS_OF[value]])
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


# Each kind of event as a sentence, its values named (word order differs between languages).
CLAIM_SENTENCES = {
    "claim.submit": N_("%(who)s submitted %(claim)s"),
    "claim.correct": N_("%(who)s submitted %(claim)s, correcting claim %(corrected)s"),
    "claim.approve": N_("%(who)s approved %(claim)s"),
    "claim.reject": N_("%(who)s rejected %(claim)s"),
    "claim.seed": N_("The demo dataset added %(claim)s"),
}
USER_SENTENCES = {
    "user.create": N_("%(who)s created the account %(account)s (%(role)s)"),
    "user.deactivate": N_("%(who)s deactivated the account %(account)s"),
    "user.role": N_("%(who)s changed the role of %(account)s from %(before)s to %(after)s"),
    "user.password": N_("%(who)s changed the password of %(account)s"),
    "login": N_("%(account)s logged in"),
    "logout": N_("%(account)s logged out"),
    "login.failed": N_("A login as %(account)s failed"),
    "login.throttled": N_("Logins as %(account)s were paused after too many failures"),
}


def _sentence(event: AuditEvent, names: _Names) -> tuple[str, int | None]:
    """The event in words, and the claim its words link (its words are "claim N")."""
    if event.actor_id:
        who = names.users.get(event.actor_id) or gettext("someone")
    else:
        who = gettext("The system")
    after, before = event.after or {}, event.before or {}
    entity_id = _int(event.entity_id)
    action = event.action
    if event.entity_type == "claim" and entity_id is not None:
        slug = str(after.get("settlement", ""))
        place = names.settlements.get(slug, slug)
        status = STATUS_OF.get(str(after.get("status", "")))
        claim = claim_words(entity_id)
        if place and status:
            claim = gettext("%(claim)s (%(settlement)s, %(status)s)") % {
                "claim": claim,
                "settlement": place,
                "status": gettext(STATUS_PHRASES[status]),
            }
        values = {"who": who, "claim": claim, "corrected": after.get("supersedes_id")}
        if action in CLAIM_SENTENCES:
            sentence = gettext(CLAIM_SENTENCES[action]) % values
        else:
            sentence = gettext("%(who)s: %(action)s on %(target)s") % {
                "who": who,
                "action": action,
                "target": claim,
            }
        note = str(after.get("review_note") or "")
        if action == "claim.reject" and note:
            sentence += f": “{note}”"
        return sentence, entity_id
    if event.entity_type == "source":
        source = (
            names.sources.get(entity_id) or gettext("source %(id)s") % {"id": event.entity_id}
            if entity_id
            else ""
        )
        if action == "source.reliability":
            return (
                gettext("%(who)s changed the grade of %(source)s from %(before)s to %(after)s")
                % {
                    "who": who,
                    "source": source,
                    "before": before.get("reliability"),
                    "after": after.get("reliability"),
                },
                None,
            )
        if action == "source.create":
            return gettext("%(who)s added the source %(source)s") % {
                "who": who,
                "source": after.get("name", source),
            }, None
        if action == "source.import":
            return gettext("%(who)s imported the source %(source)s from a file") % {
                "who": who,
                "source": after.get("name", source),
            }, None
        if action == "source.publish":
            return gettext("The source %(source)s became public: its first claim was approved") % {
                "source": source
            }, None
    if event.entity_type == "user":
        account = names.users.get(entity_id, "") if entity_id else ""
        account = account or str(after.get("username") or gettext("an unknown username"))
        if action in USER_SENTENCES:
            return gettext(USER_SENTENCES[action]) % {
                "who": who,
                "account": account,
                "role": _role(after.get("role")),
                "before": _role(before.get("role")),
                "after": _role(after.get("role")),
            }, None
    if action == "settlement.import":
        return gettext("%(who)s imported the settlement %(settlement)s from a file") % {
            "who": who,
            "settlement": after.get("name") or event.entity_id,
        }, None
    if action == "area_figure.import":
        return gettext("%(who)s imported an area figure from a file") % {"who": who}, None
    if action == "import.upload":
        return gettext("%(who)s uploaded the file %(file)s to check it for import") % {
            "who": who,
            "file": after.get("file"),
        }, None
    if action == "import.commit":
        kind = after.get("kind") or "rows"
        added = after.get("added", 0)
        values = {
            "who": who,
            "num": format_number(added),
            "kind": gettext(IMPORT_KINDS.get(kind, kind)),
            "file": after.get("file"),
        }
        if after.get("approved"):
            return gettext(
                "%(who)s imported %(num)s %(kind)s (approved) from a file (%(file)s)"
            ) % values, None
        return gettext("%(who)s imported %(num)s %(kind)s from a file (%(file)s)") % values, None
    if action == "seed":
        counts = ", ".join(
            f"{format_number(n)} {table.replace('_', ' ')}" for table, n in after.items()
        )
        return gettext("The demo dataset was loaded (%(counts)s)") % {
            "counts": counts or gettext("nothing new")
        }, None
    if action == "seed.replace_demo":
        return gettext("The demo dataset replaced an older version (%(version)s)") % {
            "version": before.get("version")
        }, None
    target = f"{event.entity_type} {event.entity_id}".strip()
    return gettext("%(who)s: %(action)s on %(target)s") % {
        "who": who,
        "action": action,
        "target": target,
    }, None


# What an import added, as the log's sentence names it.
IMPORT_KINDS = {
    "claims": N_("claims"),
    "settlements": N_("settlements"),
    "sources": N_("sources"),
    "area_figures": N_("area figures"),
    "rows": N_("rows"),
}
ROLE_NAMES = {"editor": N_("editor"), "reviewer": N_("reviewer"), "admin": N_("admin")}


def _role(role: object) -> str:
    return gettext(ROLE_NAMES[str(role)]) if str(role) in ROLE_NAMES else str(role)


def claim_words(claim_id: int) -> str:
    """ "claim 41": the words of a sentence that link to the claim."""
    return gettext("claim %(id)s") % {"id": claim_id}


def describe(session: Session, events: Sequence[AuditEvent]) -> dict[int, AuditLine]:
    """Each event (by id) as a sentence and its changes, with one lookup per kind of name."""
    names = _names(session, events)
    lines = {}
    for event in events:
        sentence, claim_id = _sentence(event, names)
        lines[event.id] = AuditLine(
            sentence + ".", claim_id, _changes(event), claim_words(claim_id) if claim_id else ""
        )
    return lines
