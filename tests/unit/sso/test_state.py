"""The state cookie: signed, short-lived, bound to tenant and provider."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from types import SimpleNamespace

import pytest

from trainmeuk_identity.crypto import KeyRing
from trainmeuk_identity.sso import state

SECRET = "unit-test-secret-key-0123456789-abcdefghijkl"


def request_with(cookie_value, tenant_id="t1", name=None, pending=None):
    registry = SimpleNamespace(settings={"trainmeuk.secret_keys": [SECRET]})
    cookies = {name or state.cookie_name(pending.state): cookie_value} if cookie_value else {}
    return SimpleNamespace(registry=registry, cookies=cookies, tenant=SimpleNamespace(id=tenant_id))


def pending():
    return state.new_pending(tenant_id="t1", provider="entra", redirect_uri="http://x/cb", next_path="/")


def sealed(p, at=None):
    ring = KeyRing([SECRET], state.KEY_PURPOSE)
    data = json.dumps(asdict(p)).encode()
    if at is None:
        return ring.encrypt(data)
    return ring._fernet.encrypt_at_time(data, int(at)).decode()


def test_round_trip():
    p = pending()
    assert state.load(request_with(sealed(p), pending=p), "entra", p.state) == p


def test_pkce_verifier_has_rfc7636_length():
    assert 43 <= len(pending().verifier) <= 128


@pytest.mark.parametrize("case", ["expired", "other tenant", "other provider", "tampered",
                                  "other purpose", "missing", "mismatch"])
def test_refusals(case):
    p = pending()
    value, tenant, provider, given = sealed(p), "t1", "entra", p.state
    if case == "expired":
        value = sealed(p, at=time.time() - state.STATE_TTL_SECONDS - 5)
    elif case == "other tenant":
        tenant = "t2"
    elif case == "other provider":
        provider = "okta"
    elif case == "tampered":
        value = value[:-4] + "AAAA"
    elif case == "other purpose":
        value = KeyRing([SECRET], "session").encrypt(json.dumps(asdict(p)).encode())
    elif case == "missing":
        value = None
    req = request_with(value, tenant, pending=p)
    if case == "mismatch":
        given = p.state[:-1] + ("A" if p.state[-1] != "A" else "B")
        req.cookies = {state.cookie_name(given): value}
    with pytest.raises(state.StateError):
        state.load(req, provider, given)
