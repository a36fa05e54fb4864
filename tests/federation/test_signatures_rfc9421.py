from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import http_sfv
import httpx
import pytest

from federation.digests import content_digest_header, verify_content_digest
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
from federation.signature_rfc9421 import parse_dictionary, signature_base
from federation.signatures import PublicKey, SignatureAuth, VerifiedSignature, sign_rfc9421, verify_request

DATA = Path(__file__).parent.parent / "data" / "signatures"
VECTORS: dict[str, Any] = json.loads((DATA / "rfc9421-vectors.json").read_text())
REQUEST: dict[str, Any] = VECTORS["request"]
RFC_CREATED = datetime.fromtimestamp(REQUEST["created"], UTC)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
KEY_ID = "https://fedify.example/users/bob#main-key"
OWNER = "https://fedify.example/users/bob"
INBOX = "https://espresso.example/inbox"
BODY = b'{"type": "Follow"}'
RSA_KEY = generate_rsa_key()


def _public(name: str) -> Any:
    return load_public_key((DATA / VECTORS["keys"][name]).read_text())


class Resolver:
    """Hands out keys in order (the last one repeats) and records every call."""

    def __init__(self, *keys: Any) -> None:
        self.keys = [key.public_key() if hasattr(key, "public_key") else key for key in keys]
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKey:
        self.calls.append((key_id, refresh))
        return PublicKey(key_id=key_id, owner=OWNER, key=self.keys[min(len(self.calls), len(self.keys)) - 1])


def _signed(method: str = "POST", body: bytes | None = BODY, *, key: PrivateKeyObject = RSA_KEY,
            created: datetime = NOW) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json", "Host": "espresso.example"}
    headers.update(sign_rfc9421(method=method, url=INBOX, headers=headers, body=body, key_id=KEY_ID,
                                private_key=key, now=NOW, created=created))
    return headers


async def _verify(headers: Any, *, method: str = "POST", body: bytes = BODY, resolver: Resolver | None = None,
                  url: str = INBOX, now: datetime = NOW) -> VerifiedSignature:
    return await verify_request(method=method, url=url, headers=headers, body=body,
                                resolve_key=resolver or Resolver(RSA_KEY), now=now)


def _hand_signed(components: list[str], params: dict[str, Any], *, key: PrivateKeyObject = RSA_KEY,
                 label: str = "sig1", algorithm: str | None = None) -> dict[str, str]:
    """A request signed by hand, as another implementation would, with our own base builder."""
    headers = {"Host": "espresso.example", "Date": "Wed, 01 May 2024 12:00:00 GMT",
               "Content-Digest": content_digest_header(BODY)}
    inner = http_sfv.InnerList(components)
    for name, value in params.items():
        inner.params[name] = value
    base = signature_base(inner, method="POST", url=INBOX, headers={k.lower(): v for k, v in headers.items()})
    signature_input, signature = http_sfv.Dictionary(), http_sfv.Dictionary()
    signature_input[label] = inner
    signature[label] = sign_bytes(key, algorithm, base)
    return {**headers, "Signature-Input": str(signature_input), "Signature": str(signature)}


# --- RFC 9421 Appendix B and RFC 9530 -----------------------------------------------------------

@pytest.mark.parametrize("case", sorted(VECTORS["signatures"]))
def test_appendix_b2__signature_base_and_signature_verify(case: str) -> None:
    vector = VECTORS["signatures"][case]
    inner = parse_dictionary(vector["signature_input"], "Signature-Input")[vector["label"]]
    assert isinstance(inner, http_sfv.InnerList)
    headers = {name.lower(): value for name, value in REQUEST["headers"].items()}
    base = signature_base(inner, method=REQUEST["method"], url=REQUEST["url"], headers=headers)
    assert base == "\n".join(vector["base"]).encode()
    signature = parse_dictionary(vector["signature"], "Signature")[vector["label"]].value
    public = _public(vector["key"])
    assert verify_bytes(public, vector["algorithm"], base, signature)
    assert verify_bytes(public, None, base, signature)  # no alg: inferred from the key
    assert not verify_bytes(public, vector["algorithm"], base + b" ", signature)


