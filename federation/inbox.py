"""The inbox: accept → verify → persist. Processing happens later, in the worker
(`federation.inbox_processing`).

The order is the point: the HTTP signature is checked before the body is
even parsed, the key's owner must be the activity's actor, the origin rules
run on the parsed activity, and only then is it stored. Storing uses group
commit (`InboxWriter`): rows arriving within one commit's time share the
next transaction, and each request is answered 202 only once its row is
durable. Duplicates (same activity id) are dropped by the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import Table, select

from .context import FederationContext
from .db import Database
from .errors import InvalidActivity, SignatureError
from .models import InboxActivity, RemoteActor
from .remote_actors import ActorGone, RemoteActors, dialect_insert, host_of
from .sanitize import sanitize_remote_html
from .signatures import verify_request

if TYPE_CHECKING:
    from .blocks import BlockList

__all__ = ["Inbox", "InboxWriter", "ParsedActivity", "parse_activity"]

log = logging.getLogger(__name__)

_URL_MAX = 2048
_HTML_FIELDS = ("content", "summary")
_HTML_MAP_FIELDS = ("contentMap", "summaryMap")
_MAX_HTML = 100_000


@dataclass(frozen=True)
class ParsedActivity:
    id: str | None
    type: str
    actor: str
    object_id: str | None
    document: dict[str, Any]


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _type_of(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else None
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    return kind if isinstance(kind, str) else None


def parse_activity(body: bytes) -> ParsedActivity:
    """The activity's identity fields, checked; raises `InvalidActivity` (400) saying what is wrong."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidActivity(f"body: malformed JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidActivity("body: an activity must be a JSON object")
    kind = _type_of(data)
    if kind is None or len(kind) > 64:
        raise InvalidActivity("type: the activity has no type")
    actor = _id_of(data.get("actor"))
    if actor is None or not actor.startswith(("http://", "https://")) or len(actor) > _URL_MAX:
        raise InvalidActivity("actor: the activity names no actor URL")
    activity_id = data.get("id")
    if activity_id is not None and (not isinstance(activity_id, str) or len(activity_id) > _URL_MAX):
        raise InvalidActivity("id: must be a URL")
    return ParsedActivity(id=activity_id, type=kind, actor=actor, object_id=_id_of(data.get("object")),
                          document=data)


def enforce_origin(activity: ParsedActivity, local_host: str) -> dict[str, Any]:
    """Apply the origin rules; return the document as it may be stored.

    The activity's id must be on its actor's host. An embedded object from
    another host is not trusted: it is cut down to its id, so whoever needs
    it fetches it from its origin. Objects on our own host are reduced the
    same way (we trust our database, not a copy). Remote HTML is sanitized.
    """
    actor_host = host_of(activity.actor)
    if activity.id is not None and host_of(activity.id) != actor_host:
        raise InvalidActivity(f"id: {activity.id} is not on the host of its actor {activity.actor}")
    document = dict(activity.document)
    embedded = document.get("object")
    if isinstance(embedded, dict):
        object_id = _id_of(embedded)
        if object_id is not None and host_of(object_id) != actor_host:
            document["object"] = object_id
        else:
            document["object"] = _sanitized(embedded)
    return document


def _sanitized(obj: dict[str, Any]) -> dict[str, Any]:
    clean = dict(obj)
    for name in _HTML_FIELDS:
        if isinstance(clean.get(name), str):
            clean[name] = sanitize_remote_html(clean[name], _MAX_HTML)
    for name in _HTML_MAP_FIELDS:
        value = clean.get(name)
        if isinstance(value, dict):
            clean[name] = {
                str(lang): sanitize_remote_html(text, _MAX_HTML) for lang, text in value.items() if isinstance(text, str)
            }
    if isinstance(clean.get("object"), dict):
        clean["object"] = _sanitized(clean["object"])  # Undo(Follow), Announce(Create(...))
    return clean


