"""The manager's event pages against two real instances: what the form
publishes reaches a following space on the other one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.servers import Instance

from .admin_flow import csrf_of
from .admin_pair import Pair, post_form, running_pair

FORM = {
    "title": "Colazione di lavoro", "description": "Caffè e **networking**.", "tags": "networking, caffe",
    "start_date": "2031-09-22", "start_time": "09:30", "end_date": "2031-09-22", "end_time": "12:00",
    "timezone": "Europe/Rome", "location": "space", "online_url": "", "url": "https://example.org/book",
    "capacity": "20",
}
EVENTS = "/admin/spaces/racale/events"


async def _received_events(b: Instance) -> list[dict[str, Any]]:
    response = await b.client.get("/api/v1/spaces/lecce/received", params={"type": "Event"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _only_event(pair: Pair) -> dict[str, Any]:
    listed = await pair.a.client.get("/api/v1/spaces/racale/events")
    [event] = listed.json()["items"]
    return dict(event)


async def test_admin_events__create_edit_cancel_delete_federate(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        created = await post_form(pair.manager, f"{EVENTS}/new", f"{EVENTS}/new", FORM)
        assert created.status_code == 303 and created.headers["location"] == f"{EVENTS}?done=created#done"
        event = await _only_event(pair)
        assert event["starts_at"] == "2031-09-22T09:30:00+02:00" and event["timezone"] == "Europe/Rome"
        assert event["tags"] == ["networking", "caffe"] and event["capacity"] == 20
        await pair.drain()
        [received] = await _received_events(pair.b)
        assert received["object_id"] == event["object_id"] and received["name"] == "Colazione di lavoro"

        listing = await pair.manager.get(EVENTS)
        assert "Colazione di lavoro" in listing.text and "Delivered to 1 server" in listing.text

        edit_path = f"{EVENTS}/{event['id']}"
        form = await pair.manager.get(edit_path)
        assert 'value="2031-09-22"' in form.text and 'value="09:30"' in form.text
        assert "<option selected>Europe/Rome</option>" in form.text
        edited = await post_form(pair.manager, edit_path, edit_path, FORM | {"title": "Colazione rinviata",
                                                                             "location": "online",
                                                                             "online_url": "https://meet.example.org/x"})
        assert edited.status_code == 303, edited.text
        await pair.drain()
        [received] = await _received_events(pair.b)
        assert received["name"] == "Colazione rinviata"
        assert (await _only_event(pair))["location"] == "online"

        cancelled = await post_form(pair.manager, EVENTS, f"{edit_path}/cancel", {})
        assert cancelled.status_code == 303
        await pair.drain()
        [received] = await _received_events(pair.b)
        assert received["status"] == "cancelled"
        assert "Cancelled" in (await pair.manager.get(EVENTS)).text

        confirm = await pair.manager.get(f"{edit_path}/delete")
        assert confirm.status_code == 200 and "Yes, delete the event" in confirm.text
        deleted = await pair.manager.post(f"{edit_path}/delete", data={"csrf_token": csrf_of(confirm.text)})
        assert deleted.status_code == 303
        await pair.drain()
        assert await _received_events(pair.b) == []
        assert (await pair.a.client.get("/api/v1/spaces/racale/events")).json()["items"] == []


async def test_admin_events__errors_sit_next_to_their_fields_in_italian(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        pair.manager.cookies.set("lang", "it")
        bad = FORM | {"title": "", "end_time": "08:00", "location": "online", "capacity": "venti",
                      "url": "ftp://x"}
        response = await post_form(pair.manager, f"{EVENTS}/new", f"{EVENTS}/new", bad)
        assert response.status_code == 422
        html = response.text
        assert 'id="capacity-error"' in html and "Inserisci un numero intero" in html
        bad["capacity"] = ""
        response = await post_form(pair.manager, f"{EVENTS}/new", f"{EVENTS}/new", bad)
        html = response.text
        for field in ("title", "end_date", "online_url", "url"):
            assert f'id="{field}-error"' in html, field
        assert "Questo campo è obbligatorio." in html
        assert "Traceback" not in html
        assert (await pair.a.client.get("/api/v1/spaces/racale/events")).json()["items"] == []
        # A date the browser did not check (no JavaScript, old browser) is explained too.
        response = await post_form(pair.manager, f"{EVENTS}/new", f"{EVENTS}/new", FORM | {"start_date": "22/09/2031"})
        assert response.status_code == 422 and 'id="start_date-error"' in response.text


async def test_admin_events__postpone_and_restore(tmp_path: Path) -> None:
    async with running_pair(tmp_path) as pair:
        await post_form(pair.manager, f"{EVENTS}/new", f"{EVENTS}/new", FORM)
        event = await _only_event(pair)
        path = f"{EVENTS}/{event['id']}"
        assert (await post_form(pair.manager, EVENTS, f"{path}/postpone", {})).status_code == 303
        assert (await _only_event(pair))["status"] == "postponed"
        assert "Postponed" in (await pair.manager.get(EVENTS)).text
        assert (await post_form(pair.manager, EVENTS, f"{path}/restore", {})).status_code == 303
        assert (await _only_event(pair))["status"] == "scheduled"
