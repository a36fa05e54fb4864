from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers

from federation.errors import SignatureError
from federation.keys import (
    PrivateKeyObject,
    generate_ed25519_key,
    generate_rsa_key,
    load_private_key,
    load_public_key,
    sign_bytes,
    verify_bytes,
)
from federation.signature_cavage import http_date, parse_signature_header, signing_string
from federation.signatures import PublicKey, SignatureAuth, VerifiedSignature, sign_cavage, verify_request

DATA = Path(__file__).parent.parent / "data" / "signatures"
VECTORS: dict[str, Any] = json.loads((DATA / "cavage-vectors.json").read_text())
TEST_KEY = load_private_key((DATA / "cavage-test-key.pem").read_text())
TEST_PUBLIC = load_public_key((DATA / "cavage-test-key.pub.pem").read_text())

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://social.example/users/alice#main-key"
OWNER = "https://social.example/users/alice"
INBOX = "https://espresso.example/inbox"
BODY = b'{"type": "Follow"}'
RSA_KEY = generate_rsa_key()


class Resolver:
    """Hands out keys in order (the last one repeats) and records every call."""

    def __init__(self, *keys: PrivateKeyObject) -> None:
        self.keys = list(keys)
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKey:
        self.calls.append((key_id, refresh))
        key = self.keys[min(len(self.calls), len(self.keys)) - 1]
        return PublicKey(key_id=key_id, owner=OWNER, key=key.public_key())


def _signed(method: str = "POST", body: bytes | None = BODY, *, key: PrivateKeyObject = RSA_KEY,
            now: datetime = NOW) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage(method=method, url=INBOX, headers=headers, body=body, key_id=KEY_ID,
                               private_key=key, now=now))
    return headers


async def _verify(headers: dict[str, str], *, method: str = "POST", body: bytes = BODY,
                  resolver: Resolver | None = None, url: str = INBOX) -> VerifiedSignature:
    return await verify_request(method=method, url=url, headers=headers, body=body,
                                resolve_key=resolver or Resolver(RSA_KEY), now=NOW)


def _manual_signature(names: list[str], algorithm: str, *, key: PrivateKeyObject = RSA_KEY,
                      order: list[str] | None = None) -> dict[str, str]:
    """Headers signed by hand, as another server would, over ``order`` (default: ``names``)."""
    headers = _signed()
    lowered = {name.lower(): value for name, value in headers.items()}
    message = signing_string(order or names, method="POST", url=INBOX, headers=lowered)
    signature = base64.b64encode(sign_bytes(key, None, message)).decode()
    headers["Signature"] = (f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(names)}",'
                            f'signature="{signature}"')
    return headers


# --- draft-cavage-12 Appendix C -------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(VECTORS["cases"]))
def test_appendix_c__signing_string_and_signature_verify(case: str) -> None:
    vector, request = VECTORS["cases"][case], VECTORS["request"]
    params = parse_signature_header(vector["signature_header"])
    headers = {name.lower(): value for name, value in request["headers"].items()}
    message = signing_string(params.headers, method=request["method"], url=request["url"], headers=headers,
                             created=params.created, expires=params.expires)
    assert message == "\n".join(vector["signing_string"]).encode()
    assert verify_bytes(TEST_PUBLIC, "rsa-v1_5-sha256", message, params.signature)
    # PKCS#1 v1.5 is deterministic: our signer must reproduce the published bytes.
    assert sign_bytes(TEST_KEY, None, message) == params.signature
    assert not verify_bytes(TEST_PUBLIC, "rsa-v1_5-sha256", message + b"x", params.signature)


async def test_appendix_c3__accepted_by_verify_request_within_its_window() -> None:
    request, vector = VECTORS["request"], VECTORS["cases"]["C.3 all headers"]
    headers = {**request["headers"], "Signature": vector["signature_header"]}

    async def resolve(key_id: str, refresh: bool) -> PublicKey:
        return PublicKey(key_id=key_id, owner="test", key=TEST_PUBLIC)

    verified = await verify_request(method="POST", url=request["url"], headers=headers,
                                    body=request["body"].encode(), resolve_key=resolve,
                                    now=datetime.fromtimestamp(1402170697, UTC), max_skew=timedelta(days=200))
    assert verified == VerifiedSignature(key_id="Test", owner="test", scheme="cavage")


async def test_appendix_c2__refused_for_a_post_because_digest_is_not_signed() -> None:
    request, vector = VECTORS["request"], VECTORS["cases"]["C.2 basic"]
    headers = {**request["headers"], "Signature": vector["signature_header"]}
    with pytest.raises(SignatureError, match="must cover the Digest"):
        await verify_request(method="POST", url=request["url"], headers=headers, body=request["body"].encode(),
                             resolve_key=Resolver(TEST_KEY), now=datetime(2014, 1, 5, 21, 31, tzinfo=UTC))


# --- signing ----------------------------------------------------------------------------------

def test_sign_cavage__post_headers_follow_mastodon() -> None:
    headers = _signed()
    assert headers["Date"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert headers["Host"] == "espresso.example"
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    params = parse_signature_header(headers["Signature"])
    assert params.headers == ("(request-target)", "host", "date", "digest")
    assert params.algorithm == "rsa-sha256"
    assert params.key_id == KEY_ID


def test_sign_cavage__get_signs_no_digest_and_takes_extra_headers() -> None:
    headers = {"Accept": "application/activity+json"}
    added = sign_cavage(method="GET", url=INBOX, headers=headers, body=None, key_id=KEY_ID,
                        private_key=RSA_KEY, now=NOW, extra_headers=["Accept"])
    assert "Digest" not in added
    assert parse_signature_header(added["Signature"]).headers == ("(request-target)", "host", "date", "accept")


def test_http_date__is_rfc7231_imf_fixdate() -> None:
    assert http_date(datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)) == "Sun, 06 Nov 1994 08:49:37 GMT"


