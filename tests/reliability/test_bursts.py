"""A burst of readers larger than the connection pool: every page comes, none waits for a
connection that a request waiting for a thread holds.

Each address goes through different dependencies that read the database (the settlement and
its date steps; the region's date steps; a page's status filters with a district; the API's
claim filters), each of which ends its read before the request waits for its next thread. A
burst shows a missing end only when the timing lines up: the settlement page's deadlocked on
every run before the fix; with the filters' end taken out, the district page still came."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest

# More requests at once than the server's connections (SQLite: 20 + 80 overflow) and its
# threads (KT_THREADS) together.
BURST = 130

# Uncached (every day differs), so that each request reads through its dependencies and then
# the page: two steps or more, each waiting for one of the two threads.
ADDRESSES = {
    "settlement page": "/settlements/sudzha?as_of={day}",
    "dashboard as reported then": "/?as_of={day}&known_on={day}",
    "settlements in a district": "/settlements?as_of={day}&district=Sudzhansky&status=contested",
    "claims through the API": "/api/v1/claims?as_of={day}&settlement=sudzha&limit=5",
}


@pytest.mark.parametrize("address", ADDRESSES.values(), ids=ADDRESSES.keys())
def test_a_burst_of_uncached_pages_all_come(fresh_url, serve, address):
    server = serve(fresh_url, page_cache="false")
    days = [date(2024, 9, 1) + timedelta(days=i) for i in range(BURST)]

    def page(day: date) -> int:
        response = httpx.get(server.base + address.format(day=day.isoformat()), timeout=60)
        return response.status_code

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(page, days))
    assert statuses == [200] * BURST
