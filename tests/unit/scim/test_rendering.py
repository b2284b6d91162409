"""A stored user rendered directly is exactly what scim2-models would dump: the same
body, or no body at all (the library's path then renders it, or refuses it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scim2_models import Context, InvalidValueException

from trainmeuk_identity.models import User
from trainmeuk_identity.providers.entra.scim import entra_policy, normalize
from trainmeuk_identity.scim import mapping, protocol, rendering
from trainmeuk_identity.scim.schema import UserResource

from ...fuzz.strategies import CORE_USER, ENTERPRISE, ENTRA_USER

USERS_URL = "https://acme.trainmeuk.com/scim/entra/v2/Users"
CONTEXTS = (Context.RESOURCE_QUERY_RESPONSE, Context.SEARCH_RESPONSE,
            Context.RESOURCE_CREATION_RESPONSE, Context.RESOURCE_PATCH_RESPONSE)


def library(payload: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """What the views rendered before: validate the payload, dump it for a response."""
    try:
        return protocol.dump(mapping.user_resource_from(payload), ctx)
    except ValidationError:
        return None


def assert_same(payload: dict[str, Any]) -> dict[str, Any] | None:
    rendered = rendering.render_user(payload)
    for ctx in CONTEXTS:
        expected = library(payload, ctx)
        if expected is None:
            assert rendered is None, ("the library refuses this payload, the renderer did not",
                                      payload)
        elif rendered is not None:
            assert rendered == expected, payload
    return rendered


# -- payloads as mapping.user_payload builds them: stored users -------------------------
def stored_user(resource: dict[str, Any], *, created: datetime, modified: datetime) -> User:
    """A user row (not saved) written from an incoming resource the way a POST writes it."""
    validated = UserResource.model_validate(normalize("User", "POST", resource),
                                            scim_ctx=Context.RESOURCE_CREATION_REQUEST,
                                            scim_policy=entra_policy())
    user = User(id="0b5a6c1e-3f0a-4c52-9a57-8d1f7e2b4c10", tenant_id="t", user_name="x",
                scim_resource={}, created_at=created, updated_at=modified, active=True)
    mapping.apply_user(user, validated)
    user.active = validated.active is not False
    return user


def test_entras_user_is_rendered_directly_and_the_same():
    user = stored_user(ENTRA_USER, created=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                       modified=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    payload = mapping.user_payload(user, USERS_URL)
    rendered = assert_same(payload)
    assert rendered is not None  # the common case takes the direct path
    assert rendered["meta"]["created"] == "2026-01-02T03:04:05.000006Z"
    assert rendered[ENTERPRISE]["manager"] == {"value": "boss-id", "$ref": f"{USERS_URL}/boss-id"}


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
emails = st.sampled_from(["pat@acme.example", "Pat.Example@ACME.example", "p+x@sub.acme.example",
                          "pât@acmé.example", "not-an-email", "a@b"])
recase = st.sampled_from([str, str.lower, str.upper])


@st.composite
def incoming_users(draw: Any) -> dict[str, Any]:
    """What a provider may POST: any subset of the attributes TrainMeUK keeps, in any case,
    with attributes of schemas it does not publish."""
    case = draw(recase)
    user: dict[str, Any] = {"schemas": [CORE_USER], case("userName"): draw(emails)}
    optional = {
        "externalId": names, "displayName": names, "title": names, "nickName": names,
        "locale": st.sampled_from(["en-GB", "fr"]), "active": st.booleans(),
        "name": st.fixed_dictionaries({}, optional={"givenName": names, "familyName": names,
                                                    "formatted": names, "middleName": names}),
        "emails": st.lists(st.fixed_dictionaries({"value": emails}, optional={
            "type": st.sampled_from(["work", "home", "other"]), "primary": st.booleans(),
            "display": names}), max_size=3),
        "phoneNumbers": st.lists(st.fixed_dictionaries({"value": names}, optional={
            "type": st.sampled_from(["work", "mobile", "fax"])}), max_size=2),
        "addresses": st.lists(st.fixed_dictionaries({}, optional={
            "streetAddress": names, "locality": names, "postalCode": names,
            "country": st.sampled_from(["GB", "FR"]), "type": st.sampled_from(["work", "home"]),
            "formatted": names}), max_size=2),
        "roles": st.lists(st.fixed_dictionaries({"value": names}, optional={"primary": st.booleans()}),
                          max_size=2),
        "urn:example:custom:2.0:User": st.fixed_dictionaries({"costCode": names}),
        "favouriteColour": names,
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            user[case(key)] = draw(values)
    if draw(st.booleans()):
        user["schemas"].append(ENTERPRISE)
        user[ENTERPRISE] = draw(st.fixed_dictionaries({}, optional={
            "department": names, "employeeNumber": names, "costCenter": names,
            "manager": st.fixed_dictionaries({"value": names})}))
    return user


timestamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                          timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incoming_users(), timestamps, timestamps)
def test_stored_users_render_as_the_library_dumps_them(resource, created, modified):
    try:
        user = stored_user(resource, created=created, modified=modified)
    except (ValidationError, InvalidValueException):  # refused at the door: never stored
        return
    # What a POST stores is always rendered directly, and as the library dumps it.
    assert assert_same(mapping.user_payload(user, USERS_URL)) is not None


# -- payloads of any shape: whatever is stored, the renderer never differs -------------
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), names,
              emails, st.sampled_from(["work", "Work", "mobile", "2026-01-02T03:04:05+00:00",
                                       "2026-01-02T03:04:05.1234567Z", "2026-01-02", "1700000000",
                                       "2026-01-02T03:04:05.5+05:30", "aGVsbG8=",
                                       "https://x.example/a", "/Users/m", "0"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(
                                   ["value", "type", "primary", "display", "givenName", "Value",
                                    "$ref", "ref", "given_name", "schemas", "unknown", "created",
                                    "lastModified", "manager", "department"]), children,
                                   max_size=3)),
    max_leaves=8)
KEYS = ["userName", "USERNAME", "id", "externalId", "name", "displayName", "title", "active",
        "password", "emails", "phoneNumbers", "addresses", "groups", "x509Certificates",
        "photos", "profileUrl", "meta", "roles", "urn:example:other", ENTERPRISE,
        "user_name", "EnterpriseUser", "DisplayNAME", "ß", f"{CORE_USER}:userName"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=6),
       st.sampled_from([[CORE_USER], [CORE_USER, ENTERPRISE], [ENTERPRISE], [], ["x"], "x"]))
@example({"meta": {"created": "2026-01-02T03:04:05+00:00"}}, [CORE_USER])
@example({"emails": [{"value": "Pat@ACME.example", "type": "work"}]}, [CORE_USER])
@example({ENTERPRISE: {"manager": {"value": "m", "$ref": "https://x.example/Users/m"}}}, [CORE_USER])
@example({"x509Certificates": [{"value": "aGVsbG8="}]}, [CORE_USER])
@example({"password": "secret", "groups": [{"value": "g"}]}, [CORE_USER])
@example({"userName": "a", "USERNAME": None}, [CORE_USER])
@example({"name": {"givenName": "Pat", "GIVENNAME": None}}, [CORE_USER])
def test_any_stored_payload_renders_as_the_library_dumps_it_or_not_at_all(payload, schemas):
    assert_same({"schemas": schemas, **payload})


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_list_of_rendered_users_is_the_librarys_list_response(count):
    user = stored_user(ENTRA_USER, created=datetime(2026, 1, 2, tzinfo=UTC),
                       modified=datetime(2026, 1, 3, tzinfo=UTC))
    payloads = [mapping.user_payload(user, USERS_URL) for _ in range(count)]
    resources = [mapping.user_resource_from(p) for p in payloads]
    expected = protocol.list_response(UserResource, 7, 2, resources, None)
    assert rendering.list_body(7, 2, [rendering.render_user(p) for p in payloads]) == expected