# --- verification -----------------------------------------------------------------------------

async def test_verify__round_trip_post_and_get() -> None:
    assert (await _verify(_signed())).owner == OWNER
    verified = await _verify(_signed("GET", None), method="GET", body=b"")
    assert verified == VerifiedSignature(key_id=KEY_ID, owner=OWNER, scheme="cavage")


async def test_verify__tampered_body_is_refused_naming_the_digest() -> None:
    with pytest.raises(SignatureError, match="Digest header .* does not match the request body"):
        await _verify(_signed(), body=b'{"type": "Delete"}')


async def test_verify__wrong_key_is_refused_after_one_refetch() -> None:
    resolver = Resolver(generate_rsa_key())
    with pytest.raises(SignatureError, match="does not verify"):
        await _verify(_signed(), resolver=resolver)
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_verify__rotated_key_is_refetched_once() -> None:
    resolver = Resolver(generate_rsa_key(), RSA_KEY)
    assert (await _verify(_signed(), resolver=resolver)).key_id == KEY_ID
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize("offset", [timedelta(hours=2), -timedelta(hours=2)])
async def test_verify__date_outside_skew_is_refused(offset: timedelta) -> None:
    with pytest.raises(SignatureError, match="Date header .* away from our clock"):
        await _verify(_signed(now=NOW + offset))


async def test_verify__date_inside_skew_is_accepted() -> None:
    assert await _verify(_signed(now=NOW - timedelta(minutes=50)))


async def test_verify__post_without_digest_coverage_is_refused() -> None:
    headers = _signed(body=None)
    with pytest.raises(SignatureError, match="POST signature must cover the Digest"):
        await _verify(headers)


async def test_verify__mastodon_header_order_is_honoured() -> None:
    names = ["host", "date", "digest", "content-type", "(request-target)"]
    assert await _verify(_manual_signature(names, "rsa-sha256"))


async def test_verify__headers_listed_in_another_order_than_signed_fail() -> None:
    names = ["host", "date", "digest", "content-type", "(request-target)"]
    headers = _manual_signature(names, "rsa-sha256", order=["(request-target)", "host", "date", "digest",
                                                             "content-type"])
    with pytest.raises(SignatureError, match="does not verify"):
        await _verify(headers)


async def test_verify__hs2019_with_rsa_and_ed25519() -> None:
    names = ["(request-target)", "host", "date", "digest"]
    assert await _verify(_manual_signature(names, "hs2019"))
    ed_key = generate_ed25519_key()
    assert await _verify(_manual_signature(names, "hs2019", key=ed_key), resolver=Resolver(ed_key))


async def test_verify__unknown_algorithm_is_refused_before_fetching_the_key() -> None:
    resolver = Resolver(RSA_KEY)
    headers = _manual_signature(["(request-target)", "host", "date", "digest"], "hmac-sha256")
    with pytest.raises(SignatureError, match="unsupported signature algorithm 'hmac-sha256'"):
        await _verify(headers, resolver=resolver)
    assert resolver.calls == []


async def test_verify__authorization_signature_header_is_accepted() -> None:
    headers = _signed()
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert await _verify(headers)


async def test_verify__unsigned_request_is_refused() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        await _verify({"Date": http_date(NOW), "Authorization": "Bearer abc"})


async def test_verify__signature_without_request_target_is_refused() -> None:
    with pytest.raises(SignatureError, match=r"must cover \(request-target\)"):
        await _verify(_manual_signature(["host", "date", "digest"], "rsa-sha256"))


async def test_verify__expired_and_skewed_created_are_refused() -> None:
    base = _manual_signature(["(request-target)", "host", "date", "digest"], "rsa-sha256")
    expired = dict(base, Signature=base["Signature"] + f",expires={int(NOW.timestamp()) - 10}")
    with pytest.raises(SignatureError, match="expired"):
        await _verify(expired)
    stale = int((NOW - timedelta(hours=3)).timestamp())
    headers = _signed()
    lowered = {k.lower(): v for k, v in headers.items()}
    names = ["(request-target)", "(created)", "host", "digest"]
    message = signing_string(names, method="POST", url=INBOX, headers=lowered, created=stale)
    signature = base64.b64encode(sign_bytes(RSA_KEY, None, message)).decode()
    headers["Signature"] = (f'keyId="{KEY_ID}",algorithm="hs2019",created={stale},'
                            f'headers="{" ".join(names)}",signature="{signature}"')
    with pytest.raises(SignatureError, match="created parameter .* away from our clock"):
        await _verify(headers)


async def test_verify__httpx_and_starlette_style_headers_are_case_insensitive() -> None:
    signed = _signed()
    assert await _verify(httpx.Headers({name.upper(): value for name, value in signed.items()}))  # type: ignore[arg-type]
    raw = [(name.lower().encode(), value.encode()) for name, value in signed.items()]
    assert await _verify(Headers(raw=raw))  # type: ignore[arg-type]


# --- httpx.Auth ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_signature_auth__requests_are_accepted_by_verify_request(method: str) -> None:
    auth = SignatureAuth(KEY_ID, RSA_KEY, clock=lambda: NOW)
    content = BODY if method == "POST" else None
    request = httpx.Request(method, INBOX, content=content)
    signed = next(auth.sync_auth_flow(request))
    verified = await verify_request(method=method, url=str(signed.url), headers=signed.headers,
                                    body=signed.content, resolve_key=Resolver(RSA_KEY), now=NOW)
    assert verified.scheme == "cavage"
    assert ("Digest" in signed.headers) is (method == "POST")
