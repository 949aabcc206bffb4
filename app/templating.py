"""Templates: one per page; an HTMX request gets the named block of that same page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup, escape

from app import dates, flash, i18n
from app.accounts.csrf import csrf_token
from app.config import PROJECT_ROOT
from app.domain import STATUS_LABELS, ControlStatus, Verification
from app.i18n import N_, gettext, ngettext
from app.language import PARAMETER as LANGUAGE_PARAMETER
from app.language import is_page, with_language
from app.settlements.place_words import place_word
from app.sources.models import Side
from app.static_files import static_url
from app.status.derive import (
    FIGHTING_REPORTED,
    NOTE_TEXT,
    REASON_TEXT,
    Confidence,
    Derived,
    Note,
    Reason,
)
from app.status.history import CHART_GROUPS, STALE_SUFFIX
from app.status.models import Holder
from app.urls import absolute_url
from app.validation import is_safe_url

env = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "templates"),
    autoescape=True,  # every template, whatever its extension: nothing a user typed goes out raw
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do", "jinja2.ext.i18n"],
    # Checking every template file for changes on each render costs a stat per template on
    # every page; only development asks for it (``kursk-tracker serve --reload``).
    auto_reload=os.environ.get("KT_RELOAD_TEMPLATES", "") == "true",
)
# {% trans %} blocks are extracted and looked up with their whitespace folded, so a message
# may be wrapped across lines in a template without the catalog seeing the indentation.
env.policies["ext.i18n.trimmed"] = True
# Newstyle: ``_("%(n)s claims", n=3)`` formats after translating, and escapes what it inserts;
# {% trans %} blocks compile to the same calls. The callables are the newstyle_* below.
env.newstyle_gettext = True  # type: ignore[attr-defined]


# Jinja's newstyle callables take the template's context, only to ask whether it escapes
# (always, here: autoescape=True and no template turns it off). Called inside a loop or a
# block that sets a variable, a function taking the context gets a copy of the whole context
# made for it: hundreds per long page. These do the same without the context: the message
# is markup (as Jinja's are), and the values put into it are escaped.
def _filled(message: str, variables: dict[str, Any]) -> Markup:
    # What ``Markup(message) % variables`` makes, at a third of its cost (Markup's % wraps
    # each value in a helper object; a long page formats hundreds of messages).
    return Markup(message % {name: escape(value) for name, value in variables.items()})


def newstyle_gettext(__string: str, **variables: Any) -> str:
    return _filled(i18n.gettext(__string), variables)


def newstyle_ngettext(__singular: str, __plural: str, __num: int, **variables: Any) -> str:
    variables.setdefault("num", __num)
    return _filled(i18n.ngettext(__singular, __plural, __num), variables)


def newstyle_pgettext(__string_ctx: str, __string: str, **variables: Any) -> str:
    variables.setdefault("context", __string_ctx)
    return _filled(i18n.pgettext(__string_ctx, __string), variables)


env.globals.update(
    _=newstyle_gettext,
    gettext=newstyle_gettext,
    ngettext=newstyle_ngettext,
    pgettext=newstyle_pgettext,
)


def language_choices(request: Request) -> list[dict[str, Any]]:
    """The switch in the header: each language, the address of this page in it, and which
    one is being read. The switch goes through /language, which remembers the choice."""
    # Only the view state travels (as in url_for_page): a stray parameter of the address
    # never reaches a link.
    kept = view_params(request.query_params)
    here = request.url.path + ("?" + urlencode(kept) if kept else "")
    current = i18n.current_language()
    return [
        {
            "code": code,
            "name": name,
            "href": "/language?" + urlencode({"lang": code, "next": with_language(here, code)}),
            "alternate": absolute_url(request, with_language(here, code)),
            "current": code == current,
        }
        for code, name in i18n.LANGUAGES.items()
    ]


def _request_context(request: Request) -> dict[str, Any]:
    """What every page may use: the logged-in user, and a CSRF token made only when asked for."""
    return {
        "lang": i18n.current_language(),
        # Built once however often the page asks (the head's alternates, two switches).
        "language_choices": cache(lambda: language_choices(request)),
        "current_user": getattr(request.state, "user", None),
        "date_nav": getattr(request.state, "date_nav", (None, None)),
        # Whose changes the date control steps through: a settlement's name, or the region's.
        "date_nav_of": getattr(request.state, "date_nav_of", None),
        "known_on": getattr(request.state, "known_on", None),
        "reported_then": getattr(request.state, "reported_then", False),
        "csrf_token": lambda: csrf_token(request),
        # Called by the page layout only: an HTMX fragment never uses up a confirmation.
        "flash_messages": lambda: flash.take(request),
    }


templates = Jinja2Blocks(env=env, context_processors=[_request_context])

SIDE_LABELS = {
    Side.russia: N_("Russian"),
    Side.ukraine: N_("Ukrainian"),
    Side.neutral: N_("Neutral"),
}
VERIFICATION_LABELS = {
    Verification.unverified: N_("Unverified"),
    Verification.geolocated: N_("Geolocated (place verified, not time)"),
    Verification.confirmed: N_("Independently confirmed"),
    Verification.refuted: N_("Refuted"),
}

_jinja_max = env.filters["max"]


@pass_context
def numbers_max(
    context: Context, value: Any, case_sensitive: bool = False, attribute: str | int | None = None
) -> Any:
    """Jinja's ``max``, answered directly for a plain list of numbers (a timeline's bar widths:
    hundreds per settlement page), where Jinja's case folding and key function only cost."""
    plain = attribute is None and isinstance(value, list) and value
    if plain and all(type(v) is int or type(v) is float for v in value):
        return max(value)
    return _jinja_max(context.environment, value, case_sensitive, attribute)


