"""The derived history of the whole region: every settlement's status on every day, at once.

Built from the facts in one pass (``derive_history`` per settlement), it answers the status
on any date by a binary search, the timeline of any settlement, and every change of status
in the region (the /timeline page, the dashboard's latest changes, the date control's
previous/next buttons). Pure: no database here, the service feeds it and caches it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.domain import ControlStatus, Side
from app.status.derive import (
    UNKNOWN,
    ClaimFact,
    Derived,
    Interval,
    derive_history,
    timeline_from_history,
)


@dataclass(frozen=True, slots=True)
class SettlementHistory:
    days: list[date]
    derived: list[Derived]
    intervals: list[Interval]  # to the latest claim; the last one open-ended
    starts: list[date]  # the intervals' start dates, for binary search

    @classmethod
    def build(
        cls, facts: Iterable[ClaimFact], window_days: int, known_on: date | None = None
    ) -> SettlementHistory:
        return cls.from_entries(derive_history(facts, window_days, known_on))

    @classmethod
    def from_entries(cls, history: Sequence[tuple[date, Derived]]) -> SettlementHistory:
        intervals = timeline_from_history(history)
        return cls(
            days=[day for day, _ in history],
            derived=[derived for _, derived in history],
            intervals=intervals,
            starts=[iv.start for iv in intervals],
        )

    def truncated(self, last_day: date, *, before: bool = False) -> SettlementHistory:
        """The same history as it stood on ``last_day`` (``before``: the day before it):
        nothing derived after that."""
        i = (bisect_left if before else bisect_right)(self.days, last_day)
        if i == len(self.days):
            return self
        if i == 0:
            return EMPTY
        intervals = [iv for iv in self.intervals if iv.start <= self.days[i - 1]]
        if intervals:
            intervals[-1] = replace(intervals[-1], end=None, latest=self.derived[i - 1])
        return SettlementHistory(
            days=self.days[:i],
            derived=self.derived[:i],
            intervals=intervals,
            starts=[iv.start for iv in intervals],
        )

    def on(self, day: date) -> tuple[Derived, date | None]:
        """The derived status on ``day`` and the date it has held since."""
        i = bisect_right(self.days, day) - 1
        if i < 0:
            return UNKNOWN, None
        j = bisect_right(self.starts, day) - 1
        return self.derived[i], self.intervals[j].start

    def timeline(self, as_of: date) -> list[Interval]:
        """The intervals up to ``as_of``; the last one open, with the reasons as on ``as_of``."""
        shown = [iv for iv in self.intervals if iv.start <= as_of]
        if not shown:
            return []
        derived, _ = self.on(as_of)
        shown[-1] = replace(shown[-1], end=None, latest=derived)
        return shown


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One settlement's derived status changed on ``day``."""

    day: date
    settlement_id: int
    before: ControlStatus
    after: ControlStatus
    derived: Derived  # the derivation that day: which claims made the change
    sides: frozenset[Side]  # sides of the sources behind it

    @property
    def claim_ids(self) -> tuple[int, ...]:
        return self.derived.deciding_claim_ids or self.derived.conflicting_claim_ids


EMPTY = SettlementHistory([], [], [], [])

# The region chart counts each status twice: on fresh evidence, and on stale evidence (its
# own group, "russian_control:stale", drawn faded above the fresh one).
ChartGroup = ControlStatus | str
STALE_SUFFIX = ":stale"


def stale_group(status: ControlStatus) -> str:
    return status.value + STALE_SUFFIX


CHART_GROUPS: list[ChartGroup] = [
    ControlStatus.russian_control,
    stale_group(ControlStatus.russian_control),
    ControlStatus.ukrainian_control,
    stale_group(ControlStatus.ukrainian_control),
    ControlStatus.contested,
    stale_group(ControlStatus.contested),
    ControlStatus.unknown,
]


