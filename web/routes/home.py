"""The instance's front page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..pages import pages_of
from ..services import services_of

__all__ = ["routes"]


async def home(request: Request) -> Response:
    services = services_of(request)
    spaces = await services.spaces.list()
    return pages_of(request).render(request, "home.html",
                                    {"spaces": spaces, "is_hub": services.settings.directory})


routes = [Route("/", home)]
