"""The manager's event pages: list (upcoming and past, with delivery status),
create, edit, cancel, postpone, restore, delete with a confirmation step.

They call the same functions as the JSON API (`parse_event`, `parse_event_patch`,
`EventService.create/update/delete`), so every change federates as it does there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.errors import ValidationFailed
from directory.events import EventView, parse_event, parse_event_patch
from directory.space_timezone import space_timezone
from directory.spaces import SpaceView

from ..i18n import N_
from .event_form import EventForm, event_form_from_event, event_form_from_submission, new_event_form, time_zones
from .guard import PageContext, Redirect, admin_page, begin_space_page
from .messages import localize

__all__ = ["routes"]

LIST_LIMIT = 200
_DONE_MESSAGES = {
    "created": N_("The event is published and is being sent to your followers."),
    "saved": N_("Your changes are saved and are being sent to your followers."),
    "cancelled": N_("The event is marked as cancelled; your followers are being told."),
    "postponed": N_("The event is marked as postponed; your followers are being told."),
    "scheduled": N_("The event is back on schedule; your followers are being told."),
    "deleted": N_("The event is deleted; your followers are being told."),
}
_STATUS_ACTIONS = {"cancel": "cancelled", "postpone": "postponed", "restore": "scheduled"}


def _zone_of(view: SpaceView) -> str:
    space = view.space
    geo = space.geo
    return space_timezone(space.address.country, geo.lat if geo else None, geo.lon if geo else None)


def _split(views: list[EventView], now: datetime) -> tuple[list[EventView], list[EventView]]:
    """(upcoming and ongoing by start, past by start, newest first)."""
    def over(view: EventView) -> bool:
        return (view.event.ends_at or view.event.starts_at) < now

    upcoming = sorted((v for v in views if not over(v)), key=lambda v: v.event.starts_at)
    past = sorted((v for v in views if over(v)), key=lambda v: v.event.starts_at, reverse=True)
    return upcoming, past


def _event_id(request: Request) -> int:
    return int(request.path_params["event_id"])


@admin_page
async def list_events(request: Request) -> Response:
    username, page = await begin_space_page(request)
    view = await page.services.spaces.get(username)
    events, _ = await page.services.events.list(username, limit=LIST_LIMIT)
    upcoming, past = _split(events, page.services.ctx.clock.now())
    done = request.query_params.get("done", "")
    return page.render("admin/events.html", {
        "view": view, "upcoming": upcoming, "past": past, "section": "events",
        "done": page.text(_DONE_MESSAGES[done]) if done in _DONE_MESSAGES else None,
    })


def _render_form(page: PageContext, view: SpaceView, form: EventForm, event: EventView | None,
                 status_code: int = 200) -> Response:
    form.errors = {name: [localize(page.text(m), page.text) for m in messages] for name, messages in form.errors.items()}
    return page.render("admin/event_form.html", {"view": view, "form": form, "event": event,
                                                  "zones": time_zones(), "section": "events"},
                       status_code=status_code)


@admin_page
async def new_event(request: Request) -> Response:
    username, page = await begin_space_page(request)
    view = await page.services.spaces.get(username)
    if page.form is None:
        return _render_form(page, view, new_event_form(_zone_of(view)), None)
    form = event_form_from_submission(page.form)
    data = form.to_data()
    if not form.errors:
        try:
            event = parse_event(data)
        except ValidationFailed as exc:
            form.add_api_errors(exc.errors)
    if form.errors:
        return _render_form(page, view, form, None, status_code=422)
    await page.services.events.create(username, event)
    page.services.documents.invalidate(f"actor:{username}")
    raise Redirect(f"/admin/spaces/{username}/events?done=created#done")


@admin_page
async def edit_event(request: Request) -> Response:
    username, page = await begin_space_page(request)
    view = await page.services.spaces.get(username)
    current = await page.services.events.get(username, _event_id(request))
    if page.form is None:
        return _render_form(page, view, event_form_from_event(current.event, _zone_of(view)), current)
    form = event_form_from_submission(page.form)
    data = form.to_data()
    if not form.errors:
        try:
            patch = parse_event_patch(data)
            await page.services.events.update(username, current.id, patch)
        except ValidationFailed as exc:
            form.add_api_errors(exc.errors)
    if form.errors:
        return _render_form(page, view, form, current, status_code=422)
    raise Redirect(f"/admin/spaces/{username}/events?done=saved#done")


@admin_page
async def change_status(request: Request) -> Response:
    username, page = await begin_space_page(request)
    status = _STATUS_ACTIONS.get(request.path_params["action"])
    if page.form is None or status is None:
        raise Redirect(f"/admin/spaces/{username}/events")
    await page.services.events.update(username, _event_id(request), parse_event_patch({"status": status}))
    raise Redirect(f"/admin/spaces/{username}/events?done={status}#done")


@admin_page
async def delete_event(request: Request) -> Response:
    username, page = await begin_space_page(request)
    current = await page.services.events.get(username, _event_id(request))
    if page.form is None:
        view = await page.services.spaces.get(username)
        context: dict[str, Any] = {"view": view, "event": current, "section": "events"}
        return page.render("admin/event_delete.html", context)
    await page.services.events.delete(username, current.id)
    raise Redirect(f"/admin/spaces/{username}/events?done=deleted#done")


_EVENTS = "/admin/spaces/{username}/events"
routes = [
    Route(_EVENTS, list_events, methods=["GET"]),
    Route(f"{_EVENTS}/new", new_event, methods=["GET", "POST"]),
    Route(f"{_EVENTS}/{{event_id:int}}", edit_event, methods=["GET", "POST"]),
    Route(f"{_EVENTS}/{{event_id:int}}/delete", delete_event, methods=["GET", "POST"]),
    Route(f"{_EVENTS}/{{event_id:int}}/{{action:str}}", change_status, methods=["POST"]),
]
