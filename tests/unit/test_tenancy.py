from __future__ import annotations

import pytest

from trainmeuk_identity.models.tenant import subdomain_problem
from trainmeuk_identity.tenancy import subdomain_of


@pytest.mark.parametrize(("host", "expected"), [
    ("acme.trainmeuk.com", "acme"),
    ("ACME.TrainMeUK.com:443", "acme"),
    ("acme.trainmeuk.com.", "acme"),
    ("trainmeuk.com", ""),
    ("trainmeuk.com:8080", ""),
    ("a.b.trainmeuk.com", None),
    ("evil-trainmeuk.com", None),
    ("acme.trainmeuk.com.evil.example", None),
    ("[::1]", None),
])
def test_subdomain_of(host, expected):
    assert subdomain_of(host, "trainmeuk.com") == expected


@pytest.mark.parametrize("name", ["acme", "a", "acme-ltd", "x1", "a" * 63])
def test_valid_subdomains(name):
    assert subdomain_problem(name) is None


@pytest.mark.parametrize("name", ["", "-a", "a-", "A", "a_b", "a.b", "a" * 64, "www", "admin", "api", "scim"])
def test_invalid_or_reserved_subdomains(name):
    assert subdomain_problem(name) is not None
