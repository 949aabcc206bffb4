"""/healthz: is the database reachable, and does it accept writes?

A load balancer asks often, so the write probe (Database.write_fault) runs at most once per
CHECK_SECONDS; reachability is asked every time, so an outage and a recovery show at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from app.db import Database, read_value
from app.faults import HEALTH_WORDS, FaultKind, database_fault

CHECK_SECONDS = 2.0


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]
    writes: str = Field(description="ok, busy, disk full, read-only or unreachable")


@dataclass(frozen=True)
class Health:
    status_code: int
    body: dict[str, str]


class WriteCheck:
    """The last write probe's answer, kept for CHECK_SECONDS."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._fault: FaultKind | None = None

    def fault(self) -> FaultKind | None:
        with self._lock:
            if time.monotonic() - self._checked_at >= CHECK_SECONDS:
                self._fault = self.database.write_fault()
                # An outage is not kept: the next question should see the recovery.
                if self._fault != FaultKind.unreachable:
                    self._checked_at = time.monotonic()
            return self._fault


def health(database: Database, writes: WriteCheck) -> Health:
    try:
        read_value(database, "SELECT 1")
    except Exception as error:
        if database_fault(error) is None:
            raise
        return Health(503, {"status": "error", "database": "unreachable", "writes": "unreachable"})
    fault = writes.fault()
    if fault is None:
        return Health(200, {"status": "ok", "database": "ok", "writes": "ok"})
    if fault == FaultKind.locked:
        # Held by a long write (an import): writes wait for it, they do not fail.
        return Health(200, {"status": "ok", "database": "ok", "writes": "busy"})
    return Health(503, {"status": "error", "database": "ok", "writes": HEALTH_WORDS[fault]})