def group_changes(
    history: SettlementHistory, window_days: int, stale_days: int
) -> list[tuple[date, ChartGroup]]:
    """When a settlement's chart group changed: its status after each claim, then that
    status's stale group once no claim came for longer than the horizon (the window for
    ``contested``)."""
    changes: list[tuple[date, ChartGroup]] = []
    for i, (day, derived) in enumerate(zip(history.days, history.derived, strict=True)):
        if derived.status == ControlStatus.unknown:
            continue
        changes.append((day, derived.status))
        horizon = window_days if derived.status == ControlStatus.contested else stale_days
        stale_from = day + timedelta(days=horizon + 1)
        following = history.days[i + 1] if i + 1 < len(history.days) else None
        if following is None or stale_from < following:
            changes.append((stale_from, stale_group(derived.status)))
    merged: list[tuple[date, ChartGroup]] = []
    for day, group in changes:
        if not merged or merged[-1][1] != group:
            merged.append((day, group))
    return merged


def events_of(
    settlement_id: int,
    history: SettlementHistory,
    facts: Sequence[ClaimFact],
    since: date | None = None,
) -> list[ChangeEvent]:
    """The changes of a settlement's history (only those from ``since``, when given)."""
    side_of = {f.id: f.side for f in facts}
    events = []
    before = ControlStatus.unknown
    for interval in history.intervals:
        if since is None or interval.start >= since:
            events.append(change_event(settlement_id, interval, before, side_of))
        before = interval.status
    return events


def change_event(
    settlement_id: int,
    interval: Interval,
    before: ControlStatus,
    side_of: Mapping[int, Side],
) -> ChangeEvent:
    """The change into ``interval`` from ``before``, with the sides of the claims behind it."""
    derived = interval.derived
    ids = derived.deciding_claim_ids or derived.conflicting_claim_ids or derived.window_claim_ids
    return ChangeEvent(
        day=interval.start,
        settlement_id=settlement_id,
        before=before,
        after=interval.status,
        derived=derived,
        sides=frozenset(side_of[i] for i in ids if i in side_of),
    )


