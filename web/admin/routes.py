"""First-run setup, sign-in and sign-out, the admin's home, and the language links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from directory.errors import Conflict, ValidationFailed
from directory.spaces import parse_space

from ..i18n import LANGUAGE_COOKIE, LANGUAGES, N_
from ..services import services_of
from .accounts import AccountError, LockedOut, WrongCredentials, credential_errors
from .guard import PageContext, Redirect, admin_page, admin_state, begin
from .messages import localize
from .sessions import SESSION_COOKIE, set_session_cookie

__all__ = ["routes", "safe_next"]

_SETUP_SPACE_FIELDS = {"username": "username", "name": "space_name", "address.country": "country",
                       "address.locality": "city", "address": "country"}


def safe_next(target: str | None, default: str = "/admin") -> str:
    """Only local paths: `next=//evil.example` must not become an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


async def _signed_in_response(page: PageContext, admin_id: int, target: str) -> Response:
    admin = await page.state.accounts.get(admin_id)
    assert admin is not None
    # A new session id at sign-in: a planted pre-login cookie is worth nothing after it.
    await page.state.sessions.end(page.session_id)
    session_id = await page.state.sessions.start(admin)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, session_id, secure=page.state.secure_cookies)
    return response


@admin_page
async def setup(request: Request) -> Response:
    state = admin_state(request)
    if await state.accounts.any_administrator():
        raise Redirect("/admin/login")
    page = await begin(request, signed_in=False)
    if page.form is None:
        return page.render("admin/setup.html", {"values": {}, "errors": {}})
    values = {name: str(page.form.get(name, "")).strip() for name in
              ("email", "space_name", "username", "country", "city")}
    password = str(page.form.get("password", ""))
    errors: dict[str, list[str]] = {}
    for problem in credential_errors(values["email"], password):
        errors.setdefault(problem.field, []).append(page.text(problem.message))
    space_data = {"username": values["username"].lower(), "name": values["space_name"],
                  "address": {"country": values["country"].upper(), "locality": values["city"] or None}}
    try:
        space = parse_space(space_data)
    except ValidationFailed as exc:
        for item in exc.errors:
            errors.setdefault(_SETUP_SPACE_FIELDS.get(item["field"], "username"), []).append(
                localize(item["message"], page.text))
    if errors:
        return page.render("admin/setup.html", {"values": values, "errors": errors}, status_code=422)
    try:
        await services_of(request).spaces.create(space)
    except Conflict:
        errors["username"] = [page.text(N_("This username is taken, please choose another."))]
        return page.render("admin/setup.html", {"values": values, "errors": errors}, status_code=409)
    try:
        admin = await state.accounts.create(values["email"], password, all_spaces=True, only_if_first=True)
    except AccountError:
        raise Redirect("/admin/login") from None
    return await _signed_in_response(page, admin.id, f"/admin/spaces/{space.username}")


@admin_page
async def login(request: Request) -> Response:
    state = admin_state(request)
    if not await state.accounts.any_administrator():
        raise Redirect("/setup")
    page = await begin(request, signed_in=False)
    target = safe_next(request.query_params.get("next"))
    if page.form is None:
        if page.admin is not None:
            raise Redirect(target)
        return page.render("admin/login.html", {"email": "", "error": None, "next": target})
    email = str(page.form.get("email", "")).strip()
    ip = request.client.host if request.client else "unknown"
    try:
        admin = await state.accounts.authenticate(email, str(page.form.get("password", "")), ip)
    except LockedOut:
        error = page.text(N_("Too many failed attempts. Sign-in is locked for 15 minutes; please try again later."))
        return page.render("admin/login.html", {"email": email, "error": error, "next": target}, status_code=429)
    except WrongCredentials:
        error = page.text(N_("The e-mail address or the password is not right."))
        return page.render("admin/login.html", {"email": email, "error": error, "next": target}, status_code=401)
    return await _signed_in_response(page, admin.id, target)


@admin_page
async def logout(request: Request) -> Response:
    page = await begin(request, signed_in=False)
    await page.state.sessions.end(page.session_id)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=page.state.secure_cookies,
                           samesite="lax")
    return response


@admin_page
async def home(request: Request) -> Response:
    if not await admin_state(request).accounts.any_administrator():
        raise Redirect("/setup")
    page = await begin(request)
    assert page.admin is not None
    managed = await page.state.accounts.managed_usernames(page.admin)
    spaces = [view for view in await page.services.spaces.list() if managed is None or view.space.username in managed]
    if len(spaces) == 1:
        raise Redirect(f"/admin/spaces/{spaces[0].space.username}")
    return page.render("admin/index.html", {"spaces": spaces})


async def choose_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    # RedirectResponse percent-encodes the target, so no header injection through `next`.
    response = RedirectResponse(safe_next(request.query_params.get("next"), "/"), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="lax",
                            secure=services_of(request).settings.scheme == "https")
    return response


routes = [
    Route("/setup", setup, methods=["GET", "POST"]),
    Route("/admin", home, methods=["GET"]),
    Route("/admin/login", login, methods=["GET", "POST"]),
    Route("/admin/logout", logout, methods=["POST"]),
    Route("/lang/{lang:str}", choose_language, methods=["GET"]),
]
