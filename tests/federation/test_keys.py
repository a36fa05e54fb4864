from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.errors import KeyResolutionError, SignatureError
from federation.keys import (
    ed25519_public_key_from_multibase,
    ed25519_public_key_to_multibase,
    generate_ed25519_key,
    generate_rsa_key,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
    sign_bytes,
    verify_bytes,
)

DATA = Path(__file__).parent.parent / "data" / "signatures"


def test_generate_rsa_key__is_2048_bits_and_round_trips_through_pem() -> None:
    key = generate_rsa_key()
    assert key.key_size == 2048
    loaded = load_private_key(private_key_to_pem(key))
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert loaded.private_numbers() == key.private_numbers()
    public_pem = public_key_to_pem(key.public_key())
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert load_public_key(public_pem).public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]


def test_generate_ed25519_key__round_trips_through_pem() -> None:
    key = generate_ed25519_key()
    loaded = load_private_key(private_key_to_pem(key))
    assert isinstance(loaded, ed25519.Ed25519PrivateKey)
    assert public_key_to_pem(loaded.public_key()) == public_key_to_pem(key.public_key())


def test_load_private_key__is_cached() -> None:
    pem = (DATA / "cavage-test-key.pem").read_text()
    assert load_private_key(pem) is load_private_key(pem)


def test_load_public_key__accepts_pkcs1_rsa_public_key() -> None:
    key = load_public_key((DATA / "rfc9421-test-key-rsa.pub.pem").read_text())
    assert isinstance(key, rsa.RSAPublicKey)


def test_load_public_key__rejects_garbage_as_key_resolution_error() -> None:
    with pytest.raises(KeyResolutionError, match="cannot be parsed"):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")


def test_multibase__uses_ed25519_multicodec_and_round_trips() -> None:
    public = load_public_key((DATA / "rfc9421-test-key-ed25519.pub.pem").read_text())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    encoded = ed25519_public_key_to_multibase(public)
    # Every base58btc-encoded 0xed01-prefixed 32-byte key starts with "z6Mk" (FEP-521a examples).
    assert encoded.startswith("z6Mk")
    assert len(encoded) == 48
    decoded = ed25519_public_key_from_multibase(encoded)
    assert public_key_to_pem(decoded) == public_key_to_pem(public)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("f6Mkabc", "base58btc"),
        ("z0OIl", "not valid base58btc"),
        ("z2222", "multicodec 0xed01"),
    ],
)
def test_multibase__rejects_malformed_values(value: str, message: str) -> None:
    with pytest.raises(KeyResolutionError, match=message):
        ed25519_public_key_from_multibase(value)


def test_verify_bytes__rejects_algorithm_that_does_not_fit_the_key() -> None:
    key = generate_ed25519_key()
    signature = sign_bytes(key, None, b"data")
    assert verify_bytes(key.public_key(), "ed25519", b"data", signature)
    assert not verify_bytes(key.public_key(), "rsa-v1_5-sha256", b"data", signature)
    assert not verify_bytes(key.public_key(), "ed25519", b"other", signature)
    with pytest.raises(SignatureError, match="cannot be used"):
        sign_bytes(key, "rsa-pss-sha512", b"data")
