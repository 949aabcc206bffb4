"""Loading the demo facts from data/: settlements, sources, claims, area figures. Idempotent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import audit
from app.claims import service as claims_service
from app.claims.schemas import ClaimIn
from app.interchange.csv_io import CsvRow, read_file
from app.settlements import service as settlements_service
from app.settlements.models import Settlement
from app.settlements.schemas import SettlementIn
from app.sources import service as sources_service
from app.sources.schemas import SourceIn
from app.status.models import AreaFigure
from app.status.schemas import AreaFigureIn
from app.validation import field_errors

M = TypeVar("M", bound=BaseModel)


class SeedError(Exception):
    """A demo file has rows that do not validate; nothing was stored."""


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Settlement))


def _validated(path: Path, model: type[M]) -> list[tuple[CsvRow, M]]:
    _header, rows = read_file(path)
    good: list[tuple[CsvRow, M]] = []
    problems: list[str] = []
    for row in rows:
        try:
            good.append((row, model.model_validate(row.values)))
        except ValidationError as error:
            reasons = "; ".join(f"{k}: {v}" for k, v in field_errors(error.errors()).items())
            problems.append(f"{path.name} line {row.line}: {reasons}")
    if problems:
        raise SeedError("\n".join(problems))
    return good


def seed(session: Session, data_dir: Path, *, reference_only: bool = False) -> Counter[str]:
    """Load data_dir's CSV files; rows already present are left alone. Does not commit."""
    added: Counter[str] = Counter()

    def load(name: str, model: type[BaseModel], store: Callable[[Any, CsvRow], bool]) -> None:
        path = data_dir / name
        if not path.exists():
            return
        for row, item in _validated(path, model):
            if store(item, row):
                added[name.removesuffix(".csv")] += 1

    def store_settlement(item: SettlementIn, _row: CsvRow) -> bool:
        if settlements_service.get_by_slug(session, item.slug):
            return False
        settlements_service.upsert(session, item.model_dump())
        return True

    def store_source(item: SourceIn, _row: CsvRow) -> bool:
        if sources_service.get_by_slug(session, item.slug):
            return False
        sources_service.upsert(session, item.model_dump())
        return True

    def store_claim(item: ClaimIn, row: CsvRow) -> bool:
        settlement = settlements_service.get_by_slug(session, item.settlement)
        source = sources_service.get_by_slug(session, item.source)
        if settlement is None or source is None:
            missing = "settlement" if settlement is None else "source"
            raise SeedError(f"claims.csv line {row.line}: unknown {missing}")
        if claims_service.find_duplicate(
            session,
            settlement_id=settlement.id,
            source_id=source.id,
            as_of=item.as_of,
            status=item.status,
        ):
            return False
        claims_service.add(
            session,
            item,
            settlement=settlement,
            source=source,
            approve=True,
            audit_action="claim.seed",
        )
        return True

    def store_area(item: AreaFigureIn, row: CsvRow) -> bool:
        source = sources_service.get_by_slug(session, item.source)
        if source is None:
            raise SeedError(f"area_figures.csv line {row.line}: unknown source")
        exists = session.scalar(
            select(AreaFigure.id).where(
                AreaFigure.as_of == item.as_of,
                AreaFigure.holder == item.holder,
                AreaFigure.source_id == source.id,
            )
        )
        if exists:
            return False
        values = item.model_dump(exclude={"source"})
        session.add(AreaFigure(source=source, **values))
        return True

    load("settlements.csv", SettlementIn, store_settlement)
    load("sources.csv", SourceIn, store_source)
    session.flush()
    if not reference_only:
        load("claims.csv", ClaimIn, store_claim)
        load("area_figures.csv", AreaFigureIn, store_area)
    audit.record(session, "seed", "dataset", str(data_dir.name), after=dict(added))
    return added
