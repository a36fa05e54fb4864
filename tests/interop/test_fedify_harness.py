"""The Fedify harness itself works: two Fedify peers find, follow and deliver to each other."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.interop.fedify_peer import FedifyLookupError, FedifyPeer, FedifyPeerError

pytestmark = pytest.mark.interop


@pytest.fixture
def peers() -> Iterator[tuple[FedifyPeer, FedifyPeer]]:
    with FedifyPeer.start() as a, FedifyPeer.start() as b:
        yield a, b


def test_harness__two_peers_follow_and_deliver_an_event(peers: tuple[FedifyPeer, FedifyPeer]) -> None:
    a, b = peers

    actor = b.lookup(a.actor_url)
    assert actor["type"] == "Person"
    assert actor["id"] == a.actor_url
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"] == a.inbox_url
    assert actor["publicKeyId"] and actor["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(actor["assertionMethodIds"]) == 2  # RSA and Ed25519 as Multikey

    follow = b.follow(a.actor_url)
    accept = b.wait_for(lambda act: act["type"] == "Accept")
    assert accept["verified"] and accept["objectId"] == follow["followId"]
    assert b.following() == [
        {"actor": a.actor_url, "followId": follow["followId"], "state": "accepted", "inbox": a.inbox_url}
    ]
    assert a.followers() == [b.actor_url]

    published = a.publish_event(
        name="Open day",
        startTime="2030-09-22T07:30:00Z",
        endTime="2030-09-22T16:00:00Z",
        location={"name": "Coworking Racale", "address": "Via Roma 1, Racale", "latitude": 39.96, "longitude": 18.09},
    )
    create = b.wait_for(lambda act: act["type"] == "Create")
    assert create["verified"] and create["httpSignature"]["verified"]
    assert create["signatureScheme"] == "rfc9421"  # Fedify's default first knock, accepted by Fedify
    assert create["actor"] == a.actor_url and create["id"] == published["activityId"]
    event = create["object"]
    assert event["type"] == "Event" and event["id"] == published["id"]
    assert event["name"] == "Open day"
    assert event["startTime"] == "2030-09-22T07:30:00Z" and event["endTime"] == "2030-09-22T16:00:00Z"
    assert event["attributedTo"] == a.actor_url
    assert event["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert event["cc"] == [f"{a.actor_url}/followers"]
    assert event["location"]["type"] == "Place"
    assert (event["location"]["latitude"], event["location"]["longitude"]) == (39.96, 18.09)

    # The event is served at its id, so a receiver can re-fetch it.
    refetched = b.lookup(published["id"])
    assert refetched["type"] == "Event" and refetched["location"]["name"] == "Coworking Racale"


def test_harness__place_and_unfollow(peers: tuple[FedifyPeer, FedifyPeer]) -> None:
    a, b = peers
    b.follow(a.actor_url)
    b.wait_for(lambda act: act["type"] == "Accept")
    a.publish_place(name="Hub", address="Via Roma 1, Racale", latitude=39.96, longitude=18.09)
    place = b.wait_for(lambda act: act["type"] == "Create")["object"]
    assert place["type"] == "Place" and place["summary"] == "Via Roma 1, Racale" and place["latitude"] == 39.96

    b.unfollow(a.actor_url)
    a.wait_for(lambda act: act["type"] == "Undo")
    assert a.followers() == [] and b.following() == []


def test_harness__start_failure_reports_peer_output() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(FedifyPeerError, match="EADDRINUSE"), FedifyPeer.start(taken.getsockname()[1]):
            pass


def test_harness__signing_scheme_can_be_forced(peers: tuple[FedifyPeer, FedifyPeer]) -> None:
    a, b = peers
    b.set_signing("draft-cavage-http-signatures-12", fallback=False)
    b.follow(a.actor_url)
    b.wait_for(lambda act: act["type"] == "Accept")
    [delivery] = [entry for entry in a.inbox_log() if entry["status"] == 202]
    assert delivery["scheme"] == "draft-cavage-http-signatures-12" and delivery["httpSignature"]["verified"]
    assert [s["scheme"] for s in b.sent() if s["method"] == "POST"] == ["draft-cavage-http-signatures-12"]


class _Documents(BaseHTTPRequestHandler):
    """Serves a few fixed JSON-LD documents, the way a careless peer might write them."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        contexts = {"/full-schema-org": "http://schema.org/", "/https-schema-org": "https://schema.org"}
        if self.path not in contexts:
            self.send_error(404)
            return
        body = json.dumps({
            "@context": ["https://www.w3.org/ns/activitystreams", contexts[self.path]],
            "id": base + self.path, "type": "Organization", "name": "Bad", "inbox": base + "/inbox",
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/activity+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


def test_harness__lookup_reports_fedify_parse_errors() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with FedifyPeer.start() as peer:
            # The whole schema.org context redefines Organization: Fedify refuses the document.
            with pytest.raises(FedifyLookupError, match="Invalid type: http://schema.org/Organization"):
                peer.lookup(f"{base}/full-schema-org")
            # https://schema.org is not among Fedify's preloaded contexts and cannot be fetched.
            assert "schema.org" in peer.try_lookup(f"{base}/https-schema-org")["error"]
            with pytest.raises(FedifyLookupError, match="404"):
                peer.lookup(f"{base}/missing")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
