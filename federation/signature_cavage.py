"""draft-cavage-http-signatures-12, as Mastodon and most of the fediverse use it.

Signing follows Mastodon: ``rsa-sha256`` over ``(request-target) host date``
plus ``digest`` when there is a body.  Verification is lenient where peers
differ (header order, ``hs2019``, ``Authorization: Signature``) and strict where
security needs it (time window, digest coverage and match).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.digests import digest_header, requires_digest, verify_digest
from federation.errors import SignatureError
from federation.keys import ALG_RSA_V1_5_SHA256, PrivateKeyObject, sign_bytes

__all__ = [
    "CavageParameters",
    "CavageSignature",
    "http_date",
    "parse_signature_header",
    "prepare_cavage_verification",
    "sign_cavage",
    "signing_string",
]

# draft-cavage-12 section 2.1.3: "hs2019" means "derive the algorithm from the
# key"; "rsa-sha256" is deprecated there but is what Mastodon sends.
_ALGORITHMS: Final[dict[str, str | None]] = {"rsa-sha256": ALG_RSA_V1_5_SHA256, "hs2019": None}
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9]+(?:\.[0-9]+)?))\s*(?:,|$)')


@dataclass(frozen=True)
class CavageParameters:
    """The parameters of a ``Signature`` header (draft-cavage-12 section 2.1)."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


@dataclass(frozen=True)
class CavageSignature:
    """A parsed, policy-checked signature ready for the cryptographic check."""

    key_id: str
    algorithm: str | None  # RFC 9421 registry name; None: infer from the key
    message: bytes
    signature: bytes


def http_date(moment: datetime) -> str:
    """RFC 7231 section 7.1.1.1 IMF-fixdate, e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def sign_cavage(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: PrivateKeyObject,
    now: datetime,
    extra_headers: Sequence[str] = (),
) -> dict[str, str]:
    """Return the ``Date``, ``Host``, ``Digest`` (with a body) and ``Signature`` headers to add."""
    values = {name.lower(): value for name, value in headers.items()}
    added = {"Date": values.get("date") or http_date(now), "Host": values.get("host") or urlsplit(url).netloc}
    names = ["(request-target)", "host", "date"]
    if body is not None and requires_digest(method, body):
        added["Digest"] = digest_header(body)
        names.append("digest")
    names.extend(name.lower() for name in extra_headers if name.lower() not in names)
    values.update((name.lower(), value) for name, value in added.items())
    message = signing_string(names, method=method, url=url, headers=values)
    signature = base64.b64encode(sign_bytes(private_key, None, message)).decode("ascii")
    # Mastodon only understands "rsa-sha256" for RSA; Ed25519 has no cavage name but hs2019.
    algorithm = "rsa-sha256" if isinstance(private_key, rsa.RSAPrivateKey) else "hs2019"
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",signature="{signature}"'
    )
    return added


def signing_string(
    names: Sequence[str],
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> bytes:
    """The string to sign (draft-cavage-12 section 2.3), in the order ``names`` gives.

    ``headers`` must have lower-case names.
    """
    return "\n".join(
        f"{name}: {_component(name, method, url, headers, created, expires)}" for name in names
    ).encode("utf-8")


def parse_signature_header(value: str) -> CavageParameters:
    """Parse ``keyId="...",algorithm="...",headers="...",signature="..."``.

    Also takes an ``Authorization`` value (``Signature keyId=...``, section 3.1).
    """
    text = value.strip()
    if text[:10].lower() == "signature ":
        text = text[10:]
    params: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PARAM.match(text, position)
        if match is None or match.end() == position:
            raise SignatureError("the Signature header is malformed")
        params[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    return _parameters(params)


def prepare_cavage_verification(
    *, method: str, url: str, headers: Mapping[str, str], body: bytes, now: datetime, max_skew: timedelta
) -> CavageSignature:
    """Parse and policy-check the request's signature; ``headers`` must have lower-case names."""
    value = headers.get("signature")
    if value is None:
        authorization = headers.get("authorization", "")
        value = authorization if authorization[:10].lower() == "signature " else None
    if not value:
        raise SignatureError("the request is not signed: no Signature header")
    params = parse_signature_header(value)
    algorithm = _algorithm(params.algorithm)
    _check_coverage(params.headers, method, body)
    _check_time(params, headers, now, max_skew)
    if "digest" in params.headers:
        verify_digest(_header(headers, "digest"), body)
    message = signing_string(
        params.headers, method=method, url=url, headers=headers, created=params.created, expires=params.expires
    )
    return CavageSignature(params.key_id, algorithm, message, params.signature)