# The short words of a claim's verification, as its tag shows them ("geolocated").
VERIFICATION_WORDS = {
    Verification.unverified: N_("unverified"),
    Verification.geolocated: N_("geolocated"),
    Verification.confirmed: N_("confirmed"),
    Verification.refuted: N_("refuted"),
}
CONFIDENCE_LABELS = {
    Confidence.high: N_("high"),
    Confidence.medium: N_("medium"),
    Confidence.low: N_("low"),
}
HOLDER_LABELS = {Holder.russia: N_("Russia"), Holder.ukraine: N_("Ukraine")}


def explanation(derived: Derived) -> str:
    """Why a status is what it is, in the reader's language (the API keeps the English)."""
    return _explanation(derived.status, derived.reason, derived.notes, i18n.current_language())


@lru_cache(maxsize=512)
def _explanation(status: ControlStatus, reason: Reason, notes: tuple[Note, ...], _lang: str) -> str:
    # The words depend on these three and the language only; a settlement's timeline or the
    # contested page asks for the same few explanations a hundred times.
    return Derived(status=status, reason=reason, notes=notes).explained(gettext)


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A plural message for a script, by the categories of Intl.PluralRules: the script picks
    the form for its number (one, few, many, other) without a catalog of its own."""
    return {
        category: ngettext(singular, plural, sample)
        for category, sample in (("one", 1), ("few", 2), ("many", 5), ("other", 5))
    }


def map_words() -> dict[str, Any]:
    """The words the map's script writes (popups, groups, markers), in the reader's language.
    Values are %(name)s templates the script fills in."""
    explanations = [*REASON_TEXT.values(), FIGHTING_REPORTED, *NOTE_TEXT.values()]
    return {
        "since": gettext("since %(date)s"),
        "confidence": gettext("confidence %(level)s"),
        "levels": {c.value: gettext(label) for c, label in CONFIDENCE_LABELS.items()},
        "approximate": gettext("approximate position"),
        "on_the_date_shown": gettext("on the date shown"),
        "days_before": plural_forms(
            "%(count)s day before the date shown", "%(count)s days before the date shown"
        ),
        "latest_claim": gettext("Latest claim %(age)s"),
        "stale_latest_claim": gettext("Stale: latest claim %(age)s"),
        "stale_mark": gettext("(stale)"),
        "open": gettext("Open %(name)s and its claims →"),
        "sides": {side.value: gettext(label) for side, label in SIDE_LABELS.items()},
        "verifications": {v.value: gettext(w) for v, w in VERIFICATION_WORDS.items()},
        "explanations": {words: gettext(words) for words in explanations},
        "group": plural_forms(
            "%(count)s settlement: %(words)s", "%(count)s settlements: %(words)s"
        ),
        "group_stale": gettext("%(count)s stale"),
        "zoom_in": gettext("Zoom in to see them."),
        "borders": gettext("Borders: Natural Earth"),
        "load_failed": gettext("The map data could not be loaded (%(error)s)."),
    }


# 8 Apr 2025, 8 квітня 2025 р.: unambiguous for readers anywhere.
human_date = i18n.format_date


def days_before(days: int | None) -> str:
    """How old evidence is: "12 days before the date shown", "on the date shown"."""
    if days is None:
        return ""
    if days == 0:
        return gettext("on the date shown")
    return ngettext(
        "%(count)s day before the date shown", "%(count)s days before the date shown", days
    ) % {"count": i18n.format_number(days)}


def status_label(value: ControlStatus | str) -> str:
    if isinstance(value, str) and value.endswith(STALE_SUFFIX):
        label = gettext(STATUS_LABELS[ControlStatus(value.removesuffix(STALE_SUFFIX))])
        return gettext("%(status)s, stale") % {"status": label}
    return gettext(STATUS_LABELS[ControlStatus(value)])


SAYS = {
    ControlStatus.russian_control: N_("say Russian control"),
    ControlStatus.ukrainian_control: N_("say Ukrainian control"),
    ControlStatus.contested: N_("report fighting (contested)"),
    ControlStatus.unknown: N_("say nothing"),
}


def chart_group_class(group: ControlStatus | str) -> str:
    """CSS classes of a chart band: its status's, and "stale" for the stale part."""
    status = str(group).removesuffix(STALE_SUFFIX)
    return f"band--{status}" + (" band--stale" if str(group).endswith(STALE_SUFFIX) else "")


