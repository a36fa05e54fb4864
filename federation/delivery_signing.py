"""Signing delivery POSTs with the least work per request.

Every POST of one activity carries the same body, so its ``Digest`` and
``Content-Digest`` are computed once (``DeliveryPayload``); every POST to one
inbox has the same target, so its parts come from ``post_target``'s cache.
What is left per request is the date, the signing string, and the RSA
operation. The string is built on the event loop (a few microseconds) and
only ``private_key.sign`` goes to a signing thread: Python run in those
threads has to win the GIL from the busy event loop, and measured on the
delivery benchmark each signature's Python work cost three times as much
there as in the loop.

The headers are byte for byte those of ``sign_cavage`` and ``sign_rfc9421``
(the reference implementations, kept for everything else and for the tests,
which compare the two).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from .digests import content_digest_header, digest_header
from .keys import ALG_ED25519, ALG_RSA_V1_5_SHA256, PrivateKeyObject
from .post_target import PostTarget
from .signature_rfc9421 import SIGNATURE_LABEL, sf_string

__all__ = ["DeliveryPayload", "SigningBase", "raw_signature", "signing_base"]

CONTENT_TYPE = "application/activity+json"
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


@dataclass(frozen=True)
class DeliveryPayload:
    """An outgoing activity ready to send to any number of inboxes: its body, its actor's key, its digests."""

    body: bytes
    key_id: str
    private_key: PrivateKeyObject
    digest: str = field(init=False)  # RFC 3230, for draft-cavage
    content_digest: str = field(init=False)  # RFC 9530, for RFC 9421
    # The constant tail of an RFC 9421 Signature-Input after ``created``.
    _rfc9421_tail: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        algorithm = ALG_ED25519 if isinstance(self.private_key, ed25519.Ed25519PrivateKey) else ALG_RSA_V1_5_SHA256
        object.__setattr__(self, "digest", digest_header(self.body))
        object.__setattr__(self, "content_digest", content_digest_header(self.body))
        object.__setattr__(self, "_rfc9421_tail", f";keyid={sf_string(self.key_id)};alg={sf_string(algorithm)}")

    @property
    def cavage_algorithm(self) -> str:
        # Mastodon only understands "rsa-sha256" for RSA; Ed25519 has no cavage name but hs2019.
        return "rsa-sha256" if isinstance(self.private_key, rsa.RSAPrivateKey) else "hs2019"


@dataclass(frozen=True)
class SigningBase:
    """A request's headers but its signature, the bytes to sign, and how the signature is written."""

    headers: list[tuple[str, str]]
    message: bytes
    signature_prefix: str
    signature_suffix: str

    def signed_headers(self, signature: bytes) -> list[tuple[str, str]]:
        encoded = base64.b64encode(signature).decode("ascii")
        return [*self.headers, ("Signature", self.signature_prefix + encoded + self.signature_suffix)]


def signing_base(
    payload: DeliveryPayload, target: PostTarget, scheme: Literal["cavage", "rfc9421"], now: datetime
) -> SigningBase:
    """What to sign for one POST of ``payload`` to ``target`` at ``now``."""
    moment = now.timestamp()
    if scheme == "cavage":
        return _cavage(payload, target, moment)
    return _rfc9421(payload, target, moment)


def raw_signature(private_key: PrivateKeyObject, message: bytes) -> bytes:
    """The RSA-SHA256 (PKCS#1 v1.5) or Ed25519 signature of ``message``: the part worth a thread."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(message, _PKCS1, _SHA256)
    return private_key.sign(message)


def _cavage(payload: DeliveryPayload, target: PostTarget, moment: float) -> SigningBase:
    date = formatdate(int(moment), usegmt=True)
    message = (
        f"(request-target): post {target.target}\nhost: {target.netloc}\ndate: {date}\ndigest: {payload.digest}"
    ).encode("utf-8")
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Accept", CONTENT_TYPE),
        ("Date", date),
        ("Host", target.netloc),
        ("Digest", payload.digest),
    ]
    prefix = (
        f'keyId="{payload.key_id}",algorithm="{payload.cavage_algorithm}",'
        'headers="(request-target) host date digest",signature="'
    )
    return SigningBase(headers, message, prefix, '"')


def _rfc9421(payload: DeliveryPayload, target: PostTarget, moment: float) -> SigningBase:
    params = (
        '("@method" "@target-uri" "@authority" "content-digest")'
        f";created={int(moment)}{payload._rfc9421_tail}"
    )
    message = (
        f'"@method": POST\n"@target-uri": {target.url}\n"@authority": {target.authority}\n'
        f'"content-digest": {payload.content_digest}\n"@signature-params": {params}'
    ).encode("utf-8")
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Accept", CONTENT_TYPE),
        ("Content-Digest", payload.content_digest),
        ("Signature-Input", f"{SIGNATURE_LABEL}={params}"),
    ]
    return SigningBase(headers, message, f"{SIGNATURE_LABEL}=:", ":")
