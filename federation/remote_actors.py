"""Remote actors: resolving `@user@host` and URLs, caching them in `RemoteActor`,
and resolving the public keys that sign requests to our inboxes.

Every fetch is a GET signed by the instance actor, because servers in
"secure mode" (Mastodon's AUTHORIZED_FETCH) refuse unsigned ones. Actor
documents are parsed at this boundary into `ParsedActor`; nothing untyped
travels further in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlencode, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import ensure_instance_actor
from .context import FederationContext
from .errors import FetchError, InvalidActivity, KeyResolutionError, RemoteGone
from .fetch import JRD_ACCEPT, JRD_CONTENT_TYPES, fetch_document, fetch_json, make_client
from .keys import PublicKeyObject, ed25519_public_key_from_multibase, load_private_key, load_public_key
from .models import RemoteActor
from .sanitize import sanitize_remote_html
from .signatures import PublicKey, SignatureAuth
from .webfinger import Handle, parse_handle, self_link_of

__all__ = ["ActorGone", "ParsedActor", "RemoteActors", "dialect_insert", "handle_of", "host_of", "parse_actor"]

log = logging.getLogger(__name__)

ACTOR_TYPES = frozenset({"Person", "Organization", "Group", "Service", "Application"})
_URL_MAX = 2048
# A key that failed to verify is refetched at most this often: otherwise every
# badly signed request would make us hammer the signer's server.
_REFRESH_INTERVAL = 60.0
_MAX_CACHED_KEYS = 50_000


class ActorGone(KeyResolutionError):
    """The signing key's actor answered 410: it was deleted at its origin."""

    def __init__(self, key_id: str, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


def host_of(url: str) -> str:
    """The authority (host[:port]) of an http(s) URL, lower case; on the inbox's hot path."""
    if url.startswith(("https://", "http://")):
        # Cheaper than urlsplit, which dominates the inbox's non-crypto time.
        authority = url.split("/", 3)[2]
        return authority.rsplit("@", 1)[-1].lower()
    return urlsplit(url).netloc.lower()


def handle_of(actor: RemoteActor) -> str | None:
    return f"@{actor.preferred_username}@{actor.domain}" if actor.preferred_username else None


def dialect_insert(session: AsyncSession) -> Any:
    """`INSERT` with `ON CONFLICT` for the session's dialect (SQLite or PostgreSQL)."""
    name = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class ParsedActor:
    ap_id: str
    actor_type: str
    preferred_username: str | None
    name: str | None
    summary: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers_url: str | None
    following_url: str | None
    public_key_id: str | None
    public_key_pem: str | None
    document: dict[str, Any]

    @property
    def domain(self) -> str:
        return host_of(self.ap_id)


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= _URL_MAX:
        return value
    return None


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _main_key(document: dict[str, Any]) -> tuple[str | None, str | None]:
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and isinstance(key.get("publicKeyPem"), str) and _url(key.get("id")):
            return str(key["id"]), str(key["publicKeyPem"])
    return None, None


def parse_actor(document: dict[str, Any], *, fetched_from: str | None = None) -> ParsedActor:
    """Check an actor document's shape and origin; sanitize what we may show."""
    ap_id = _url(document.get("id"))
    if ap_id is None:
        raise InvalidActivity("the actor document has no valid id")
    if fetched_from is not None and host_of(ap_id) != host_of(fetched_from):
        # Only the actor's own host speaks for it (Mastodon's origin rule).
        raise InvalidActivity(f"{fetched_from} served an actor whose id {ap_id} is on another host")
    actor_type = document.get("type")
    if isinstance(actor_type, list):
        actor_type = next((t for t in actor_type if t in ACTOR_TYPES), None)
    if actor_type not in ACTOR_TYPES:
        raise InvalidActivity(f"{ap_id} is a {actor_type!r}, not an actor")
    inbox = _url(document.get("inbox"))
    if inbox is None:
        raise InvalidActivity(f"the actor {ap_id} has no inbox")
    endpoints = document.get("endpoints")
    shared = _url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key_id, key_pem = _main_key(document)
    if key_id is not None and host_of(key_id) != host_of(ap_id):
        key_id, key_pem = None, None
    summary = _text(document.get("summary"), 20_000)
    name = _text(document.get("name"), 255)
    return ParsedActor(
        ap_id=ap_id,
        actor_type=str(actor_type),
        preferred_username=_text(document.get("preferredUsername"), 255),
        # Names are plain text: whatever markup a remote puts there is escaped when shown.
        name=name.strip() if name else None,
        summary=sanitize_remote_html(summary, 5000) if summary else None,
        inbox=inbox,
        shared_inbox=shared,
        outbox=_url(document.get("outbox")),
        followers_url=_url(document.get("followers")),
        following_url=_url(document.get("following")),
        public_key_id=key_id,
        public_key_pem=key_pem,
        document=_stored_document(document, summary),
    )


def _stored_document(document: dict[str, Any], summary: str | None) -> dict[str, Any]:
    stored = dict(document)
    if summary is not None:
        stored["summary"] = sanitize_remote_html(summary, 5000)
    stored.pop("summaryMap", None)
    return stored


def find_key(document: dict[str, Any], key_id: str) -> PublicKeyObject | None:
    """The key `key_id` in an actor document: `publicKey` (PEM) or FEP-521a `assertionMethod`."""
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and key.get("id") == key_id and isinstance(key.get("publicKeyPem"), str):
            return load_public_key(key["publicKeyPem"])
    methods = document.get("assertionMethod")
    for method in methods if isinstance(methods, list) else [methods]:
        if isinstance(method, dict) and method.get("id") == key_id and isinstance(method.get("publicKeyMultibase"), str):
            return ed25519_public_key_from_multibase(method["publicKeyMultibase"])
    return None


# Key ids looked up in one query at most (bind parameters stay well under every driver's limit).
_KEY_BATCH = 256


@dataclass
class _CachedKey:
    key: PublicKey
    fetched_at: float


class RemoteActors:
    """Fetch, store and look up remote actors and their keys; one per process."""

    def __init__(self, ctx: FederationContext, *, client: httpx.AsyncClient | None = None) -> None:
        self.ctx = ctx
        self._client = client
        self._auth: SignatureAuth | None = None
        self._keys: dict[str, _CachedKey] = {}
        self._inflight: dict[str, asyncio.Task[PublicKey]] = {}
        self._key_waiters: dict[str, list[asyncio.Future[PublicKey | None]]] = {}
        self._key_lookups: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- fetching ----
    async def _signed(self) -> tuple[httpx.AsyncClient, SignatureAuth]:
        if self._auth is None:
            async with self.ctx.db.transaction() as session:
                actor = await ensure_instance_actor(session, self.ctx.clock)
            self._auth = SignatureAuth(
                self.ctx.urls.key_id(actor.username),
                load_private_key(actor.rsa_private_pem),
                clock=self.ctx.clock.now,
            )
        if self._client is None:
            self._client = make_client(self.ctx.fetch_policy)
        return self._client, self._auth

    async def fetch_object(self, url: str) -> dict[str, Any]:
        """Any ActivityStreams object, by a GET signed by the instance actor."""
        client, auth = await self._signed()
        fetched = await fetch_document(client, url, policy=self.ctx.fetch_policy, auth=auth)
        data = fetched.data
        if host_of(fetched.url) != host_of(url) or (_url(data.get("id")) and host_of(data["id"]) != host_of(url)):
            raise InvalidActivity(f"{url} answered with an object from another host")
        return data

    async def fetch_actor(self, url: str) -> ParsedActor:
        return parse_actor(await self.fetch_object(url), fetched_from=url)

    def _webfinger_url(self, handle: Handle) -> str:
        # Plain-http instances (loopback tests, the demo, closed networks) finger
        # their peers over http too; everything else speaks https only.
        plain = self.ctx.fetch_policy.allow_private_addresses and self.ctx.urls.base_url.startswith("http:")
        scheme = "http" if plain else "https"
        return f"{scheme}://{handle.host}/.well-known/webfinger?{urlencode({'resource': handle.resource})}"

    async def webfinger(self, handle: Handle) -> str:
        client, _ = await self._signed()
        fetched = await fetch_json(
            client, self._webfinger_url(handle), policy=self.ctx.fetch_policy, accept=JRD_ACCEPT,
            content_types=JRD_CONTENT_TYPES,
        )
        return self_link_of(fetched.data)

    async def _check_webfinger(self, actor: ParsedActor, asked: Handle | None) -> None:
        """Mastodon re-fingers `preferredUsername@host-of-id`: the answer must name this actor."""
        if actor.preferred_username is None:
            if asked is not None:
                raise InvalidActivity(f"{actor.ap_id} has no preferredUsername, so {asked} cannot be verified")
            return
        handle = Handle(actor.preferred_username, actor.domain)
        if asked is not None and asked == handle:
            return  # we just fingered exactly this
        try:
            found = await self.webfinger(handle)
        except (FetchError, InvalidActivity) as exc:
            if asked is not None:
                raise InvalidActivity(f"{asked} led to {actor.ap_id}, but {handle} cannot be fingered: {exc}") from None
            # Found by URL and signed for by its own host: the id is the identity;
            # the handle just stays unverified.
            log.info("webfinger of %s failed: %s", handle, exc)
            return
        if found != actor.ap_id:
            raise InvalidActivity(f"WebFinger of {handle} names {found}, not {actor.ap_id}")

    # ---- storing ----
    async def store(self, parsed: ParsedActor) -> RemoteActor:
        values = {
            "ap_id": parsed.ap_id,
            "actor_type": parsed.actor_type,
            "domain": parsed.domain,
            "preferred_username": parsed.preferred_username,
            "name": parsed.name,
            "inbox": parsed.inbox,
            "shared_inbox": parsed.shared_inbox,
            "outbox": parsed.outbox,
            "followers_url": parsed.followers_url,
            "following_url": parsed.following_url,
            "public_key_id": parsed.public_key_id,
            "public_key_pem": parsed.public_key_pem,
            "document": parsed.document,
            "fetched_at": self.ctx.clock.now(),
            "gone_at": None,
        }
        async with self.ctx.db.transaction() as session:
            insert = dialect_insert(session)
            statement = insert(RemoteActor).values(**values)
            # An upsert, so two requests learning the same actor at once cannot collide.
            statement = statement.on_conflict_do_update(
                index_elements=["ap_id"], set_={k: v for k, v in values.items() if k != "ap_id"}
            )
            await session.execute(statement)
            row = (await session.execute(
                select(RemoteActor).where(RemoteActor.ap_id == parsed.ap_id).execution_options(populate_existing=True)
            )).scalar_one()
        if parsed.public_key_id:
            self._keys.pop(parsed.public_key_id, None)
        return row

    async def refresh(self, actor_id: str) -> RemoteActor:
        return await self.store(await self.fetch_actor(actor_id))

    async def get(self, actor_id: str, *, refresh: bool = False) -> RemoteActor:
        """The cached actor, fetched (and re-fingered) when unknown or when asked to refresh."""
        if not refresh:
            async with self.ctx.db.sessions() as session:
                row = (await session.execute(select(RemoteActor).where(RemoteActor.ap_id == actor_id))).scalar_one_or_none()
            if row is not None and row.gone_at is None:
                return row
        parsed = await self.fetch_actor(actor_id)
        await self._check_webfinger(parsed, None)
        return await self.store(parsed)

    async def resolve(self, target: str) -> RemoteActor:
        """`@user@host`, `user@host` or an actor URL → the stored actor (always fetched fresh)."""
        handle = parse_handle(target)
        if handle is not None:
            actor_url = await self.webfinger(handle)
            parsed = await self.fetch_actor(actor_url)
            await self._check_webfinger(parsed, handle)
        elif target.startswith(("http://", "https://")):
            parsed = await self.fetch_actor(target)
            await self._check_webfinger(parsed, None)
        else:
            raise InvalidActivity(f"target: {target!r} is neither @user@host nor an http(s) URL")
        return await self.store(parsed)

    # ---- keys (a KeyResolver for federation.signatures.verify_request) ----
    async def resolve_key(self, key_id: str, refresh: bool) -> PublicKey:
        cached = self._keys.get(key_id)
        if cached is not None and (not refresh or time.monotonic() - cached.fetched_at < _REFRESH_INTERVAL):
            return cached.key
        if not refresh:
            from_db = await self._key_from_db(key_id)
            if from_db is not None:
                self._remember(from_db, fetched_at=0.0)  # 0: a refresh may refetch it at once
                return from_db
        task = self._inflight.get(key_id)
        if task is None:
            # One fetch per key however many requests wait for it.
            task = asyncio.ensure_future(self._fetch_key(key_id))
            self._inflight[key_id] = task
            task.add_done_callback(lambda _t: self._inflight.pop(key_id, None))
        return await asyncio.shield(task)

    def forget_key(self, key_id: str | None) -> None:
        if key_id:
            self._keys.pop(key_id, None)

    def remember_key(self, key: PublicKey) -> None:
        """Seed the cache (benchmarks, tests of other layers)."""
        self._remember(key, fetched_at=time.monotonic())

    def _remember(self, key: PublicKey, *, fetched_at: float) -> None:
        if len(self._keys) >= _MAX_CACHED_KEYS:
            self._keys.clear()
        self._keys[key.key_id] = _CachedKey(key, fetched_at)

    async def _key_from_db(self, key_id: str) -> PublicKey | None:
        """The stored key, looked up together with those other requests ask for in the same loop turn.

        A first request from each of thousands of new signers (a wave of Follows) made one read each,
        ~8 thread handoffs through aiosqlite (0.7 ms of CPU); one query now serves them all."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[PublicKey | None] = loop.create_future()
        if not self._key_waiters:
            loop.call_soon(self._start_key_lookup)
        self._key_waiters.setdefault(key_id, []).append(waiter)
        return await waiter

    def _start_key_lookup(self) -> None:
        waiters, self._key_waiters = self._key_waiters, {}
        task = asyncio.ensure_future(self._look_up_keys(waiters))
        self._key_lookups.add(task)
        task.add_done_callback(self._key_lookups.discard)

    async def _look_up_keys(self, waiters: dict[str, list[asyncio.Future[PublicKey | None]]]) -> None:
        key_ids = list(waiters)
        try:
            found: dict[str, PublicKey | None] = {}
            for start in range(0, len(key_ids), _KEY_BATCH):
                found.update(await self._keys_from_db(key_ids[start : start + _KEY_BATCH]))
        except BaseException as exc:
            for futures in waiters.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("key lookup stopped"))
            if not isinstance(exc, Exception):
                raise
            return
        for key_id, futures in waiters.items():
            for future in futures:
                if not future.done():  # the request may have gone away meanwhile
                    future.set_result(found.get(key_id))

    async def _keys_from_db(self, key_ids: list[str]) -> dict[str, PublicKey | None]:
        urls = {key_id: urldefrag(key_id).url for key_id in key_ids}
        # The main key's PEM has its own column: the stored documents (kilobytes of JSON each) are read
        # only for the other keys asked for (FEP-521a assertion methods), in a second query.
        columns = (RemoteActor.ap_id, RemoteActor.public_key_id, RemoteActor.public_key_pem, RemoteActor.gone_at)
        # A plain connection, no ORM session (keys are cached after their first use).
        async with self.ctx.db.read_engine.connect() as connection:
            rows = (await connection.execute(select(*columns).where(
                RemoteActor.public_key_id.in_(key_ids) | RemoteActor.ap_id.in_(set(urls.values()))
            ))).all()
            by_key = {row.public_key_id: row for row in rows if row.public_key_id}
            by_actor = {row.ap_id: row for row in rows}
            found: dict[str, PublicKey | None] = {}
            in_documents: dict[str, str] = {}  # key id -> its actor, for the keys not in the PEM column
            for key_id in key_ids:
                # As the single lookup did: the actor that lists this key id, else the actor the id points into.
                row = by_key.get(key_id) or by_actor.get(urls[key_id])
                if row is None or row.gone_at is not None:
                    found[key_id] = None
                elif row.public_key_id == key_id and row.public_key_pem:
                    found[key_id] = PublicKey(key_id=key_id, owner=row.ap_id, key=load_public_key(row.public_key_pem))
                else:
                    in_documents[key_id] = row.ap_id
            if in_documents:
                documents: dict[str, Any] = dict((await connection.execute(
                    select(RemoteActor.ap_id, RemoteActor.document)
                    .where(RemoteActor.ap_id.in_(set(in_documents.values())))
                )).all())
                for key_id, owner in in_documents.items():
                    key = find_key(documents.get(owner) or {}, key_id)
                    found[key_id] = PublicKey(key_id=key_id, owner=owner, key=key) if key is not None else None
        return found

    async def _fetch_key(self, key_id: str) -> PublicKey:
        url = urldefrag(key_id).url
        try:
            document = await self.fetch_object(url)
            if "publicKeyPem" in document and "inbox" not in document:
                # A key served on its own (GoToSocial): its owner must list it.
                owner = _url(document.get("owner") or document.get("controller"))
                if owner is None or host_of(owner) != host_of(key_id):
                    raise KeyResolutionError(f"the key {key_id} names no owner on its own host")
                document = await self.fetch_object(owner)
            parsed = parse_actor(document, fetched_from=url)
            key = find_key(parsed.document, key_id)
        except RemoteGone as exc:
            raise ActorGone(key_id, f"the signer of {key_id} is gone: {exc}") from None
        except (FetchError, InvalidActivity) as exc:
            raise KeyResolutionError(f"cannot obtain the key {key_id}: {exc}") from None
        if key is None:
            raise KeyResolutionError(f"the actor {parsed.ap_id} does not list the key {key_id}")
        await self.store(parsed)
        public = PublicKey(key_id=key_id, owner=parsed.ap_id, key=key)
        self._remember(public, fetched_at=time.monotonic())
        return public
