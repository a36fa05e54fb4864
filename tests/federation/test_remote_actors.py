"""Resolving remote actors and their keys against a real loopback host."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from federation.clock import SystemClock
from federation.context import FederationContext
from federation.db import Database
from federation.errors import InvalidActivity, KeyResolutionError, UnsafeAddressError
from federation.fetch import FetchPolicy
from federation.keys import (
    ed25519_public_key_to_multibase,
    generate_ed25519_key,
    generate_rsa_key,
    public_key_to_pem,
)
from federation.remote_actors import ActorGone, RemoteActors, parse_actor
from federation.urls import LocalUrls
from federation.webfinger import parse_handle

from .remote_host import RemoteHost, remote_host


@pytest.fixture
def remote() -> Iterator[RemoteHost]:
    with remote_host() as host:
        host.add_actor("alice", display_name="Alice <b>Cowork</b>")
        yield host


def _ctx(database: Database, *, allow_private: bool = True) -> FederationContext:
    return FederationContext(db=database, clock=SystemClock(), urls=LocalUrls("http://127.0.0.1:9"),
                             fetch_policy=FetchPolicy(allow_private_addresses=allow_private))


@pytest.fixture
async def actors(database: Database) -> AsyncIterator[RemoteActors]:
    resolver = RemoteActors(_ctx(database))
    try:
        yield resolver
    finally:
        await resolver.aclose()


async def test_resolve__by_handle_and_by_url_give_the_same_stored_actor(actors: RemoteActors, remote: RemoteHost) -> None:
    by_handle = await actors.resolve(f"@alice@{remote.domain}")
    by_url = await actors.resolve(remote.actor_id("alice"))
    assert by_handle.id == by_url.id
    assert by_url.ap_id == remote.actor_id("alice") and by_url.inbox == f"{remote.actor_id('alice')}/inbox"
    assert by_url.shared_inbox == f"{remote.base_url}/inbox" and by_url.public_key_id == remote.key_id("alice")
    assert by_url.preferred_username == "alice" and by_url.domain == remote.domain
    assert "<script>" not in (by_url.document["summary"] or "")


async def test_resolve__refuses_a_handle_whose_webfinger_names_another_actor(actors: RemoteActors,
                                                                             remote: RemoteHost) -> None:
    remote.add_actor("bob")
    original = remote.document

    def lying(name: str) -> dict[str, object]:
        document = original(name)
        if name == "bob":
            document["preferredUsername"] = "alice"  # claims alice's handle
        return document

    remote.document = lying  # type: ignore[method-assign]
    with pytest.raises(InvalidActivity, match="names"):
        await actors.resolve(remote.actor_id("bob"))


async def test_resolve__refuses_private_addresses_unless_allowed(database: Database, remote: RemoteHost) -> None:
    strict = RemoteActors(_ctx(database, allow_private=False))
    try:
        with pytest.raises(UnsafeAddressError, match="public address"):
            await strict.resolve(remote.actor_id("alice"))
    finally:
        await strict.aclose()


async def test_resolve_key__cached_then_refetched_once_on_rotation(actors: RemoteActors, remote: RemoteHost) -> None:
    key = await actors.resolve_key(remote.key_id("alice"), False)
    assert key.owner == remote.actor_id("alice")
    assert public_key_to_pem(key.key) == public_key_to_pem(remote.actors["alice"].key.public_key())  # type: ignore[arg-type]
    old_pem = public_key_to_pem(key.key)
    remote.rotate_key("alice")
    new = await actors.resolve_key(remote.key_id("alice"), False)
    assert public_key_to_pem(new.key) != old_pem
    # A key id the actor no longer lists cannot be obtained.
    remote.actors["alice"].key_fragment = "other"
    with pytest.raises(KeyResolutionError, match="does not list"):
        await actors.resolve_key(f"{remote.actor_id('alice')}#nope", True)


async def test_resolve_key__gone_actor_raises_actor_gone(actors: RemoteActors, remote: RemoteHost) -> None:
    remote.gone.add("alice")
    with pytest.raises(ActorGone):
        await actors.resolve_key(remote.key_id("alice"), False)


def test_parse_handle_shapes() -> None:
    assert parse_handle("@a@127.0.0.1:8000") is not None and parse_handle("http://x/users/a") is None


async def test_resolve_key__concurrent_first_lookups_share_one_query(database: Database, remote: RemoteHost) -> None:
    # Stored by one resolver, looked up cold by another: the requests of one loop turn are answered
    # together, each with its own actor's key, and a key nobody stored still goes to its host.
    for name in ("bob", "cy"):
        remote.add_actor(name)
    storing = RemoteActors(_ctx(database))
    for name in ("alice", "bob", "cy"):
        await storing.resolve(remote.actor_id(name))
    await storing.aclose()
    remote.add_actor("dee")  # known to its host only
    fresh = RemoteActors(_ctx(database))
    try:
        keys = await asyncio.gather(*(fresh.resolve_key(remote.key_id(name), False)
                                      for name in ("alice", "bob", "cy", "alice", "dee")))
    finally:
        await fresh.aclose()
    assert [key.owner for key in keys] == [remote.actor_id(n) for n in ("alice", "bob", "cy", "alice", "dee")]
    assert public_key_to_pem(keys[1].key) == public_key_to_pem(remote.actors["bob"].key.public_key())  # type: ignore[arg-type]


async def test_resolve_key__stored_keys_are_found_without_a_fetch_main_key_and_assertion_method(
    database: Database
) -> None:
    # An actor stored with its RSA main key and an FEP-521a Ed25519 key, on a host nobody answers for:
    # a cold resolver finds both in the database (the second one in the stored document), and no other.
    actor_id = "http://127.0.0.1:9/users/zed"  # port 9: a fetch would fail
    rsa, ed = generate_rsa_key(), generate_ed25519_key()
    document = {
        "id": actor_id, "type": "Person", "inbox": f"{actor_id}/inbox",
        "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_key_to_pem(rsa.public_key())},
        "assertionMethod": [{"id": f"{actor_id}#ed25519-key", "type": "Multikey", "controller": actor_id,
                             "publicKeyMultibase": ed25519_public_key_to_multibase(ed.public_key())}],
    }
    storing = RemoteActors(_ctx(database))
    await storing.store(parse_actor(document, fetched_from=actor_id))
    await storing.aclose()
    fresh = RemoteActors(_ctx(database, allow_private=False))
    try:
        main, assertion = await asyncio.gather(fresh.resolve_key(f"{actor_id}#main-key", False),
                                               fresh.resolve_key(f"{actor_id}#ed25519-key", False))
        with pytest.raises(KeyResolutionError):  # not stored: it goes to the host, which is refused
            await fresh.resolve_key(f"{actor_id}#other-key", False)
    finally:
        await fresh.aclose()
    assert main.owner == assertion.owner == actor_id
    assert public_key_to_pem(main.key) == public_key_to_pem(rsa.public_key())  # type: ignore[arg-type]
    assert public_key_to_pem(assertion.key) == public_key_to_pem(ed.public_key())  # type: ignore[arg-type]