class RegionHistory:
    """Every settlement's history as known on ``known_on`` (None: everything known now)."""

    def __init__(
        self,
        settlements: Mapping[int, SettlementHistory],
        events_by_settlement: Mapping[int, list[ChangeEvent]],
        known_on: date | None = None,
    ) -> None:
        self.known_on = known_on
        self.settlements = dict(settlements)
        self._events_by_settlement = dict(events_by_settlement)
        self.events = sorted(
            (e for events in self._events_by_settlement.values() for e in events),
            key=lambda e: (e.day, e.settlement_id),
        )
        self._event_days = [e.day for e in self.events]
        self.change_days = sorted({e.day for e in self.events})

    @classmethod
    def build(
        cls,
        facts: Mapping[int, Sequence[ClaimFact]],
        window_days: int,
        known_on: date | None = None,
    ) -> RegionHistory:
        return cls({}, {}, known_on).replacing(facts, window_days)

    def replacing(
        self, facts: Mapping[int, Sequence[ClaimFact]], window_days: int
    ) -> RegionHistory:
        """A new history with these settlements derived again from their (complete) facts."""
        settlements = dict(self.settlements)
        events = dict(self._events_by_settlement)
        for settlement_id, settlement_facts in facts.items():
            history = SettlementHistory.build(settlement_facts, window_days, self.known_on)
            settlements[settlement_id] = history
            events[settlement_id] = events_of(settlement_id, history, settlement_facts)
        return RegionHistory(settlements, events, self.known_on)

    def as_known_on(
        self,
        known_on: date,
        changed: Mapping[int, tuple[date, Sequence[ClaimFact]]],
        window_days: int,
    ) -> RegionHistory:
        """This history (as known now) as it was known on ``known_on``.

        A settlement's history as known on K differs from today's only (a) after K, where K
        knew of no claim at all (every claim is published on or after its date), and (b) from
        the first claim dated by K that K saw otherwise (published after K, or corrected by a
        correction published after K): before that day both saw the same claims. So every
        settlement keeps today's history, cut at K; for those in ``changed`` (settlement id ->
        that first day, and its facts as known on K from W days before it) only the part from
        that day on is derived again. No need to read and derive every claim for each
        knowledge date.
        """
        settlements: dict[int, SettlementHistory] = {}
        events: dict[int, list[ChangeEvent]] = {}
        for settlement_id, history in self.settlements.items():
            first_changed = changed[settlement_id][0] if settlement_id in changed else None
            if first_changed is None:
                cut = history.truncated(known_on)
            else:
                cut = history.truncated(first_changed, before=True)
            if cut.days:
                settlements[settlement_id] = cut
                known = self._events_by_settlement.get(settlement_id, [])
                events[settlement_id] = [e for e in known if e.day <= cut.days[-1]]
        for settlement_id, (first_changed, facts) in changed.items():
            prefix = settlements.get(settlement_id, EMPTY)
            suffix = [
                (day, derived)
                for day, derived in derive_history(facts, window_days, known_on)
                if day >= first_changed
            ]
            history = SettlementHistory.from_entries(
                [*zip(prefix.days, prefix.derived, strict=True), *suffix]
            )
            kept = [e for e in events.get(settlement_id, []) if e.day < first_changed]
            new = events_of(settlement_id, history, facts, since=first_changed)
            if history.days:
                settlements[settlement_id] = history
                events[settlement_id] = kept + new
            else:
                settlements.pop(settlement_id, None)
                events.pop(settlement_id, None)
        return RegionHistory(settlements, events, known_on)

    def of(self, settlement_id: int) -> SettlementHistory:
        return self.settlements.get(settlement_id, EMPTY)

    def on(self, settlement_id: int, day: date) -> tuple[Derived, date | None]:
        return self.of(settlement_id).on(day)

    def of_day(self, day: date) -> Callable[[int], tuple[Derived, date | None]]:
        """Look-ups of any settlement's status on ``day`` and since when."""
        return lambda settlement_id: self.on(settlement_id, day)

    def events_until(self, day: date) -> list[ChangeEvent]:
        return self.events[: bisect_right(self._event_days, day)]

    def newest_events_until(self, day: date) -> Iterator[ChangeEvent]:
        """Changes on or before ``day``, newest first, without copying the list."""
        for i in range(bisect_right(self._event_days, day) - 1, -1, -1):
            yield self.events[i]

    def previous_change(self, day: date) -> date | None:
        i = bisect_left(self.change_days, day) - 1
        return self.change_days[i] if i >= 0 else None

    def next_change(self, day: date) -> date | None:
        i = bisect_right(self.change_days, day)
        return self.change_days[i] if i < len(self.change_days) else None

    def counts_series(
        self, settlement_ids: Iterable[int], as_of: date, window_days: int, stale_days: int
    ) -> list[tuple[date, dict[ChartGroup, int]]]:
        """How many of these settlements had each status, or stale evidence, day by day."""
        events: list[tuple[date, int, ChartGroup]] = []
        for settlement_id in set(settlement_ids):
            history = self.settlements.get(settlement_id)
            if history is None:
                continue
            for day, group in group_changes(history, window_days, stale_days):
                if day > as_of:
                    break
                events.append((day, settlement_id, group))
        events.sort(key=lambda e: (e[0], e[1]))
        groups = CHART_GROUPS
        counts: Counter[ChartGroup] = Counter({ControlStatus.unknown: len(set(settlement_ids))})
        current: dict[int, ChartGroup] = {}
        series: list[tuple[date, dict[ChartGroup, int]]] = []
        for day, settlement_id, group in events:
            counts[current.get(settlement_id, ControlStatus.unknown)] -= 1
            counts[group] += 1
            current[settlement_id] = group
            snapshot = {g: counts[g] for g in groups}
            if series and series[-1][0] == day:
                series[-1] = (day, snapshot)
            else:
                series.append((day, snapshot))
        return series
