"""What every admin page handler starts with: the session, the signed-in
administrator, the CSRF check of forms, the permission on a space; and the
error pages those checks end in (never a stack trace)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from directory.errors import Gone, NotFound

from ..admin_models import Administrator
from ..i18n import N_
from ..pages import pages_of
from ..services import Services, services_of
from .accounts import AdminAccounts
from .csrf import CSRF_FIELD, CsrfFailed, check_csrf, csrf_token
from .sessions import SessionStore, new_session_id, session_id_of, set_session_cookie

__all__ = ["AdminState", "Forbidden", "PageContext", "Redirect", "admin_page", "admin_state", "begin",
           "begin_space_page"]

# Upload forms are the only big ones; the body cap (8 MiB) applies before this.
MAX_FORM_FIELDS = 400


@dataclass
class AdminState:
    accounts: AdminAccounts
    sessions: SessionStore
    secret: str
    secure_cookies: bool


def admin_state(request: Request) -> AdminState:
    state: AdminState = request.app.state.admin
    return state


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class Forbidden(Exception):
    pass


@dataclass
class PageContext:
    """One admin request: render pages with the CSRF token and the session cookie in place."""

    request: Request
    session_id: str
    new_session: bool
    admin: Administrator | None
    form: FormData | None = None
    state: AdminState = field(init=False)

    def __post_init__(self) -> None:
        self.state = admin_state(self.request)

    @property
    def services(self) -> Services:
        return services_of(self.request)

    @property
    def csrf(self) -> str:
        return csrf_token(self.state.secret, self.session_id)

    def render(self, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
        pages = pages_of(self.request)
        response: Response = pages.render(self.request, template, {
            "csrf_field": CSRF_FIELD, "csrf_token": self.csrf, "admin": self.admin, **context,
        }, status_code=status_code, headers={"Cache-Control": "no-store"})
        if self.new_session:
            set_session_cookie(response, self.session_id, secure=self.state.secure_cookies)
        return response

    def text(self, message: str) -> str:
        translate: Callable[[str], str] = pages_of(self.request).gettext(self.request)
        return translate(message)

    async def require_space(self, username: str) -> None:
        """403 unless the signed-in administrator manages this space."""
        assert self.admin is not None
        await self.services.spaces.get(username)  # 404 / 410 first
        if not await self.state.accounts.may_manage(self.admin, username):
            raise Forbidden(username)


async def begin(request: Request, *, signed_in: bool = True) -> PageContext:
    """Load the session; for POSTs, read the form and check its CSRF token first."""
    state = admin_state(request)
    session_id = session_id_of(request)
    admin = await state.sessions.administrator(session_id)
    form = None
    if request.method == "POST":
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=2)
        check_csrf(state.secret, session_id, form.get(CSRF_FIELD))
    if signed_in and admin is None:
        raise Redirect(f"/admin/login?next={request.url.path}")
    if session_id is None:
        return PageContext(request, new_session_id(), True, admin, form)
    return PageContext(request, session_id, False, admin, form)


async def begin_space_page(request: Request) -> tuple[str, PageContext]:
    """``begin`` for a page under ``/admin/spaces/{username}``, then 403 unless the administrator manages it."""
    username: str = request.path_params["username"]
    page = await begin(request)
    await page.require_space(username)
    return username, page


Handler = Callable[[Request], Awaitable[Response]]


def admin_page(handler: Handler) -> Handler:
    """Turn the guard's exceptions into pages a manager understands."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Redirect as exc:
            return RedirectResponse(exc.url, status_code=303)
        except CsrfFailed:
            return _error(request, 403, N_("This form has expired"),
                          N_("Please go back, reload the page and send the form again."))
        except Forbidden:
            return _error(request, 403, N_("Not allowed"), N_("You do not manage this space."))
        except (NotFound, Gone):
            return _error(request, 404, N_("Not found"), N_("There is no such page."))
        except HTTPException as exc:
            if exc.status_code == 400:
                return _error(request, 400, N_("This form could not be read"),
                              N_("Please go back and try again."))
            raise
        finally:
            await request.close()  # spooled upload files

    return wrapped


def _error(request: Request, status: int, title: str, message: str) -> Response:
    pages = pages_of(request)
    translate = pages.gettext(request)
    response: Response = pages.render(request, "error.html", {"title": translate(title),
                                                              "message": translate(message)}, status_code=status)
    return response
