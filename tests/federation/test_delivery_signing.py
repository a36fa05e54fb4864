"""The delivery fast path signs exactly what the reference signers sign, and what they verify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.delivery_signing import DeliveryPayload, raw_signature, signing_base
from federation.errors import UnsafeAddressError
from federation.keys import PrivateKeyObject, generate_ed25519_key, generate_rsa_key
from federation.post_target import post_target
from federation.signatures import PublicKey, sign_cavage, sign_rfc9421, verify_request

NOW = datetime(2026, 11, 25, 21, 30, 7, tzinfo=UTC)
KEY_ID = "https://cowo.example/users/racale#main-key"
BODY = '{"type":"Create","content":"Caffè e coworking"}'.encode()
RSA_KEY = generate_rsa_key()
ED_KEY = generate_ed25519_key()
URLS = [
    "https://mastodon.example/inbox",
    "https://Mastodon.Example:443/users/anna/inbox",
    "http://127.0.0.1:8080/inbox?x=1&y=2",
    "https://[2001:db8::1]:8443/inbox",
]
REFERENCE = {"cavage": sign_cavage, "rfc9421": sign_rfc9421}


def _fast(key: PrivateKeyObject, url: str, scheme: str) -> dict[str, str]:
    payload = DeliveryPayload(BODY, KEY_ID, key)
    base = signing_base(payload, post_target(url), scheme, NOW)  # type: ignore[arg-type]
    return dict(base.signed_headers(raw_signature(key, base.message)))


def _reference(key: PrivateKeyObject, url: str, scheme: str) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
    added = REFERENCE[scheme](
        method="POST", url=url, headers=headers, body=BODY, key_id=KEY_ID, private_key=key, now=NOW
    )
    return {**headers, **added}


# PKCS#1 v1.5 and Ed25519 are deterministic, so equal inputs give equal signatures.
@pytest.mark.parametrize("key", [RSA_KEY, ED_KEY], ids=["rsa", "ed25519"])
@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize("url", URLS)
def test_fast_path__headers_are_byte_for_byte_the_reference_signers(
    key: PrivateKeyObject, scheme: str, url: str
) -> None:
    fast = _fast(key, url, scheme)
    assert list(fast.items()) == list(_reference(key, url, scheme).items())


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_fast_path__verifies_and_a_changed_body_does_not(scheme: str) -> None:
    url = URLS[0]
    headers = _fast(RSA_KEY, url, scheme)
    headers["Host"] = "mastodon.example"

    async def resolve(key_id: str, refresh: bool) -> PublicKey:
        assert key_id == KEY_ID
        return PublicKey(key_id=KEY_ID, owner="https://cowo.example/users/racale", key=RSA_KEY.public_key())

    verified = await verify_request(
        method="POST", url=url, headers=headers, body=BODY, resolve_key=resolve, now=NOW
    )
    assert verified.scheme == scheme
    with pytest.raises(Exception, match="[Dd]igest"):
        await verify_request(
            method="POST", url=url, headers=headers, body=BODY + b" ", resolve_key=resolve, now=NOW
        )


def test_payload__digests_are_computed_once_per_activity() -> None:
    payload = DeliveryPayload(BODY, KEY_ID, RSA_KEY)
    assert payload.digest.startswith("SHA-256=") and payload.content_digest.startswith("sha-256=:")


def test_post_target__refuses_what_cannot_be_posted_to() -> None:
    for url in ("ftp://example.com/inbox", "https://user:pw@example.com/inbox", "https://example.com:99999/"):
        with pytest.raises(UnsafeAddressError):
            post_target(url)
    target = post_target("https://Example.com/in box/é?q=1")
    assert (target.host, target.port, target.target) == ("example.com", 443, "/in%20box/%C3%A9?q=1")
    assert target.authority == "example.com"

