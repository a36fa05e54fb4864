"""Two running instances for the manager's pages: on `a` the manager of
`racale` is signed in (a cookie-only client), on `b` the space `lecce` lives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.servers import Instance, drain, run_instance

from .admin_flow import csrf_of, new_browser, run_setup

__all__ = ["Pair", "post_form", "running_pair"]


@dataclass
class Pair:
    a: Instance
    b: Instance
    manager: httpx.AsyncClient  # signed in on `a` as the manager of every space there

    async def drain(self) -> None:
        await drain(self.a, self.b)


async def post_form(client: httpx.AsyncClient, page_path: str, action: str, data: dict[str, Any]) -> httpx.Response:
    """Open `page_path` like a browser, then send its form (with the page's CSRF token) to `action`."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page.text), **data})


@asynccontextmanager
async def running_pair(tmp_path: Path, *, lecce_follows: bool = False) -> AsyncIterator[Pair]:
    # External workers: only drain() works the queues, so a test sees every step happen.
    async with run_instance(tmp_path, "a", worker="external") as a, \
            run_instance(tmp_path, "b", worker="external") as b, \
            new_browser(a.base_url) as manager:
        response = await run_setup(manager)
        assert response.status_code == 303, response.text
        await b.create_space("lecce", name="Lecce Hub")
        pair = Pair(a, b, manager)
        if lecce_follows:
            followed = await b.client.post("/api/v1/spaces/lecce/following", json={"target": f"@racale@{a.domain}"})
            assert followed.status_code == 202, followed.text
            await pair.drain()
        yield pair
