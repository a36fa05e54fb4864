"""A coworking manager's first hour, in a real headless Chromium against a real instance."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.servers import Instance

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("ESPRESSO_SCREENSHOTS", "/tmp"))


def _logo(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (122, 62, 29))
    for x in range(200, 440):
        for y in range(140, 340):
            image.putpixel((x, y), (255, 250, 243))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


async def test_manager__sets_up_edits_uploads_and_switches_to_italian(
    instance: Instance, browser: Any, tmp_path: Path
) -> None:
    context = await browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    base = instance.base_url

    await page.goto(f"{base}/admin")
    assert page.url == f"{base}/setup"
    await page.get_by_label("E-mail address").fill("ada@example.org")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_label("Name of the space").fill("Coworking Racale")
    await page.get_by_label("Username").fill("racale")
    await page.get_by_label("Country").fill("IT")
    await page.get_by_label("City or town").fill("Racale")
    await page.get_by_role("button", name="Create").click()
    await page.wait_for_url(f"{base}/admin/spaces/racale")

    # Keyboard only: the first field is reachable and visibly focused.
    await page.locator("#name").focus()
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    await page.get_by_label("Description").fill("A **rural** coworking among olive trees.")
    await page.get_by_label("Street and number").fill("Via Roma 1")
    await page.get_by_label("Latitude").fill("39,9608")
    await page.get_by_label("Longitude").fill("18.0937")
    await page.get_by_label("Monday — opens 1").fill("09:00")
    await page.get_by_label("Monday — closes 1").fill("13:00")
    await page.get_by_label("Monday — opens 2").fill("15:00")
    await page.get_by_label("Monday — closes 2").fill("19:00")
    await page.get_by_label("Wi-Fi").check()
    await page.get_by_label("Kitchen").check()
    await page.get_by_label("Kind 1").select_option("day_pass")
    await page.get_by_label("Amount 1").fill("15")
    await page.get_by_label("Website").fill("not a url")
    await page.get_by_role("button", name="Save changes").click()
    error = page.locator("#website-error")
    assert "Enter a web address starting with http:// or https://" in await error.inner_text()
    assert await page.get_by_label("Description").input_value() == "A **rural** coworking among olive trees."

    await page.get_by_label("Website").fill("https://racale.example")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_selector("#saved")

    await page.get_by_label("Logo", exact=True).set_input_files(str(_logo(tmp_path / "logo.png")))
    await page.locator("form.upload").first.get_by_role("button", name="Upload").click()
    assert "The new logo is saved." in await page.locator("#saved").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "espresso-admin-edit.png"), full_page=True)

    space = (await instance.client.get("/api/v1/spaces/racale")).json()
    assert space["opening_hours"] == [{"days": ["mo"], "opens": "09:00", "closes": "13:00"},
                                      {"days": ["mo"], "opens": "15:00", "closes": "19:00"}]
    assert space["amenities"] == ["kitchen", "wifi"] and space["geo"] == {"lat": 39.9608, "lon": 18.0937}
    assert space["icon"]["media_type"] == "image/png"

    await page.get_by_role("link", name="Italiano").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("button", name="Salva le modifiche").is_visible()
    assert await page.get_by_label("Cucina").is_checked()
    await page.goto(f"{base}/@racale")
    assert await page.locator("html").get_attribute("lang") == "it"
    assert await page.get_by_text("Orari di apertura").is_visible()
    assert await page.get_by_text("Giornata: 15,00").is_visible()
    logo = page.locator("img.logo")
    assert await logo.evaluate("img => img.naturalWidth") == 400
    await page.screenshot(path=str(SCREENSHOTS / "espresso-space-page.png"), full_page=True)

    await page.goto(f"{base}/admin/spaces/racale")
    await page.get_by_role("button", name="Esci").click()
    await page.wait_for_url(f"{base}/admin/login")
    await context.close()