class InboxWriter:
    """Group commit: one INSERT … ON CONFLICT DO NOTHING per batch of waiting rows."""

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(self, row: dict[str, Any]) -> None:
        """Return once `row` is committed (or was already there)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="inbox-writer")
        self._wake.set()
        await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Let the handlers that are already runnable add their rows first.
            await asyncio.sleep(0)
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        try:
            async with self.db.transaction(one_statement=True) as session:
                insert = dialect_insert(session)
                # Core on the table, not the ORM entity: the ORM's bulk INSERT path walks the mapper
                # for every row, which cost more than the INSERT itself on the inbox benchmark.
                table = cast(Table, InboxActivity.__table__)
                statement = insert(table).on_conflict_do_nothing(index_elements=["activity_id"])
                connection = await session.connection()
                await connection.execute(statement, [row for row, _ in _unique(batch)])
        except asyncio.CancelledError:
            for _, future in batch:
                if not future.done():
                    future.set_exception(RuntimeError("the inbox writer stopped"))
            raise
        except Exception as exc:  # every waiting request gets the failure, as a 500
            log.exception("inbox batch of %d rows failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)


def _unique(batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> list[tuple[dict[str, Any], asyncio.Future[None]]]:
    # PostgreSQL refuses ON CONFLICT touching the same row twice in one statement.
    seen: set[str] = set()
    unique = []
    for row, future in batch:
        key = row.get("activity_id")
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append((row, future))
    return unique


class Inbox:
    """What an inbox POST goes through before its 202."""

    def __init__(self, ctx: FederationContext, actors: RemoteActors, writer: InboxWriter,
                 blocks: BlockList | None = None) -> None:
        self.ctx = ctx
        self.actors = actors
        self.writer = writer
        self.blocks = blocks

    async def receive(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes, recipient: str | None
    ) -> None:
        """Verify and store; raises `SignatureError` (401) or `InvalidActivity` (400)."""
        if self.blocks is not None and await self.blocks.blocks_body(body):
            # Blocked (federation.blocks): 202 and nothing stored, before any key fetch from their server.
            return
        try:
            signer = await verify_request(
                method=method, url=url, headers=headers, body=body, resolve_key=self.actors.resolve_key,
                now=self.ctx.clock.now(), max_skew=timedelta(hours=1),
            )
        except ActorGone as gone:
            await self._receive_from_gone_actor(gone, body, recipient)
            return
        activity = parse_activity(body)
        if signer.owner != activity.actor:
            raise SignatureError(
                f"the request is signed by {signer.owner} ({signer.key_id}), but the activity's actor is {activity.actor}"
            )
        document = enforce_origin(activity, self.ctx.urls.domain)
        await self.writer.write(self._row(activity, document, signer.key_id, recipient))

    async def _receive_from_gone_actor(self, gone: ActorGone, body: bytes, recipient: str | None) -> None:
        """Mastodon's rule: a self-`Delete` whose key now answers 410 is accepted unsigned.

        The 410 came from the actor's own host, which is proof enough that it is
        gone; we drop it if we know it, and answer 202 either way."""
        activity = parse_activity(body)
        signer_actor = gone.key_id.split("#", 1)[0]
        if not (activity.type == "Delete" and activity.object_id == activity.actor == signer_actor):
            raise gone
        async with self.ctx.db.sessions() as session:
            known = await session.scalar(select(RemoteActor.id).where(RemoteActor.ap_id == activity.actor))
        if known is None:
            return
        document = enforce_origin(activity, self.ctx.urls.domain)
        await self.writer.write(self._row(activity, document, gone.key_id, recipient))

    def _row(self, activity: ParsedActivity, document: dict[str, Any], key_id: str, recipient: str | None) -> dict[str, Any]:
        now = self.ctx.clock.now()
        return {
            "activity_id": activity.id,
            "activity_type": activity.type,
            "actor_id": activity.actor,
            "signer_key_id": key_id[:_URL_MAX],
            "recipient_username": recipient,
            "body": orjson.dumps(document).decode(),
            "received_at": now,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "locked_until": None,
            "error": None,
        }
