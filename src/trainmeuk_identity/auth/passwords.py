"""Password hashing (argon2id) and the rules a new password must meet.

The hashing cost is a process-wide profile chosen by the ``trainmeuk.password_hashing``
setting (the settings ``load_settings`` loaded last choose it): ``standard`` is
argon2-cffi's default cost and the only one production accepts; ``testing`` is a
test-suite-only profile that makes a hash in well under a millisecond. A hash records
its own parameters, so any hash verifies whichever profile is selected, and a sign-in
rehashes a password whose hash was made at another cost (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..settings import password_hashing

STANDARD = "standard"
TESTING = "testing"

PROFILES: dict[str, PasswordHasher] = {
    # argon2-cffi's defaults (RFC 9106's low-memory profile): 64 MiB, 3 passes, 4 lanes.
    STANDARD: PasswordHasher(),
    # For the test suite only: no resistance to guessing at all. settings.validate
    # refuses it when trainmeuk.environment is production.
    TESTING: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}

# per profile: verified when no account matches, so a wrong email costs as long as a
# wrong password. Made on first use: hashing is deliberately slow, start-up should not be.
_dummy_hashes: dict[str, str] = {}

MIN_LENGTH = 12


def _hasher() -> PasswordHasher:
    return PROFILES[password_hashing()]


def _dummy_hash() -> str:
    profile = password_hashing()
    if profile not in _dummy_hashes:
        _dummy_hashes[profile] = PROFILES[profile].hash("not-a-real-password")
    return _dummy_hashes[profile]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    if len(set(password)) < 4:
        return "Use a less repetitive password."
    return None
