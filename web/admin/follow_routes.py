"""The manager's follow pages: followers (with their server) and follow requests
to approve or refuse; the spaces this one follows, follow by handle, unfollow;
and asking a directory hub to list the space.

A hub lists the spaces that follow its directory actor, so "ask a hub" is the
very same `FollowService.follow` call as following a space (one code path
with `POST /api/v1/spaces/{u}/following`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.errors import NotFound
from federation.remote_actors import host_of

from ..i18n import N_
from .guard import PageContext, Redirect, admin_page, begin_space_page

__all__ = ["routes"]

LIST_LIMIT = 200
_DONE_MESSAGES = {
    "accepted": N_("The follower is approved and has been told."),
    "rejected": N_("The follow request is refused and the requester has been told."),
    "followed": N_("The follow request is sent. It shows as pending until the other side answers."),
    "hub": N_("The request is sent to the directory hub. Your space is listed once the hub accepts it."),
    "unfollowed": N_("You no longer follow this account; it has been told."),
}


def _with_host(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "host": host_of(item["actor_id"]) if item.get("actor_id") else ""} for item in items]


def _done(page: PageContext) -> str | None:
    done = page.request.query_params.get("done", "")
    return page.text(_DONE_MESSAGES[done]) if done in _DONE_MESSAGES else None


def _after(page: PageContext) -> int | None:
    """Where a page of a long list starts (`?after=`, the last id of the previous page); anything else: the start."""
    raw = page.request.query_params.get("after", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@admin_page
async def followers(request: Request) -> Response:
    username, page = await begin_space_page(request)
    view = await page.services.spaces.get(username)
    after = _after(page)
    # The requests waiting for an answer come first on every page; the followers are paged, LIST_LIMIT at a time.
    waiting = await page.services.follows.followers(username, cursor=None, pending_only=True, limit=LIST_LIMIT)
    listed = await page.services.follows.followers(username, cursor=after, limit=LIST_LIMIT)
    return page.render("admin/followers.html", {
        "view": view, "section": "followers", "done": _done(page),
        "requests": _with_host(waiting.items),
        "followers": [item for item in _with_host(listed.items) if item["state"] != "pending"],
        "after": after, "next_after": listed.next_cursor,
    })


@admin_page
async def decide(request: Request) -> Response:
    username, page = await begin_space_page(request)
    accept = request.path_params["decision"] == "accept"
    if page.form is None or request.path_params["decision"] not in ("accept", "reject"):
        raise Redirect(f"/admin/spaces/{username}/followers")
    await page.services.follows.decide(username, request.path_params["id"], accept=accept)
    raise Redirect(f"/admin/spaces/{username}/followers?done={'accepted' if accept else 'rejected'}#done")


async def _render_following(page: PageContext, username: str, *, values: dict[str, str] | None = None,
                            errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    view = await page.services.spaces.get(username)
    after = _after(page)
    listed = await page.services.follows.following(username, cursor=after, limit=LIST_LIMIT)
    return page.render("admin/following.html", {
        "view": view, "section": "following", "done": _done(page), "following": _with_host(listed.items),
        "after": after, "next_after": listed.next_cursor, "values": values or {}, "errors": errors or {},
    }, status_code=status_code)


@admin_page
async def following(request: Request) -> Response:
    username, page = await begin_space_page(request)
    if page.form is None:
        return await _render_following(page, username)
    field = "hub" if "hub" in page.form else "target"
    raw = page.form.get(field, "")
    target = raw.strip() if isinstance(raw, str) else ""
    if not target.startswith(("@", "http://", "https://")) and target.count("@") != 1:
        errors = {field: [page.text(N_("Enter an address like @name@example.org or a web address "
                                       "starting with https://."))]}
        return await _render_following(page, username, values={field: target}, errors=errors, status_code=422)
    item = await page.services.follows.follow(username, target)
    if item["state"] == "failed":
        message = page.text(N_("We could not follow %(target)s: %(reason)s")) % {
            "target": target, "reason": item["error"] or ""}
        return await _render_following(page, username, values={field: target}, errors={field: [message]},
                                       status_code=422)
    raise Redirect(f"/admin/spaces/{username}/following?done={'hub' if field == 'hub' else 'followed'}#done")


@admin_page
async def unfollow(request: Request) -> Response:
    username, page = await begin_space_page(request)
    raw = page.form.get("target", "") if page.form is not None else ""
    try:
        await page.services.follows.unfollow(username, raw if isinstance(raw, str) else "")
    except NotFound:
        pass  # already gone (a second click): the list shows the truth
    raise Redirect(f"/admin/spaces/{username}/following?done=unfollowed#done")


_SPACE = "/admin/spaces/{username}"
routes = [
    Route(f"{_SPACE}/followers", followers, methods=["GET"]),
    Route(f"{_SPACE}/followers/{{id:int}}/{{decision:str}}", decide, methods=["POST"]),
    Route(f"{_SPACE}/following", following, methods=["GET", "POST"]),
    Route(f"{_SPACE}/following/remove", unfollow, methods=["POST"]),
]
