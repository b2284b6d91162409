"""What SQL the sign-in side costs: the sign-in page, the SSO callback with the
authority's metadata and keys cached, and ``/api/session`` with a valid cookie each send
a fixed number of statements, whoever signs in and however many accounts the tenant has."""

from __future__ import annotations

from ...support.sql import recording_statements
from ...support.sso import sign_in_with_microsoft, start, to_callback

#: Statements per request (transaction control aside). The callback: tenant; state used
#: (one INSERT ... ON CONFLICT) and expired states pruned; connection; identity link;
#: account and its emails; audit event; last sign-in of account and link; session
#: record (expired ones pruned, the new one added).
EXPECTED = {"login page": 2, "callback": 12, "api/session": 2}


def sent(app, call) -> int:
    with recording_statements(app.registry["db_engine"],
                              keep=lambda s: not s.startswith("BEGIN")) as seen:
        call()
    return len(seen)


def test_sign_in_side_costs_a_fixed_number_of_statements(web, sso_app, connected, fake_entra, factory):
    people = []
    for i in range(2):
        factory.user(connected.tenant, f"p{i}@acme.example")
        people.append(fake_entra.add_user(connected.directory, f"p{i}@acme.example"))
    # First sign-ins cache the authority's metadata and keys and link the accounts.
    for person in people:
        sign_in_with_microsoft(web, fake_entra, connected.directory, person)
        web.reset()
    for i in range(3):  # more accounts in the tenant change nothing below
        factory.user(connected.tenant, f"extra{i}@acme.example")

    for person in people:  # the sign-in of every day after the first
        counts = {"login page": sent(sso_app, lambda: web.get("/login"))}
        fake_entra.sign_in_as(connected.directory, person)
        callback = to_callback(start(web).location)
        fetched = (fake_entra.counts["discovery"], fake_entra.counts["jwks"])
        counts["callback"] = sent(sso_app, lambda url=callback: web.get(url, status=303))
        # Metadata and keys come from the cache: nothing is fetched but the code exchange.
        assert (fake_entra.counts["discovery"], fake_entra.counts["jwks"]) == fetched
        counts["api/session"] = sent(sso_app, lambda: web.get("/api/session"))
        assert counts == EXPECTED
        web.reset()
