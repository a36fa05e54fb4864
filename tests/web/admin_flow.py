"""Steps of the web admin as a browser takes them, over plain HTTP (httpx)."""

from __future__ import annotations

import re
from typing import Any

import httpx

__all__ = ["PASSWORD", "csrf_of", "new_browser", "run_setup", "sign_in"]

PASSWORD = "correct horse battery"
_CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF field in the page"
    return match[1]


def new_browser(base_url: str, **headers: str) -> httpx.AsyncClient:
    """A client without the API token: cookies only, like a browser."""
    return httpx.AsyncClient(base_url=base_url, timeout=30, headers=headers)


async def run_setup(client: httpx.AsyncClient, *, email: str = "ada@example.org", password: str = PASSWORD,
                    username: str = "racale", **fields: str) -> httpx.Response:
    page = await client.get("/setup")
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {"csrf_token": csrf_of(page.text), "email": email, "password": password,
                            "space_name": fields.get("space_name", "Coworking Racale"), "username": username,
                            "country": fields.get("country", "IT"), "city": fields.get("city", "Racale")}
    return await client.post("/setup", data=data)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/admin/login")
    assert page.status_code == 200, page.text
    return await client.post("/admin/login", data={"csrf_token": csrf_of(page.text), "email": email,
                                                   "password": password})
