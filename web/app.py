"""`create_app(settings)`: the Starlette application of one instance."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from directory.network_tasks import schedule_crawl
from federation.actors import ensure_instance_actor
from federation.clock import Clock

from .background import inprocess_worker
from .config import Settings
from .errors import exception_handlers
from .limits import BodySizeLimit
from .pages import Pages
from .admin import routes as admin_routes
from .admin import space_routes as admin_space_routes
from .admin import block_routes as admin_block_routes
from .admin import event_routes as admin_event_routes
from .admin import follow_routes as admin_follow_routes
from .admin import post_routes as admin_post_routes
from .admin.accounts import AdminAccounts
from .admin.guard import AdminState
from .admin.sessions import SessionStore
from .bootstrap import secret_key
from .routes import actors, api_following, api_spaces, collections, discovery, home, inbox, openapi
from .routes import directory_api, directory_feeds, directory_hub, directory_pages
from .routes import media as media_routes
from .routes import api_blocks, api_events, events, upcoming_events
from .services import Services, build_services

__all__ = ["create_app"]

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
IMAGE_UPLOAD_SUFFIXES = ("/icon", "/image")


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """Build the app; the database schema must exist (`espresso db upgrade`)."""
    services = build_services(settings, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with services.db.transaction() as session:
            await ensure_instance_actor(session, services.ctx.clock)
        await _start_network_upkeep(services)
        try:
            async with inprocess_worker(services):
                yield
        finally:
            await services.inbox.writer.close()
            await services.remote_actors.aclose()
            await services.db.dispose()

    routes = [
        *discovery.routes,
        *actors.routes,
        *inbox.routes,
        *collections.routes,
        *upcoming_events.routes,
        *api_following.routes,
        *api_spaces.routes,
        *api_events.routes,
        *api_blocks.routes,
        *events.routes,
        *media_routes.routes,
        *admin_routes.routes,
        *admin_event_routes.routes,
        *admin_post_routes.routes,
        *admin_follow_routes.routes,
        *admin_block_routes.routes,
        *admin_space_routes.routes,
        *directory_api.routes,
        *directory_hub.routes,
        *directory_feeds.routes,
        *directory_pages.routes,
        *openapi.routes,
        *home.routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers,
        middleware=[
            Middleware(
                BodySizeLimit,
                limit=settings.max_body_bytes,
                large_limit=settings.max_image_bytes,
                large_suffixes=IMAGE_UPLOAD_SUFFIXES,
            ),
            # Inbox POSTs ahead of the router (web/routes/inbox.py); inside BodySizeLimit, so its 413 holds.
            Middleware(inbox.InboxFastPath),
        ],
    )
    app.state.services = services
    app.state.pages = Pages(instance_name=settings.instance_name, base_url=settings.base_url)
    app.state.admin = AdminState(
        accounts=AdminAccounts(services.db, services.ctx.clock),
        sessions=SessionStore(services.db, services.ctx.clock),
        secret=secret_key(settings),
        secure_cookies=settings.scheme == "https",
    )
    return app


async def _start_network_upkeep(services: Services) -> None:
    """A hub's actor exists before anyone can follow it. On every instance the periodic
    `directory.crawl` (discovery on hubs, refresh of stale listings everywhere) keeps itself
    queued from here on."""
    if services.hub is not None:
        await services.hub.ensure_actor()
    async with services.db.transaction() as session:
        await schedule_crawl(session, services.ctx, timedelta(minutes=1))


def services_for(app: Starlette) -> Services:
    services: Services = app.state.services
    return services
