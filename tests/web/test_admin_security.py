"""The web admin's defences, against a real running instance over plain HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from federation.clock import SystemClock
from federation.db import Database
from tests.servers import Instance
from web.admin.accounts import AdminAccounts
from web.admin.sessions import SESSION_COOKIE

from .admin_flow import PASSWORD, csrf_of, new_browser, run_setup, sign_in


@asynccontextmanager
async def accounts_of(instance: Instance) -> AsyncIterator[AdminAccounts]:
    # Our own engine on the test's event loop; the server's belongs to its thread.
    db = Database(instance.settings.database_url)
    try:
        yield AdminAccounts(db, SystemClock())
    finally:
        await db.dispose()


async def test_setup__creates_admin_and_space_then_closes(instance: Instance) -> None:
    async with new_browser(instance.base_url) as browser:
        assert (await browser.get("/admin")).headers["location"] == "/setup"
        response = await run_setup(browser)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/spaces/racale"
        page = await browser.get("/admin/spaces/racale")
        assert page.status_code == 200 and "Coworking Racale" in page.text
    space = await instance.client.get("/api/v1/spaces/racale")
    assert space.json()["address"] == {"street": None, "locality": "Racale", "region": None, "postal_code": None,
                                       "country": "IT"}
    async with new_browser(instance.base_url) as stranger:
        again = await stranger.get("/setup")
        assert again.status_code == 303 and again.headers["location"] == "/admin/login"
        forced = await stranger.post("/setup", data={"email": "eve@example.org", "password": "x" * 12})
        assert forced.status_code == 303 and forced.headers["location"] == "/admin/login"
    async with accounts_of(instance) as accounts:
        assert await accounts.authenticate("ada@example.org", PASSWORD, "127.0.0.1")


async def test_setup__explains_bad_fields_next_to_them(instance: Instance) -> None:
    async with new_browser(instance.base_url) as browser:
        response = await run_setup(browser, email="not-an-email", password="short", username="Bad Name!",
                                   country="XX")
        assert response.status_code == 422
        for message in ("Enter an e-mail address like name@example.org.",
                        "The password must be at least 10 characters long.",
                        "Use 1 to 30 characters", "is not a two-letter country code"):
            assert message in response.text
        assert 'aria-invalid="true"' in response.text
    async with accounts_of(instance) as accounts:
        assert not await accounts.any_administrator()


async def test_forms__without_or_with_a_wrong_csrf_token_are_refused(instance: Instance) -> None:
    async with new_browser(instance.base_url) as browser:
        page = await browser.get("/setup")
        missing = await browser.post("/setup", data={"email": "a@example.org", "password": PASSWORD,
                                                     "space_name": "A", "username": "aaa", "country": "IT"})
        assert missing.status_code == 403
        assert "This form has expired" in missing.text and "Traceback" not in missing.text
        wrong = await browser.post("/setup", data={"csrf_token": "0" * 64, "email": "a@example.org",
                                                   "password": PASSWORD, "space_name": "A", "username": "aaa",
                                                   "country": "IT"})
        assert wrong.status_code == 403
        assert csrf_of(page.text)
        await run_setup(browser)
        edit = await browser.get("/admin/spaces/racale")
        token = csrf_of(edit.text)
        no_token = await browser.post("/admin/spaces/racale", data={"name": "Hijacked", "country": "IT"})
        assert no_token.status_code == 403
        other_session_token = await browser.post(
            "/admin/spaces/racale", data={"name": "Hijacked", "country": "IT", "csrf_token": token[::-1]})
        assert other_session_token.status_code == 403
        logout = await browser.post("/admin/logout", data={})
        assert logout.status_code == 403
    assert (await instance.client.get("/api/v1/spaces/racale")).json()["name"] == "Coworking Racale"


async def test_login__rotates_the_session_id_and_sets_safe_cookie_flags(instance: Instance) -> None:
    async with new_browser(instance.base_url) as setup_browser:
        await run_setup(setup_browser)
    async with new_browser(instance.base_url) as browser:
        form = await browser.get("/admin/login")
        before = browser.cookies[SESSION_COOKIE]
        assert "HttpOnly" in form.headers["set-cookie"] and "SameSite=lax" in form.headers["set-cookie"]
        signed_in = await sign_in(browser, "ADA@example.org")
        assert signed_in.status_code == 303, signed_in.text
        after = browser.cookies[SESSION_COOKIE]
        assert after != before
        assert "HttpOnly" in signed_in.headers["set-cookie"]
        assert (await browser.get("/admin/spaces/racale")).status_code == 200
        # The pre-login id (e.g. planted by an attacker) opens nothing.
        async with new_browser(instance.base_url) as attacker:
            attacker.cookies.set(SESSION_COOKIE, before)
            assert (await attacker.get("/admin/spaces/racale")).status_code == 303
        page = await browser.get("/admin/spaces/racale")
        out = await browser.post("/admin/logout", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303
        async with new_browser(instance.base_url) as replay:
            replay.cookies.set(SESSION_COOKIE, after)
            assert (await replay.get("/admin/spaces/racale")).headers["location"].startswith("/admin/login")


async def test_login__locks_after_five_wrong_passwords(instance: Instance) -> None:
    async with new_browser(instance.base_url) as setup_browser:
        await run_setup(setup_browser)
    async with new_browser(instance.base_url) as browser:
        for _ in range(5):
            wrong = await sign_in(browser, "ada@example.org", "wrong password!")
            assert wrong.status_code == 401
            assert "The e-mail address or the password is not right." in wrong.text
        locked = await sign_in(browser, "ada@example.org", PASSWORD)
        assert locked.status_code == 429
        assert "Sign-in is locked for 15 minutes" in locked.text
        assert SESSION_COOKIE not in locked.headers.get("set-cookie", "") or "espresso_session=;" not in ""
        assert (await browser.get("/admin/spaces/racale")).status_code == 303


async def test_managers__of_one_space_cannot_touch_another(instance: Instance) -> None:
    async with new_browser(instance.base_url) as owner:
        await run_setup(owner)
    await instance.create_space("bari")
    async with accounts_of(instance) as accounts:
        await accounts.create("bea@example.org", PASSWORD, all_spaces=False, spaces=["bari"])
    async with new_browser(instance.base_url) as bea:
        assert (await sign_in(bea, "bea@example.org")).status_code == 303
        home = await bea.get("/admin")
        assert home.headers["location"] == "/admin/spaces/bari"
        own = await bea.get("/admin/spaces/bari")
        assert own.status_code == 200
        token = csrf_of(own.text)
        assert (await bea.get("/admin/spaces/racale")).status_code == 403
        edit = await bea.post("/admin/spaces/racale", data={"csrf_token": token, "name": "Taken", "country": "IT"})
        assert edit.status_code == 403 and "You do not manage this space." in edit.text
        upload = await bea.post("/admin/spaces/racale/icon", data={"csrf_token": token},
                                files={"file": ("logo.png", b"\x89PNG", "image/png")})
        assert upload.status_code == 403
    assert (await instance.client.get("/api/v1/spaces/racale")).json()["name"] == "Coworking Racale"


async def test_admin_pages__need_a_session(instance: Instance) -> None:
    async with new_browser(instance.base_url) as setup_browser:
        await run_setup(setup_browser)
    async with new_browser(instance.base_url) as browser:
        response = await browser.get("/admin/spaces/racale")
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login?next=/admin/spaces/racale"
        page = await browser.get("/admin/login?next=//evil.example/")
        signed_in = await browser.post("/admin/login?next=//evil.example/", data={
            "csrf_token": csrf_of(page.text), "email": "ada@example.org", "password": PASSWORD})
        assert signed_in.headers["location"] == "/admin"