def test_appendix_b26__ed25519_signature_is_reproduced() -> None:
    vector = VECTORS["signatures"]["B.2.6 ed25519"]
    private = load_private_key((DATA / VECTORS["private_keys"]["test-key-ed25519"]).read_text())
    expected = parse_dictionary(vector["signature"], "Signature")[vector["label"]].value
    assert sign_bytes(private, "ed25519", "\n".join(vector["base"]).encode()) == expected


async def test_appendix_b23__accepted_by_verify_request() -> None:
    vector = VECTORS["signatures"]["B.2.3 full coverage (rsa-pss-sha512)"]
    headers = {**REQUEST["headers"], "Signature-Input": vector["signature_input"], "Signature": vector["signature"]}
    verified = await _verify(headers, url=REQUEST["url"], body=REQUEST["body"].encode(),
                             resolver=Resolver(_public("test-key-rsa-pss")), now=RFC_CREATED)
    assert verified == VerifiedSignature(key_id="test-key-rsa-pss", owner=OWNER, scheme="rfc9421")


async def test_appendix_b26__refused_by_verify_request_for_missing_content_digest() -> None:
    vector = VECTORS["signatures"]["B.2.6 ed25519"]
    headers = {**REQUEST["headers"], "Signature-Input": vector["signature_input"], "Signature": vector["signature"]}
    with pytest.raises(SignatureError, match="must cover content-digest"):
        await _verify(headers, url=REQUEST["url"], body=REQUEST["body"].encode(),
                      resolver=Resolver(_public("test-key-ed25519")), now=RFC_CREATED)


@pytest.mark.parametrize("algorithm", ["sha-256", "sha-512"])
def test_rfc9530__content_digest_of_the_test_body(algorithm: str) -> None:
    expected = VECTORS["content_digests"][algorithm]
    body = REQUEST["body"].encode()
    assert content_digest_header(body, algorithm) == expected
    verify_content_digest(expected, body)
    with pytest.raises(SignatureError, match=f"Content-Digest header \\({algorithm}\\) does not match"):
        verify_content_digest(expected, body + b" ")


def test_rfc9421_private_key__signs_what_its_public_key_verifies() -> None:
    private = load_private_key((DATA / VECTORS["private_keys"]["test-key-rsa"]).read_text())
    signature = sign_bytes(private, "rsa-v1_5-sha256", b"base")
    assert verify_bytes(_public("test-key-rsa"), "rsa-v1_5-sha256", b"base", signature)


# --- signing -------------------------------------------------------------------------------------

