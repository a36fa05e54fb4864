"""HTTP signatures: one verification entry point, pure signing functions and an ``httpx.Auth``.

``verify_request`` picks RFC 9421 when ``Signature-Input`` is present, else
draft-cavage; it returns who signed, and callers compare that owner with the
activity's actor themselves.  Signing is synchronous and pure so callers can
run it in a thread pool (``cryptography`` releases the GIL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, TypeAlias

import httpx

from federation.errors import KeyResolutionError, SignatureError
from federation.keys import PrivateKeyObject, PublicKeyObject, verify_bytes
from federation.signature_cavage import prepare_cavage_verification, sign_cavage
from federation.signature_rfc9421 import prepare_rfc9421_verification, sign_rfc9421

__all__ = [
    "KeyResolutionError",
    "KeyResolver",
    "PublicKey",
    "SignatureAuth",
    "SignatureError",
    "SignatureScheme",
    "VerifiedSignature",
    "sign_cavage",
    "sign_rfc9421",
    "verify_request",
]

SignatureScheme: TypeAlias = Literal["cavage", "rfc9421"]


@dataclass(frozen=True)
class PublicKey:
    """A remote actor's key, as the resolver found it."""

    key_id: str
    owner: str
    key: PublicKeyObject


@dataclass(frozen=True)
class VerifiedSignature:
    """Who signed a request, once the signature checked out."""

    key_id: str
    owner: str
    scheme: SignatureScheme


# (key_id, refresh) -> key; refresh=True asks to bypass any cache (key rotation).
KeyResolver: TypeAlias = Callable[[str, bool], Awaitable[PublicKey]]


class _Candidate(Protocol):
    @property
    def key_id(self) -> str: ...
    @property
    def algorithm(self) -> str | None: ...
    @property
    def message(self) -> bytes: ...
    @property
    def signature(self) -> bytes: ...


async def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    now: datetime,
    max_skew: timedelta = timedelta(hours=1),
) -> VerifiedSignature:
    """Verify the request's HTTP signature; raise ``SignatureError`` saying why it is refused."""
    lowered = _lower_case(headers)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    scheme: SignatureScheme
    candidates: Iterable[_Candidate | SignatureError]
    if "signature-input" in lowered:
        scheme = "rfc9421"
        candidates = prepare_rfc9421_verification(
            method=method, url=url, headers=lowered, body=body, now=now, max_skew=max_skew
        )
    else:
        scheme = "cavage"
        candidates = [
            prepare_cavage_verification(method=method, url=url, headers=lowered, body=body, now=now, max_skew=max_skew)
        ]
    first_error: SignatureError | None = None
    # RFC 9421 section 3.2: a message may carry several signatures; the first valid one wins.
    for candidate in candidates:
        if isinstance(candidate, SignatureError):
            first_error = first_error or candidate
            continue
        key = await _verified_key(candidate, resolve_key)
        if key is not None:
            return VerifiedSignature(key_id=candidate.key_id, owner=key.owner, scheme=scheme)
        first_error = first_error or SignatureError(
            f"the signature does not verify with the key {candidate.key_id} (tampered request or wrong key)"
        )
    raise first_error or SignatureError("the request is not signed")


async def _verified_key(candidate: _Candidate, resolve_key: KeyResolver) -> PublicKey | None:
    """The key that verifies ``candidate``, refetching it once in case the signer rotated keys."""
    for refresh in (False, True):
        key = await resolve_key(candidate.key_id, refresh)
        if verify_bytes(key.key, candidate.algorithm, candidate.message, candidate.signature):
            return key
    return None


def _lower_case(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; repeated fields (starlette keeps them apart) joined as RFC 9110 section 5.3 says."""
    items = headers.multi_items() if isinstance(headers, httpx.Headers) else _items(headers)
    lowered: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        lowered[key] = f"{lowered[key]}, {value}" if key in lowered else value
    return lowered


def _items(headers: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    raw = getattr(headers, "raw", None)  # starlette.datastructures.Headers: list of byte pairs
    if isinstance(raw, list):
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    return headers.items()


class SignatureAuth(httpx.Auth):
    """Sign every outgoing request (GET and POST) with a local actor's key."""

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        private_key: PrivateKeyObject,
        *,
        scheme: SignatureScheme = "cavage",
        clock: Callable[[], datetime],
    ) -> None:
        self._key_id = key_id
        self._private_key = private_key
        self._scheme = scheme
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        sign: Callable[..., dict[str, str]] = sign_rfc9421 if self._scheme == "rfc9421" else sign_cavage
        body = request.content if request.method.upper() in ("POST", "PUT", "PATCH") or request.content else None
        added = sign(
            method=request.method,
            url=str(request.url),
            headers=request.headers,
            body=body,
            key_id=self._key_id,
            private_key=self._private_key,
            now=self._clock(),
        )
        request.headers.update(added)
        yield request
