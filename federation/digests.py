"""Body digests: ``Digest`` (RFC 3230, used with draft-cavage) and ``Content-Digest`` (RFC 9530).

A signature only protects the body through one of these headers, so a digest
that does not match the received bytes must fail verification outright.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Final

import http_sfv

from federation.errors import SignatureError

__all__ = [
    "content_digest_header",
    "digest_header",
    "requires_digest",
    "verify_content_digest",
    "verify_digest",
]

_Hasher = Callable[[bytes], "hashlib._Hash"]

# RFC 3230 names (case-insensitive) and RFC 9530 section 5 registry keys.
_DIGEST_ALGORITHMS: Final[dict[str, _Hasher]] = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    """``Digest: SHA-256=<base64>`` as Mastodon sends and expects it."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """``Content-Digest: sha-256=:<base64>:`` (RFC 9530 section 2, a structured dictionary)."""
    field = http_sfv.Dictionary()
    field[algorithm] = _DIGEST_ALGORITHMS[algorithm](body).digest()
    return str(field)


def verify_digest(value: str, body: bytes) -> None:
    """Check an RFC 3230 ``Digest`` header (``SHA-256=...[, SHA-512=...]``) against ``body``."""
    checked = False
    for member in value.split(","):
        name, sep, encoded = member.strip().partition("=")
        hasher = _DIGEST_ALGORITHMS.get(name.strip().lower())
        if not sep or hasher is None:
            continue
        try:
            expected = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise SignatureError(f"the Digest header's {name} value is not base64") from exc
        _compare("Digest", name, expected, hasher(body).digest())
        checked = True
    if not checked:
        raise SignatureError("the Digest header uses no supported algorithm (send SHA-256)")


def verify_content_digest(value: str, body: bytes) -> None:
    """Check an RFC 9530 ``Content-Digest`` header; every supported member present must match."""
    field = http_sfv.Dictionary()
    try:
        field.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("the Content-Digest header is not a structured dictionary") from exc
    checked = False
    for name, member in field.items():
        hasher = _DIGEST_ALGORITHMS.get(name)
        if hasher is None:
            continue
        if not isinstance(member, http_sfv.Item) or not isinstance(member.value, bytes):
            raise SignatureError(f"the Content-Digest {name} member is not a byte sequence")
        _compare("Content-Digest", name, member.value, hasher(body).digest())
        checked = True
    if not checked:
        raise SignatureError("the Content-Digest header uses no supported algorithm (send sha-256)")


def _compare(header: str, name: str, expected: bytes, actual: bytes) -> None:
    if not hmac.compare_digest(expected, actual):
        raise SignatureError(f"the {header} header ({name}) does not match the request body")


# RFC 9110 section 9.3: these methods carry content, so their signature must
# bind it even when it is empty.
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


def requires_digest(method: str, body: bytes | None) -> bool:
    """Whether a request carries a body that its signature must cover through a digest."""
    return bool(body) or (body is not None and method.upper() in _BODY_METHODS)
