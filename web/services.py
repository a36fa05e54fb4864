"""The per-process objects route handlers use, built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from directory.spaces import SpaceService
from federation.clock import Clock, SystemClock
from federation.context import FederationContext
from federation.db import Database
from federation.fetch import FetchPolicy
from federation.urls import LocalUrls

from .config import Settings
from .documents import DocumentCache

__all__ = ["Services", "build_services", "services_of"]


@dataclass
class Services:
    settings: Settings
    ctx: FederationContext
    spaces: SpaceService
    documents: DocumentCache

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def urls(self) -> LocalUrls:
        return self.ctx.urls


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    ctx = FederationContext(
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        urls=LocalUrls(settings.base_url),
        fetch_policy=FetchPolicy(allow_private_addresses=settings.allow_private_addresses),
    )
    return Services(settings=settings, ctx=ctx, spaces=SpaceService(ctx), documents=DocumentCache())


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
