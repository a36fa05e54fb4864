"""The per-process objects route handlers use, built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from starlette.requests import Request

from directory.crawl import CrawlLimits, Crawler
from directory.events import EventService
from directory.hub import DirectoryHub
from directory.ingest_events import EventIngest
from directory.network import NetworkListings
from directory.network_follows import ListingFollowService
from directory.network_tasks import NetworkTasks
from directory.posts import PostService
from directory.received import ReceivedService
from directory.spaces import SpaceService
from federation.blocks import BlockList
from federation.clock import Clock, SystemClock
from federation.context import FederationContext
from federation.db import Database
from federation.fetch import FetchPolicy
from federation.follows import FollowService
from federation.worker import TaskHandler
from federation.inbox import Inbox, InboxWriter
from federation.inbox_processing import InboxProcessor
from federation.remote_actors import RemoteActors
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
    # Issue 3: remote actors and keys, the inbox, its processing (the worker's inbox_handler), follows.
    remote_actors: RemoteActors
    inbox: Inbox
    inbox_processor: InboxProcessor
    follows: FollowService
    # Issue 4: events, news posts, and what arrives from the spaces' follows.
    events: EventService
    posts: PostService
    received: ReceivedService
    # Issue 6: instance-wide blocks of remote actors and domains.
    blocks: BlockList
    # Issue 5: the network view (remote spaces and events) and, with ESPRESSO_DIRECTORY=1, the hub.
    network: NetworkListings | None = None
    hub: DirectoryHub | None = None
    crawler: Crawler | None = None
    task_handlers: dict[str, TaskHandler] = field(default_factory=dict)

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
    remote_actors = RemoteActors(ctx)
    spaces = SpaceService(ctx)
    inbox_processor = InboxProcessor(ctx, remote_actors)
    EventIngest(ctx, remote_actors).register_on(inbox_processor)
    blocks = BlockList(ctx, remote_actors)
    network = NetworkListings(ctx, remote_actors)
    network.register_on(inbox_processor)
    follows = ListingFollowService(ctx, remote_actors, network)
    hub = crawler = None
    if settings.directory:
        hub = DirectoryHub(ctx, remote_actors, follows, network, moderated=settings.directory_moderated)
        hub.register_on(inbox_processor)
        follows.hub = hub
        crawler = Crawler(ctx, remote_actors, hub, CrawlLimits(per_host_delay=settings.directory_crawl_delay))
    tasks = NetworkTasks(ctx, network, crawler, crawl_interval=timedelta(minutes=settings.directory_crawl_minutes))
    return Services(
        settings=settings, ctx=ctx, spaces=spaces, documents=DocumentCache(),
        remote_actors=remote_actors,
        inbox=Inbox(ctx, remote_actors, InboxWriter(ctx.db), blocks),
        inbox_processor=inbox_processor,
        follows=follows,
        events=EventService(ctx, spaces),
        posts=PostService(ctx, spaces, remote_actors),
        received=ReceivedService(ctx, spaces),
        blocks=blocks,
        network=network, hub=hub, crawler=crawler, task_handlers=tasks.handlers(),
    )


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
