"""A manager approves a follower and publishes an event, in a real headless
Chromium, against two real instances; screenshots of the pages are kept."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.servers import drain, run_instance
from tests.web.admin_flow import new_browser, run_setup

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("ESPRESSO_SCREENSHOTS", "/tmp"))


async def test_manager__publishes_an_event_and_approves_a_follower(browser: Any, tmp_path: Path) -> None:
    async with run_instance(tmp_path, "a", worker="external") as a, \
            run_instance(tmp_path, "b", worker="external") as b:
        async with new_browser(a.base_url) as setup:
            assert (await run_setup(setup)).status_code == 303
        await a.client.patch("/api/v1/spaces/racale", json={"manually_approves_followers": True})
        await b.create_space("lecce", name="Lecce Hub")
        await b.client.post("/api/v1/spaces/lecce/following", json={"target": f"@racale@{a.domain}"})
        await drain(a, b)

        context = await browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto(f"{a.base_url}/admin/login")
        await page.get_by_label("E-mail address").fill("ada@example.org")
        await page.get_by_label("Password").fill("correct horse battery")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{a.base_url}/admin/spaces/racale")

        await page.get_by_role("link", name="Followers").click()
        await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-followers-request.png"), full_page=True)
        # Keyboard: the Approve button is reachable and visibly focused.
        approve = page.get_by_role("button", name=f"Approve @lecce@{b.domain}")
        await approve.focus()
        assert await page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{a.base_url}/admin/spaces/racale/followers?done=accepted#done")
        await drain(a, b)
        [following] = (await b.client.get("/api/v1/spaces/lecce/following")).json()["items"]
        assert following["state"] == "accepted"
        await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-followers.png"), full_page=True)

        await page.get_by_role("link", name="Events").click()
        await page.get_by_role("link", name="New event").click()
        assert await page.get_by_label("Time zone").input_value() == "Europe/Rome"
        await page.get_by_label("Title").fill("Colazione di lavoro")
        await page.get_by_label("Description").fill("Caffè e **networking** tra gli ulivi.")
        await page.get_by_label("Start date").fill("2031-09-22")
        await page.get_by_label("Start time").fill("09:30")
        await page.get_by_label("End date").fill("2031-09-22")
        await page.get_by_label("End time").fill("12:00")
        await page.get_by_label("Online", exact=True).check()
        await page.get_by_role("button", name="Publish the event").click()
        # Online without its address: the error is next to the field, the input keeps what was typed.
        assert await page.locator("#online_url").get_attribute("aria-invalid") == "true"
        assert await page.get_by_label("Title").input_value() == "Colazione di lavoro"
        await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-event-form-errors.png"), full_page=True)
        await page.get_by_label("At the space").check()
        await page.get_by_role("button", name="Publish the event").click()
        await page.wait_for_url(f"{a.base_url}/admin/spaces/racale/events?done=created#done")
        await drain(a, b)
        await page.reload()
        await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-events.png"), full_page=True)
        assert "Delivered to 1 server" in await page.locator(".delivery").inner_text()

        await page.goto(f"{a.base_url}/lang/it?next=/admin/spaces/racale/events")
        assert await page.get_by_role("heading", name="In arrivo").count() == 1
        await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-events-it.png"), full_page=True)
        await context.close()