# The query parameters that are view state (a page's date, search and filters): the only ones
# a link or the date form carries over from the current address. Anything else a visitor puts
# in the address is ignored, and never travels on into the links of the page.
VIEW_PARAMETERS = frozenset(
    {
        "as_of",
        "known_on",
        "q",
        "district",
        "status",
        "side",
        "source",
        "verification",
        "since",
        "until",
        "page",
        "after",
        # The settlement page's second list (its timeline's periods) has a cursor of its own.
        "periods",
        "stale",
    }
)


# Not pages (no redirect to a language), but they speak the ``lang`` they are given.
DRAWN_IN_READERS_LANGUAGE = frozenset({"/map.svg"})


@pass_context
def url_for_page(
    context: Context, path: str, kept: Mapping[str, str] | None = None, /, **params: Any
) -> str:
    """A link that keeps the page's dates: every view is a URL one can share.

    ``kept`` carries parameters from the current address (see view_params) as a plain mapping:
    names taken from an address must never become Python keyword arguments (a parameter
    called ``path`` or ``context`` would collide with this function's own).
    ``params`` are the ones a template writes out, and win over ``kept``.
    As reported then, a link to another date moves the knowledge date with it.
    """
    as_of = context.get("as_of")
    today = context.get("today")
    known_on = context.get("known_on")
    merged = {**(kept or {}), **params}
    if "as_of" not in merged and as_of and as_of != today:
        merged["as_of"] = as_of.isoformat()
    if known_on and "known_on" not in params:
        # As reported then, a link to another date moves the knowledge date with it, whatever
        # the address it was built from carried.
        moved = params.get("as_of") if context.get("reported_then") else None
        carried = str(moved) if moved else merged.get("known_on") or known_on.isoformat()
        if carried != (today.isoformat() if today else None):
            merged["known_on"] = carried
        else:
            merged.pop("known_on", None)
    merged.pop("view", None)
    # A page keeps the reader's language (downloads and the API speak English).
    merged.pop(LANGUAGE_PARAMETER, None)
    language = context.get("lang") or i18n.current_language()
    if is_page(path.partition("?")[0]):
        merged[LANGUAGE_PARAMETER] = language
    elif path in DRAWN_IN_READERS_LANGUAGE and language != i18n.DEFAULT_LANGUAGE:
        # The map image names the settlements in the language it is asked for; in English
        # its address stays the one it always was.
        merged[LANGUAGE_PARAMETER] = language
    # The dates first, then the rest, the language last: one view, one address.
    ordered = sorted(merged.items(), key=lambda item: item[0] not in ("as_of", "known_on"))
    query = {k: v for k, v in ordered if v not in (None, "")}
    return path + ("?" + urlencode(query) if query else "")


@pass_context
def page_under(context: Context, prefix: str) -> Callable[[str], str]:
    """``url_for_page(prefix ~ name)`` for the many names of a list (a page of claims links
    each claim's source): the query of a page's address does not depend on which page it is,
    so it is built once and each link is the path and that query."""
    sample = prefix + "-"
    query = url_for_page(context, sample).removeprefix(sample)

    def link(name: str) -> str:
        path = prefix + name
        return path + query if is_page(path) else url_for_page(context, path)

    return link


def per_value(macro: Callable[..., str], values: Iterable[Any], *args: Any) -> dict[Any, str]:
    """A macro's markup for each value, written once per page: a list then looks it up for
    each row (a badge per claim), as a macro call costs more than the rest of the row."""
    return {value: macro(value, *args) for value in values}


def view_params(params: Mapping[str, str], *dropped: str) -> dict[str, str]:
    """The view-state parameters of an address (VIEW_PARAMETERS), minus ``dropped``."""
    return {k: v for k, v in params.items() if k in VIEW_PARAMETERS and k not in dropped}


env.filters["human_date"] = human_date
env.filters["days_before"] = days_before
env.filters["view_params"] = view_params
# The older name, kept so that a template using it still carries only view-state parameters.
env.filters["without"] = view_params
env.filters["status_label"] = status_label
env.filters["side_label"] = lambda side: gettext(SIDE_LABELS[Side(side)])
env.filters["verification_label"] = lambda v: gettext(VERIFICATION_LABELS[Verification(v)])
env.filters["place_name"] = i18n.place_name
env.filters["mid_sentence"] = i18n.mid_sentence
env.filters["place_word"] = place_word


