from __future__ import annotations

import pytest

from trainmeuk_identity.crypto import InvalidToken, KeyRing, hash_token, new_token

OLD = "old-secret-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
NEW = "new-secret-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def test_rotation_new_key_first_still_decrypts_old_values():
    stored = KeyRing([OLD], "client-secret").encrypt(b"s3cret")
    rotated = KeyRing([NEW, OLD], "client-secret")
    assert rotated.decrypt(stored) == b"s3cret"
    # Re-encrypted under the new key, it no longer needs the old one.
    assert KeyRing([NEW], "client-secret").decrypt(rotated.rotate(stored)) == b"s3cret"
    with pytest.raises(InvalidToken):
        KeyRing([NEW], "client-secret").decrypt(stored)


def test_a_value_for_one_purpose_is_refused_for_another():
    value = KeyRing([OLD], "session").encrypt(b"{}")
    with pytest.raises(InvalidToken):
        KeyRing([OLD], "sso-state").decrypt(value)


def test_tampering_is_detected():
    value = KeyRing([OLD], "session").encrypt(b"payload")
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(InvalidToken):
        KeyRing([OLD], "session").decrypt(tampered)


def test_ttl_refuses_old_values():
    ring = KeyRing([OLD], "sso-state")
    value = ring.encrypt(b"x")
    assert ring.decrypt(value, ttl=60) == b"x"
    import time

    from cryptography.fernet import Fernet  # noqa: F401 - the format carries its timestamp

    with pytest.raises(InvalidToken):
        ring._fernet.decrypt_at_time(value.encode(), ttl=60, current_time=int(time.time()) + 61)


def test_tokens_are_random_and_hashed():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert hash_token(a) == hash_token(a) != hash_token(b)
    assert a not in hash_token(a)
