"""The names of the districts and the region the demo data covers, for readers in Ukrainian and
Russian ("Sudzhansky" is "Суджанський" and "Суджанский").

District and region names are data, stored in English. These few are the ones the tracker
follows, so their words live in the catalogs like any other; a district added later shows as
it was typed until a translation is added here.
"""

from __future__ import annotations

from app.i18n import N_, gettext

PLACE_WORDS = frozenset(
    {
        N_("Belovsky"),
        N_("Bolshesoldatsky"),
        N_("Glushkovsky"),
        N_("Korenevsky"),
        N_("Sudzhansky"),
        N_("Kursk"),
    }
)


def place_word(name: str | None) -> str:
    """A district's or region's name in the reader's language, when the catalogs know it."""
    if not name:
        return ""
    return gettext(name) if name in PLACE_WORDS else name