def _parameters(params: Mapping[str, str]) -> CavageParameters:
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id or not encoded:
        raise SignatureError("the Signature header lacks keyId or signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise SignatureError("the signature parameter is not base64") from exc
    # Section 2.1.6: without a headers parameter only Date is signed.
    names = tuple(params.get("headers", "date").lower().split()) or ("date",)
    return CavageParameters(
        key_id=key_id,
        algorithm=params.get("algorithm"),
        headers=names,
        signature=signature,
        created=_timestamp(params, "created"),
        expires=_timestamp(params, "expires"),
    )


def _timestamp(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError as exc:
        raise SignatureError(f"the {name} parameter is not a Unix timestamp") from exc


def _algorithm(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return _ALGORITHMS[name.lower()]
    except KeyError:
        raise SignatureError(f"unsupported signature algorithm {name!r}: use rsa-sha256 or hs2019") from None


def _check_coverage(names: Sequence[str], method: str, body: bytes) -> None:
    # Without (request-target) a signature could be replayed against another path.
    if "(request-target)" not in names:
        raise SignatureError("the signature must cover (request-target)")
    if requires_digest(method, body) and "digest" not in names:
        raise SignatureError(f"a {method.upper()} signature must cover the Digest header")


def _check_time(params: CavageParameters, headers: Mapping[str, str], now: datetime, max_skew: timedelta) -> None:
    if "date" not in params.headers and "(created)" not in params.headers:
        raise SignatureError("the signature must cover the Date header or (created)")
    if "date" in params.headers:
        _check_skew(_parse_date(_header(headers, "date")), now, max_skew, "the Date header")
    if "(created)" in params.headers and params.created is not None:
        _check_skew(datetime.fromtimestamp(params.created, UTC), now, max_skew, "the created parameter")
    if params.expires is not None and datetime.fromtimestamp(params.expires, UTC) < now:
        raise SignatureError("the signature has expired (its expires parameter is in the past)")


def _check_skew(moment: datetime, now: datetime, max_skew: timedelta, what: str) -> None:
    if abs(moment - now) > max_skew:
        raise SignatureError(
            f"{what} ({moment.isoformat()}) is more than {max_skew} away from our clock ({now.isoformat()})"
        )


def _parse_date(value: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError(f"the Date header {value!r} is not an HTTP date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _component(
    name: str, method: str, url: str, headers: Mapping[str, str], created: int | None, expires: int | None
) -> str:
    if name == "(request-target)":
        parts = urlsplit(url)
        return f"{method.lower()} {parts.path or '/'}{'?' + parts.query if parts.query else ''}"
    if name in ("(created)", "(expires)"):
        stamp = created if name == "(created)" else expires
        if stamp is None:
            raise SignatureError(f"the signature covers {name} but has no {name[1:-1]} parameter")
        return str(stamp)
    if name == "host" and "host" not in headers:
        # HTTP/2 carries the host as :authority, which some servers keep out of headers.
        return urlsplit(url).netloc
    return _header(headers, name)


def _header(headers: Mapping[str, str], name: str) -> str:
    try:
        return headers[name].strip()
    except KeyError:
        raise SignatureError(f"the signed header {name!r} is missing from the request") from None
