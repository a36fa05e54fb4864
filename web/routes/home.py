"""The instance's front page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..pages import pages_of
from ..services import services_of

__all__ = ["routes"]


async def home(request: Request) -> Response:
    spaces = await services_of(request).spaces.list()
    return pages_of(request).render(request, "home.html", {"spaces": spaces})


routes = [Route("/", home)]
