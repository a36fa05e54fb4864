"""The instance's blocks page: block a remote actor or a whole domain, remove a block.

Blocks hold for the whole instance, so only administrators of every space may
change them. Adding one goes through `add_block`, the same function the JSON
API (`POST /api/v1/blocks`) calls."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.errors import NotFound

from ..errors import ApiError
from ..i18n import N_
from ..routes.api_blocks import add_block
from .guard import Forbidden, PageContext, Redirect, admin_page, begin
from .messages import localize

__all__ = ["routes"]

_DONE_MESSAGES = {
    "added": N_("The block is in place: nothing from there is accepted or sent any more."),
    "removed": N_("The block is removed."),
}


async def _begin_instance_admin(request: Request) -> PageContext:
    page = await begin(request)
    assert page.admin is not None
    if not page.admin.all_spaces:
        raise Forbidden("blocks")
    return page


async def _render(page: PageContext, *, values: dict[str, str] | None = None,
                  errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    done = page.request.query_params.get("done", "")
    return page.render("admin/blocks.html", {
        "blocks": await page.services.blocks.list(), "values": values or {}, "errors": errors or {},
        "done": page.text(_DONE_MESSAGES[done]) if done in _DONE_MESSAGES else None,
    }, status_code=status_code)


@admin_page
async def blocks(request: Request) -> Response:
    page = await _begin_instance_admin(request)
    if page.form is None:
        return await _render(page)
    field = "domain" if "domain" in page.form else "actor"
    raw = page.form.get(field, "")
    value = raw.strip() if isinstance(raw, str) else ""
    try:
        await add_block(page.services, **{field: value})
    except ApiError as exc:
        if exc.status == 409:
            message = page.text(N_("This is blocked already."))
        elif not value:
            message = page.text(N_("This field is required."))
        elif field == "domain":
            message = page.text(N_("Enter a domain like example.org."))
        else:
            message = page.text(N_("We could not find this account: %(reason)s")) % {
                "reason": localize(exc.detail.removeprefix("actor: "), page.text)}
        return await _render(page, values={field: value}, errors={field: [message]}, status_code=422)
    raise Redirect("/admin/blocks?done=added#done")


@admin_page
async def remove_block(request: Request) -> Response:
    page = await _begin_instance_admin(request)
    if page.form is not None:
        try:
            await page.services.blocks.unblock(request.path_params["id"])
        except NotFound:
            pass  # removed already
    raise Redirect("/admin/blocks?done=removed#done")


routes = [
    Route("/admin/blocks", blocks, methods=["GET", "POST"]),
    Route("/admin/blocks/{id:int}/remove", remove_block, methods=["POST"]),
]