def test_sign_rfc9421__shape() -> None:
    headers = _signed()
    assert headers["Content-Digest"] == content_digest_header(BODY)
    assert headers["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "@authority" "content-digest");created={int(NOW.timestamp())};'
        f'keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert headers["Signature"].startswith("sig1=:")
    get = _signed("GET", None)
    assert "Content-Digest" not in get
    assert '("@method" "@target-uri" "@authority")' in get["Signature-Input"]


# --- verification --------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [RSA_KEY, generate_ed25519_key()], ids=["rsa", "ed25519"])
async def test_verify__round_trip_post_and_get(key: PrivateKeyObject) -> None:
    assert (await _verify(_signed(key=key), resolver=Resolver(key))).scheme == "rfc9421"
    assert await _verify(_signed("GET", None, key=key), method="GET", body=b"", resolver=Resolver(key))


async def test_verify__fedify_component_shape_is_accepted() -> None:
    components = ["@method", "@target-uri", "@authority", "host", "date", "content-digest"]
    headers = _hand_signed(components, {"created": int(NOW.timestamp()), "keyid": KEY_ID})
    assert (await _verify(headers)).key_id == KEY_ID


async def test_verify__tampered_body_is_refused_naming_content_digest() -> None:
    with pytest.raises(SignatureError, match="Content-Digest header .* does not match the request body"):
        await _verify(_signed(), body=b'{"type": "Delete"}')


async def test_verify__post_without_content_digest_coverage_is_refused() -> None:
    headers = _hand_signed(["@method", "@target-uri"], {"created": int(NOW.timestamp()), "keyid": KEY_ID})
    with pytest.raises(SignatureError, match="POST signature must cover content-digest"):
        await _verify(headers)


@pytest.mark.parametrize("offset", [timedelta(hours=2), -timedelta(hours=2)])
async def test_verify__created_outside_skew_is_refused(offset: timedelta) -> None:
    with pytest.raises(SignatureError, match="created parameter .* away from our clock"):
        await _verify(_signed(created=NOW + offset))


async def test_verify__expired_signature_is_refused() -> None:
    params = {"created": int(NOW.timestamp()) - 60, "keyid": KEY_ID, "expires": int(NOW.timestamp()) - 1}
    headers = _hand_signed(["@method", "@target-uri", "content-digest"], params)
    with pytest.raises(SignatureError, match="expired"):
        await _verify(headers)


async def test_verify__unknown_algorithm_is_refused() -> None:
    params = {"created": int(NOW.timestamp()), "keyid": KEY_ID, "alg": "hmac-sha256"}
    resolver = Resolver(RSA_KEY)
    with pytest.raises(SignatureError, match="unsupported signature algorithm 'hmac-sha256'"):
        await _verify(_hand_signed(["@method", "@target-uri", "content-digest"], params), resolver=resolver)
    assert resolver.calls == []


async def test_verify__wrong_key_fails_and_rotated_key_succeeds_after_one_refetch() -> None:
    resolver = Resolver(generate_rsa_key())
    with pytest.raises(SignatureError, match="does not verify"):
        await _verify(_signed(), resolver=resolver)
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]
    rotated = Resolver(generate_rsa_key(), RSA_KEY)
    assert await _verify(_signed(), resolver=rotated)
    assert rotated.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_verify__first_label_that_verifies_wins() -> None:
    good = _hand_signed(["@method", "@target-uri", "content-digest"],
                        {"created": int(NOW.timestamp()), "keyid": KEY_ID}, label="good")
    bad_input = 'bad=("@method" "@target-uri" "content-digest");created=1;keyid="other"'
    bad_signature = "bad=:" + base64.b64encode(b"x" * 256).decode() + ":"
    headers = dict(good, **{"Signature-Input": f"{bad_input}, {good['Signature-Input']}",
                            "Signature": f"{bad_signature}, {good['Signature']}"})
    assert (await _verify(headers)).key_id == KEY_ID


async def test_verify__signature_input_without_signature_is_refused() -> None:
    headers = _signed()
    del headers["Signature"]
    with pytest.raises(SignatureError, match="no Signature header"):
        await _verify(headers)


# --- httpx.Auth ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_signature_auth__requests_are_accepted_by_verify_request(method: str) -> None:
    auth = SignatureAuth(KEY_ID, RSA_KEY, scheme="rfc9421", clock=lambda: NOW)
    request = httpx.Request(method, INBOX, content=BODY if method == "POST" else None)
    signed = next(auth.sync_auth_flow(request))
    verified = await verify_request(method=method, url=str(signed.url), headers=signed.headers,
                                    body=signed.content, resolve_key=Resolver(RSA_KEY), now=NOW)
    assert verified.scheme == "rfc9421"
    assert ("Content-Digest" in signed.headers) is (method == "POST")


@pytest.mark.parametrize("key_id", [KEY_ID, 'https://odd.example/k?a="b"\\c'], ids=["plain", "escaped"])
def test_sign_rfc9421__hand_serialization_matches_http_sfv(key_id: str) -> None:
    # sign_rfc9421 serializes its structured fields by hand for speed; they must be what http_sfv writes.
    url = "https://remote.example:8443/users/ada/inbox?x=1"
    headers = {"Content-Type": "application/activity+json"}
    added = sign_rfc9421(method="POST", url=url, headers=headers, body=BODY, key_id=key_id,
                         private_key=RSA_KEY, now=NOW)
    components = http_sfv.InnerList(["@method", "@target-uri", "@authority", "content-digest"])
    components.params["created"] = int(NOW.timestamp())
    components.params["keyid"] = key_id
    components.params["alg"] = "rsa-v1_5-sha256"
    expected = http_sfv.Dictionary()
    expected["sig1"] = components
    assert added["Signature-Input"] == str(expected)
    parsed = parse_dictionary(added["Signature"], "Signature")
    base = signature_base(components, method="POST", url=url,
                          headers={"content-type": "application/activity+json",
                                   "content-digest": added["Content-Digest"]})
    assert verify_bytes(RSA_KEY.public_key(), "rsa-v1_5-sha256", base, parsed["sig1"].value)