def full_stop(text: str) -> str:
    """A sentence with its full stop: none added after one already there (a Ukrainian or
    Russian date ends in "р." or "г.")."""
    text = str(text).rstrip()
    return text if text.endswith(".") else text + "."


env.filters["full_stop"] = full_stop
env.filters["explanation"] = explanation
env.filters["confidence_label"] = lambda c: gettext(CONFIDENCE_LABELS[Confidence(c)])
env.filters["verification_word"] = lambda v: gettext(VERIFICATION_WORDS[Verification(v)])
env.filters["holder_label"] = lambda h: gettext(HOLDER_LABELS[Holder(h)])
env.globals["map_words"] = map_words
env.filters["number"] = i18n.format_number
env.filters["area"] = i18n.format_area
env.filters["day_month"] = i18n.format_day_month
env.filters["month_year"] = i18n.format_month_year
env.filters["max"] = numbers_max
# Kept per address (a yes or no, no words): a page of claims asks it of each claim's link.
_is_safe_url_kept = lru_cache(maxsize=8192)(is_safe_url)


def safe_url(value: str | None) -> bool:
    return _is_safe_url_kept(value)


env.tests["safe_url"] = safe_url
env.globals["url_for_page"] = url_for_page
env.globals["page_under"] = page_under
env.globals["per_value"] = per_value
env.globals["Verification"] = Verification
env.globals["static_url"] = static_url
env.globals["ControlStatus"] = ControlStatus
# The status words for scripts (the map), from the one list of labels.
env.globals["status_label_words"] = lambda: {
    status.value: gettext(label) for status, label in STATUS_LABELS.items()
}
env.globals["Side"] = Side
env.globals["CHART_GROUPS"] = CHART_GROUPS
env.globals["EARLIEST_DATE"] = dates.EARLIEST_DATE
env.filters["band_class"] = chart_group_class
env.filters["says"] = lambda status: gettext(SAYS[ControlStatus(status)])
env.globals["STATUS_ORDER"] = [
    ControlStatus.russian_control,
    ControlStatus.ukrainian_control,
    ControlStatus.contested,
    ControlStatus.unknown,
]


@pass_context
def team_member(context: Context, user: Any, role_words: str) -> str:
    """A team member as the page names them: by username to the team, by role to readers.

    Readers never see who is on the team (a username may be an e-mail address).
    """
    if context.get("current_user") is not None and user is not None:
        return str(user.username)
    return role_words


env.globals["team_member"] = team_member


@pass_context
def in_language(context: Context, path: str) -> str:
    """A link or a form's action on the team's pages, in the page's language: as it is in
    English (the address a visitor without a language gets), with ``lang`` in any other, so
    that a form posted from a Ukrainian page answers in Ukrainian."""
    language = context.get("lang") or i18n.current_language()
    if language == i18n.DEFAULT_LANGUAGE:
        return path
    return with_language(path, language)


env.globals["in_language"] = in_language

# A source's kind in words (the form's options, the sources' pages).
KIND_LABELS = {
    "government": N_("government"),
    "military": N_("military"),
    "state_media": N_("state media"),
    "independent_media": N_("independent media"),
    "osint": N_("osint"),
    "other": N_("other"),
}
env.filters["kind_label"] = lambda kind: gettext(KIND_LABELS.get(str(kind), str(kind)))
IMPORT_STATE_LABELS = {
    "uploaded": N_("uploaded"),
    "checked": N_("checked"),
    "committed": N_("committed"),
    "refused": N_("refused"),
}
env.filters["import_state_label"] = lambda state: gettext(
    IMPORT_STATE_LABELS.get(str(state), str(state))
)


def stored_message(message: object) -> str:
    """A sentence stored in English (an import's row errors and warnings), in the reader's
    language when it is a message of the catalogs as it stands; as stored otherwise (most
    carry values, such as a line number, that were written into the sentence)."""
    text = str(message or "")
    return gettext(text) if text else text


env.filters["stored_message"] = stored_message


def is_htmx(request: Request) -> bool:
    # A history restore (back button after a cache miss) needs the whole page.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    fragments: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The full page, or one block of it when HTMX targets that block's element.

    ``fragments`` maps the id of an element HTMX may target to the block that renders it.
    Any other HTMX request (the date control swaps the whole #page) gets the full page.
    """
    context.setdefault("today", dates.today())
    extra: dict[str, Any] = {}
    if is_htmx(request) and fragments:
        block = fragments.get(request.headers.get("HX-Target", ""))
        if block:
            extra["block_name"] = block
            # A list's "more" link asks for its block: the pager then counts from row 1.
            context["htmx_block"] = block
    response = templates.TemplateResponse(request, name, context, status_code=status_code, **extra)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
