"""Key material: generation, PEM (de)serialization, FEP-521a multibase, raw sign/verify.

Actors sign with RSA-2048 (what every fediverse server can verify) and may also
publish an Ed25519 key as a FEP-521a ``Multikey``.  The raw ``sign_bytes`` /
``verify_bytes`` pair is shared by the draft-cavage and RFC 9421 code, so both
name algorithms with the RFC 9421 registry identifiers (RFC 9421 section 6.2.2).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.errors import KeyResolutionError, SignatureError

__all__ = [
    "ALG_ED25519",
    "ALG_RSA_PSS_SHA512",
    "ALG_RSA_V1_5_SHA256",
    "SUPPORTED_ALGORITHMS",
    "PrivateKeyObject",
    "PublicKeyObject",
    "ed25519_public_key_from_multibase",
    "ed25519_public_key_to_multibase",
    "generate_ed25519_key",
    "generate_rsa_key",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_to_pem",
    "sign_bytes",
    "verify_bytes",
]

PrivateKeyObject: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKeyObject: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

ALG_RSA_V1_5_SHA256: Final = "rsa-v1_5-sha256"
ALG_RSA_PSS_SHA512: Final = "rsa-pss-sha512"
ALG_ED25519: Final = "ed25519"
SUPPORTED_ALGORITHMS: Final = frozenset({ALG_RSA_V1_5_SHA256, ALG_RSA_PSS_SHA512, ALG_ED25519})

# FEP-521a: multicodec "ed25519-pub" is varint 0xed → bytes 0xed 0x01.
_ED25519_MULTICODEC: Final = b"\xed\x01"
_BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def generate_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key, the size Mastodon generates and expects."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def generate_ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def private_key_to_pem(key: PrivateKeyObject) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_to_pem(key: PublicKeyObject) -> str:
    """SPKI ``-----BEGIN PUBLIC KEY-----``, the form ``publicKeyPem`` carries."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> PrivateKeyObject:
    """Parse a local PEM private key once; signing on hot paths reuses the object.

    Only for our own keys, which we generated and stored: their RSA consistency check (primality of
    p and q, ~50 ms) is skipped, as ``cryptography`` allows for trusted keys. It delayed the first
    delivery of every actor after a worker start by that much."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}; use RSA or Ed25519")
    return key


def load_public_key(pem: str) -> PublicKeyObject:
    """Parse a remote ``publicKeyPem`` (SPKI, or PKCS#1 ``RSA PUBLIC KEY`` as some servers send)."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError) as exc:
        raise KeyResolutionError(f"the public key PEM cannot be parsed: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyResolutionError(f"unsupported public key type {type(key).__name__}; use RSA or Ed25519")
    return key


def ed25519_public_key_to_multibase(key: ed25519.Ed25519PublicKey) -> str:
    """FEP-521a ``publicKeyMultibase``: ``z`` + base58btc(0xed01 || 32 raw bytes)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + _base58_encode(_ED25519_MULTICODEC + raw)


def ed25519_public_key_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    if not value.startswith("z"):
        raise KeyResolutionError("publicKeyMultibase must be base58btc (start with 'z')")
    try:
        data = _base58_decode(value[1:])
    except ValueError as exc:
        raise KeyResolutionError(f"publicKeyMultibase is not valid base58btc: {exc}") from exc
    if not data.startswith(_ED25519_MULTICODEC) or len(data) != 34:
        raise KeyResolutionError("publicKeyMultibase is not an Ed25519 public key (multicodec 0xed01)")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def sign_bytes(key: PrivateKeyObject, algorithm: str | None, data: bytes) -> bytes:
    """Sign ``data``; ``algorithm`` None means the key type's default."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        _require(algorithm in (None, ALG_ED25519), algorithm, "an Ed25519 key")
        return key.sign(data)
    if algorithm in (None, ALG_RSA_V1_5_SHA256):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    _require(algorithm == ALG_RSA_PSS_SHA512, algorithm, "an RSA key")
    return key.sign(data, _pss_sha512(), hashes.SHA512())


def verify_bytes(key: PublicKeyObject, algorithm: str | None, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is valid; an algorithm that does not fit the key is simply invalid."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if algorithm not in (None, ALG_ED25519):
                return False
            key.verify(signature, data)
        elif algorithm == ALG_RSA_V1_5_SHA256:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == ALG_RSA_PSS_SHA512:
            key.verify(signature, data, _pss_sha512(), hashes.SHA512())
        elif algorithm is None:
            # No alg given (hs2019, or RFC 9421 without ``alg``): RFC 9421 section 3.2
            # lets the key decide; fediverse RSA signers use PKCS#1 v1.5, the RFC's
            # own examples use PSS, so accept either.
            return verify_bytes(key, ALG_RSA_V1_5_SHA256, data, signature) or verify_bytes(
                key, ALG_RSA_PSS_SHA512, data, signature
            )
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _pss_sha512() -> padding.PSS:
    # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def _require(condition: bool, algorithm: str | None, what: str) -> None:
    if not condition:
        raise SignatureError(f"algorithm {algorithm!r} cannot be used with {what}")


# base58btc is twenty lines; a dependency for it is not worth it.
def _base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"invalid character {char!r}")
        number = number * 58 + index
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body
