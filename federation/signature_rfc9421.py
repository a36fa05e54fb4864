"""RFC 9421 HTTP Message Signatures for requests, with RFC 9530 ``Content-Digest``.

Written on ``http_sfv`` rather than on the ``http-message-signatures`` package:
that package wants a request object and a synchronous key resolver, while we
verify plain values with an async resolver, try every label and infer the
algorithm from the key (what Mastodon and Fedify peers need).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit

import http_sfv
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.digests import content_digest_header, requires_digest, verify_content_digest
from federation.errors import SignatureError
from federation.keys import ALG_ED25519, ALG_RSA_V1_5_SHA256, SUPPORTED_ALGORITHMS, PrivateKeyObject, sign_bytes

__all__ = [
    "MessageSignature",
    "parse_dictionary",
    "prepare_rfc9421_verification",
    "sf_string",
    "sign_rfc9421",
    "signature_base",
]

SIGNATURE_LABEL: Final = "sig1"
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
# Without these a signature could be replayed with another method or target.
_TARGET_COMPONENTS: Final = frozenset({"@target-uri", "@path", "@request-target"})


@dataclass(frozen=True)
class MessageSignature:
    """One labelled signature, policy-checked and ready for the cryptographic check."""

    label: str
    key_id: str
    algorithm: str | None  # None: infer from the key (RFC 9421 section 3.2, step 6)
    message: bytes
    signature: bytes


def sign_rfc9421(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    key_id: str,
    private_key: PrivateKeyObject,
    now: datetime,
    created: datetime | None = None,
    extra_headers: Sequence[str] = (),
) -> dict[str, str]:
    """Return ``Content-Digest`` (with a body), ``Signature-Input`` and ``Signature`` for label ``sig1``."""
    values = {name.lower(): value for name, value in headers.items()}
    added: dict[str, str] = {}
    names = ["@method", "@target-uri", "@authority"]
    if body is not None and requires_digest(method, body):
        added["Content-Digest"] = values["content-digest"] = content_digest_header(body)
        names.append("content-digest")
    names.extend(name.lower() for name in extra_headers if name.lower() not in names)
    algorithm = ALG_RSA_V1_5_SHA256 if isinstance(private_key, rsa.RSAPrivateKey) else ALG_ED25519
    # Serialized by hand, once: http_sfv re-validates every string char by char on each str(), which
    # cost ~0.15 ms per signature (as much as a third of the RSA work) on the delivery hot path.
    # tests/federation/test_signatures_rfc9421.py checks the result against http_sfv's serialization.
    params = (
        "(" + " ".join(sf_string(name) for name in names) + ")"
        + f";created={int((created or now).timestamp())};keyid={sf_string(key_id)};alg={sf_string(algorithm)}"
    )
    lines = [f'"{name}": {_signed_value(name, method, url, values)}' for name in names]
    lines.append(f'"@signature-params": {params}')
    signature = sign_bytes(private_key, algorithm, "\n".join(lines).encode("utf-8"))
    added["Signature-Input"] = f"{SIGNATURE_LABEL}={params}"
    added["Signature"] = f"{SIGNATURE_LABEL}=:{base64.b64encode(signature).decode('ascii')}:"
    return added


def sf_string(value: str) -> str:
    """An RFC 8941 sf-string: printable ASCII, with backslash and double quote escaped."""
    if not (value.isascii() and value.isprintable()):
        raise ValueError(f"{value!r} cannot be a structured-field string")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _signed_value(name: str, method: str, url: str, headers: Mapping[str, str]) -> str:
    if name.startswith("@"):
        return _derived(name, {}, method, url)
    return _header(headers, name)


def signature_base(
    components: http_sfv.InnerList, *, method: str, url: str, headers: Mapping[str, str]
) -> bytes:
    """The signature base (RFC 9421 section 2.5); ``headers`` must have lower-case names."""
    lines = [
        f"{component}: {_component_value(component, method, url, headers)}" for component in components
    ]
    lines.append(f'"@signature-params": {components}')
    return "\n".join(lines).encode("utf-8")


def parse_dictionary(value: str, field: str) -> http_sfv.Dictionary:
    parsed = http_sfv.Dictionary()
    try:
        parsed.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError(f"the {field} header is not a structured-field dictionary (RFC 8941)") from exc
    return parsed


def prepare_rfc9421_verification(
    *, method: str, url: str, headers: Mapping[str, str], body: bytes, now: datetime, max_skew: timedelta
) -> list[MessageSignature | SignatureError]:
    """Every label of ``Signature-Input``, checked (or the reason it fails), in header order."""
    inputs = parse_dictionary(headers["signature-input"], "Signature-Input")
    if "signature" not in headers:
        raise SignatureError("the request has Signature-Input but no Signature header")
    signatures = parse_dictionary(headers["signature"], "Signature")
    if not inputs:
        raise SignatureError("the Signature-Input header lists no signature")
    results: list[MessageSignature | SignatureError] = []
    for label, components in inputs.items():
        try:
            results.append(
                _prepare_label(label, components, signatures, method, url, headers, body, now, max_skew)
            )
        except SignatureError as exc:
            results.append(exc)
    return results


def _prepare_label(
    label: str,
    components: object,
    signatures: http_sfv.Dictionary,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    max_skew: timedelta,
) -> MessageSignature:
    if not isinstance(components, http_sfv.InnerList):
        raise SignatureError(f"signature {label!r}: Signature-Input member is not an inner list")
    signature = signatures.get(label)
    if not isinstance(signature, http_sfv.Item) or not isinstance(signature.value, bytes):
        raise SignatureError(f"signature {label!r}: no matching byte sequence in the Signature header")
    key_id, algorithm = _key_and_algorithm(label, components.params)
    names = {item.value for item in components}
    _check_coverage(label, names, method, body)
    _check_time(label, components.params, names, headers, now, max_skew)
    if "content-digest" in names:
        verify_content_digest(_header(headers, "content-digest"), body)
    message = signature_base(components, method=method, url=url, headers=headers)
    return MessageSignature(label, key_id, algorithm, message, signature.value)


def _key_and_algorithm(label: str, params: Mapping[str, object]) -> tuple[str, str | None]:
    key_id, algorithm = params.get("keyid"), params.get("alg")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError(f"signature {label!r} has no keyid parameter")
    if algorithm is not None and algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(
            f"signature {label!r}: unsupported signature algorithm {algorithm!r}: "
            f"use one of {', '.join(sorted(SUPPORTED_ALGORITHMS))}"
        )
    return key_id, algorithm if isinstance(algorithm, str) else None


def _check_coverage(label: str, names: set[object], method: str, body: bytes) -> None:
    if "@method" not in names or not names & _TARGET_COMPONENTS:
        raise SignatureError(f"signature {label!r} must cover @method and @target-uri (or @path)")
    if requires_digest(method, body) and "content-digest" not in names:
        raise SignatureError(f"signature {label!r}: a {method.upper()} signature must cover content-digest")


def _check_time(
    label: str,
    params: Mapping[str, object],
    names: set[object],
    headers: Mapping[str, str],
    now: datetime,
    max_skew: timedelta,
) -> None:
    created, expires = params.get("created"), params.get("expires")
    if isinstance(created, int):
        moment, what = datetime.fromtimestamp(created, UTC), "the created parameter"
    elif "date" in names:
        moment, what = _parse_date(_header(headers, "date")), "the Date header"
    else:
        raise SignatureError(f"signature {label!r} has no created parameter and does not cover Date")
    if abs(moment - now) > max_skew:
        raise SignatureError(
            f"signature {label!r}: {what} ({moment.isoformat()}) is more than {max_skew} "
            f"away from our clock ({now.isoformat()})"
        )
    if isinstance(expires, int) and datetime.fromtimestamp(expires, UTC) < now:
        raise SignatureError(f"signature {label!r} has expired (its expires parameter is in the past)")


def _parse_date(value: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError(f"the Date header {value!r} is not an HTTP date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _component_value(component: http_sfv.Item, method: str, url: str, headers: Mapping[str, str]) -> str:
    name = component.value
    if not isinstance(name, str):
        raise SignatureError("a covered component is not a string")
    if name.startswith("@"):
        return _derived(name, component.params, method, url)
    if component.params:
        raise SignatureError(f"component parameters on {name!r} are not supported")
    return _header(headers, name)


def _derived(name: str, params: Mapping[str, object], method: str, url: str) -> str:
    """Derived components of RFC 9421 section 2.2."""
    parts = urlsplit(url)
    if name == "@query-param":
        return _query_param(params.get("name"), parts.query)
    if params:
        raise SignatureError(f"component parameters on {name!r} are not supported")
    query = "?" + parts.query
    values = {
        "@method": method.upper(),
        "@target-uri": url,
        "@authority": _authority(parts.scheme, parts.hostname or "", parts.port),
        "@scheme": parts.scheme.lower(),
        "@path": parts.path or "/",
        "@query": query,
        "@request-target": (parts.path or "/") + (query if parts.query else ""),
    }
    if name not in values:
        raise SignatureError(f"the derived component {name!r} is not supported for requests")
    return values[name]


def _authority(scheme: str, host: str, port: int | None) -> str:
    # Section 2.2.3: lower-case host, default port omitted.
    host = f"[{host}]" if ":" in host else host
    if port is None or _DEFAULT_PORTS.get(scheme.lower()) == str(port):
        return host.lower()
    return f"{host.lower()}:{port}"


def _query_param(name: object, query: str) -> str:
    # Section 2.2.8: decode, pick by name, re-encode the value.
    if not isinstance(name, str):
        raise SignatureError("@query-param needs a name parameter")
    matches = [value for key, value in parse_qsl(query, keep_blank_values=True) if key == name]
    if len(matches) != 1:
        raise SignatureError(f"@query-param {name!r} must occur exactly once in the query")
    return quote(matches[0], safe="")


def _header(headers: Mapping[str, str], name: str) -> str:
    try:
        return headers[name].strip()
    except KeyError:
        raise SignatureError(f"the signed header {name!r} is missing from the request") from None
