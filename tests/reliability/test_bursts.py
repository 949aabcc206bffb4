"""A burst of readers larger than the connection pool: every page comes, none waits for a
connection that a request waiting for a thread holds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx

# More requests at once than the server's connections (SQLite: 20 + 80 overflow) and its
# threads (KT_THREADS) together.
BURST = 130


def test_a_burst_of_uncached_settlement_pages_all_come(fresh_url, serve):
    # Uncached, so that each request reads through the dependencies (the settlement, the date
    # steps) and then the page: two steps, each waiting for one of the two threads.
    server = serve(fresh_url, page_cache="false")
    days = [date(2024, 9, 1) + timedelta(days=i) for i in range(BURST)]

    def page(day: date) -> int:
        response = httpx.get(
            f"{server.base}/settlements/sudzha", params={"as_of": day.isoformat()}, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(page, days))
    assert statuses == [200] * BURST
