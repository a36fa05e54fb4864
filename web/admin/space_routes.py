"""The space manager's pages: the profile form and the logo and header uploads.

They call the same service functions as the JSON API (`parse_space_patch`,
`SpaceService.update`, `store_space_image`), so a change here federates exactly
as one made through the API."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.errors import ValidationFailed
from directory.spaces import SpaceView, parse_space_patch
from directory.vocabulary import AMENITY_LABELS, PRICE_KIND_LABELS, WEEKDAYS

from ..i18n import N_
from ..media import IMAGE_KINDS, ImageRejected, store_space_image
from .forms import SpaceForm, space_form_from_space, space_form_from_submission
from .guard import PageContext, Redirect, admin_page, begin_space_page
from .messages import localize

__all__ = ["routes"]

_SAVED_MESSAGES = {
    "profile": N_("Your changes are saved and are being sent to your followers."),
    "icon": N_("The new logo is saved."),
    "image": N_("The new header image is saved."),
}


def _render_edit(page: PageContext, view: SpaceView, form: SpaceForm, *, status_code: int = 200,
                 upload_errors: dict[str, str] | None = None) -> Response:
    saved = page.request.query_params.get("saved", "")
    context: dict[str, Any] = {
        "view": view,
        "form": form,
        "weekdays": WEEKDAYS,
        "amenity_codes": list(AMENITY_LABELS),
        "price_kinds": list(PRICE_KIND_LABELS),
        "saved": page.text(_SAVED_MESSAGES[saved]) if saved in _SAVED_MESSAGES else None,
        "upload_errors": upload_errors or {},
    }
    return page.render("admin/space.html", context, status_code=status_code)


@admin_page
async def edit_space(request: Request) -> Response:
    username, page = await begin_space_page(request)
    view = await page.services.spaces.get(username)
    if page.form is None:
        return _render_edit(page, view, space_form_from_space(view.space))
    form = space_form_from_submission(page.form)
    data = form.to_patch_data()
    if not form.errors:
        try:
            patch = parse_space_patch(data)
        except ValidationFailed as exc:
            form.add_api_errors(exc.errors)
    if form.errors:
        form.errors = {name: [localize(m, page.text) for m in messages] for name, messages in form.errors.items()}
        return _render_edit(page, view, form, status_code=422)
    await page.services.spaces.update(username, patch)
    page.services.documents.invalidate(f"actor:{username}")
    raise Redirect(f"/admin/spaces/{username}?saved=profile#saved")


@admin_page
async def upload_image(request: Request) -> Response:
    username, page = await begin_space_page(request)
    kind = request.path_params["kind"]
    if kind not in IMAGE_KINDS or page.form is None:
        raise Redirect(f"/admin/spaces/{username}")
    upload = page.form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        await store_space_image(page.services, username, kind, data)
    except ImageRejected as exc:
        view = await page.services.spaces.get(username)
        return _render_edit(page, view, space_form_from_space(view.space), status_code=422,
                            upload_errors={kind: page.text(exc.message)})
    raise Redirect(f"/admin/spaces/{username}?saved={kind}#saved")


routes = [
    Route("/admin/spaces/{username}", edit_space, methods=["GET", "POST"]),
    Route("/admin/spaces/{username}/{kind:str}", upload_image, methods=["POST"]),
]
