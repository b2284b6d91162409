"""Which account a Microsoft sign-in reaches: by (tid, oid); by email only the first time."""

from __future__ import annotations

from sqlalchemy import select

from trainmeuk_identity.accounts import deactivate
from trainmeuk_identity.models import SsoIdentity, TenantScope, User, UserSource

from ...support.sso import connect, no_session, sign_in_with_microsoft


def test_no_account_gets_a_page_saying_so(web, connected, fake_entra):
    person = fake_entra.add_user(connected.directory, "new@acme.example")
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=403)
    assert "has not given you a TrainMeUK account" in response.text
    assert no_session(web)


def test_accounts_are_created_on_first_sign_in_when_the_tenant_wants(
        web, tenant, fake_entra, session_factory, sso_settings, dbsession):
    connected = connect(session_factory, sso_settings, fake_entra, tenant, create_accounts=True)
    person = fake_entra.add_user(connected.directory, "new@acme.example", "Nia New")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    me = web.get("/api/session").json["user"]
    user = dbsession.get(User, me["id"])
    assert (user.email, user.display_name, user.source) == ("new@acme.example", "Nia New", UserSource.sso)
    assert dbsession.scalar(select(SsoIdentity.subject).where(SsoIdentity.user_id == user.id)) == person.oid


def test_preferred_username_matches_a_user_name(web, connected, fake_entra, factory):
    account = factory.user(connected.tenant, "lee@acme.example")
    person = fake_entra.add_user(connected.directory, "lee@acme.example")
    person.email = None  # many directories send no email claim
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    assert web.get("/api/session").json["user"]["id"] == account.id


def test_two_matching_accounts_are_refused(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "a@acme.example")
    factory.user(connected.tenant, "b@acme.example")
    person = fake_entra.add_user(connected.directory, "a@acme.example", preferred_username="b@acme.example")
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=403)
    assert "More than one TrainMeUK account" in response.text
    assert no_session(web)


def test_a_deactivated_account_is_refused(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "gone@acme.example", active=False)
    person = fake_entra.add_user(connected.directory, "gone@acme.example")
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=403)
    assert "deactivated" in response.text
    assert no_session(web)


def test_a_linked_account_deactivated_later_is_refused(web, connected, fake_entra, factory,
                                                       session_factory):
    account = factory.user(connected.tenant, "sam@acme.example")
    person = fake_entra.add_user(connected.directory, "sam@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=303)
    with session_factory() as session, session.begin():
        deactivate(TenantScope(session, connected.tenant.id).get(User, account.id))
    assert no_session(web)  # the open session ended with the deactivation
    sign_in_with_microsoft(web, fake_entra, connected.directory, person, status=403)
    assert no_session(web)


def test_an_account_linked_to_another_person_is_not_taken_over(web, connected, fake_entra, factory):
    factory.user(connected.tenant, "sam@acme.example")
    first = fake_entra.add_user(connected.directory, "sam@acme.example")
    sign_in_with_microsoft(web, fake_entra, connected.directory, first, status=303)
    web.post("/logout", {"csrf_token": web.get("/").forms[0]["csrf_token"].value}, status=303)
    # Another person in the directory is given the same address later.
    second = fake_entra.add_user(connected.directory, "sam@acme.example")
    response = sign_in_with_microsoft(web, fake_entra, connected.directory, second, status=403)
    assert "already linked to a different Microsoft account" in response.text
    assert no_session(web)


def test_a_first_link_that_lost_a_race_accepts_the_winners_link(session_factory, tenant, factory):
    """Two tabs signing in for the first time at once: the second insert of the same
    (tid, oid) finds the first one's link to the same account and signs in."""
    from trainmeuk_identity.models import SsoIdentity, TenantScope
    from trainmeuk_identity.sso.linking import _store_link

    user = factory.user(tenant, "race@acme.example")
    other = factory.user(tenant, "other@acme.example")
    with session_factory() as session, session.begin():
        scope = TenantScope(session, tenant.id)
        assert _store_link(scope, session.get(type(user), user.id), "entra", "tid-1", "oid-1")
    with session_factory() as session, session.begin():
        scope = TenantScope(session, tenant.id)
        assert _store_link(scope, session.get(type(user), user.id), "entra", "tid-1", "oid-1")
        assert not _store_link(scope, session.get(type(other), other.id), "entra", "tid-1", "oid-1")
    with session_factory() as session:
        from sqlalchemy import select

        links = session.scalars(select(SsoIdentity).where(SsoIdentity.tenant_id == tenant.id)).all()
        assert [(link.user_id, link.subject) for link in links] == [(user.id, "oid-1")]
