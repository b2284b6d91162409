"""Hostile SCIM input: every request gets a SCIM Error (4xx) that says what to fix, and
changes nothing; nothing answers 500 (issue 8)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from trainmeuk_identity.models import Group, ProvisioningLogEntry, User
from trainmeuk_identity.scim import filters, protocol
from trainmeuk_identity.scim.group_store import MAX_MEMBERS_PER_REQUEST
from trainmeuk_identity.scim.log import flush_pending

from ...support.scim import CORE_GROUP, ERROR, new_user, patch_op


def scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert response.status_int == status, response.body[:300]
    assert response.content_type == "application/scim+json"
    body = response.json
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type
    return body


def snapshot(session_factory: Any, tenant_id: str) -> tuple[list[Any], list[Any]]:
    with session_factory() as session:
        users = session.execute(select(User.__table__).where(User.tenant_id == tenant_id)
                                .order_by(User.id)).all()
        groups = session.execute(select(Group.__table__).where(Group.tenant_id == tenant_id)
                                 .order_by(Group.id)).all()
        return [tuple(r) for r in users], [tuple(r) for r in groups]


def send(scim: Any, method: str, path: str, body: str | bytes | None = None,
         content_type: str | None = "application/scim+json; charset=utf-8") -> Any:
    headers = {"Authorization": f"Bearer {scim.token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if method in ("get", "delete"):
        return getattr(scim.app, method)(scim.base + path, headers=headers, status="*")
    return getattr(scim.app, method)(scim.base + path, body or b"", headers=headers, status="*")


@pytest.fixture
def existing(scim: Any) -> dict[str, str]:
    user = scim.post("/Users", new_user()).json
    group = scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Engineers",
                                  "members": [{"value": user["id"]}]}).json
    return {"user": user["id"], "group": group["id"]}


@pytest.fixture
def unchanged(scim: Any, session_factory: Any, existing: dict[str, str]):
    """Asserts, after the test, that the tenant's users and groups are as before it."""
    before = snapshot(session_factory, scim.tenant_id)
    yield existing
    assert snapshot(session_factory, scim.tenant_id) == before


# -- bodies -----------------------------------------------------------------------------
def test_very_deep_json_is_invalid_syntax(scim, unchanged):
    body = scim_error(send(scim, "post", "/Users", "[" * 100_000 + "]" * 100_000), 400, "invalidSyntax")
    assert "levels deep" in body["detail"]
    deep = new_user("deep@acme.example")
    node = deep
    for _ in range(protocol.MAX_JSON_DEPTH + 1):
        node["nested"] = {}
        node = node["nested"]
    scim_error(send(scim, "post", "/Users", json.dumps(deep)), 400, "invalidSyntax")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_does_not_have_are_invalid_syntax(scim, unchanged, constant):
    body = json.dumps(new_user("nan@acme.example"))[:-1] + f', "x": [{constant}]}}'
    detail = scim_error(send(scim, "post", "/Users", body), 400, "invalidSyntax")["detail"]
    assert constant.lstrip("-") in detail
    scim_error(send(scim, "put", f"/Groups/{unchanged['group']}", json.dumps(
        {"schemas": [CORE_GROUP], "displayName": "G"})[:-1] + f', "": {constant}}}'), 400)


@pytest.mark.parametrize("content_type", [
    "application/scim+json; charset=foo", "application/scim+json; charset=latin-1",
    "application/json;charset=x-unknown-8",
])
def test_a_charset_other_than_utf8_is_415(scim, unchanged, content_type):
    body = scim_error(send(scim, "post", "/Users", json.dumps(new_user("cs@acme.example")),
                           content_type), 415)
    assert "UTF-8" in body["detail"] and "charset=utf-8" in body["detail"]


@pytest.mark.parametrize("content_type", [
    "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/xml",
])
def test_bodies_that_are_not_json_are_415(scim, unchanged, content_type):
    body = scim_error(send(scim, "post", "/Users", json.dumps(new_user("tp@acme.example")),
                           content_type), 415)
    assert "application/scim+json" in body["detail"]
    user = unchanged["user"]
    scim_error(send(scim, "patch", f"/Users/{user}", json.dumps(patch_op(
        {"op": "replace", "path": "title", "value": "x"})), content_type), 415)
    scim_error(send(scim, "post", "/Users/.search", json.dumps({"filter": 'userName eq "x"'}),
                    content_type), 415)


@pytest.mark.parametrize("content_type", [
    "application/scim+json", "application/json", "application/scim+json; charset=utf-8",
    "application/scim+json; Charset=UTF-8", "APPLICATION/JSON; CHARSET=utf8",
    'application/json; charset="UTF-8"',
])
def test_json_bodies_are_accepted_in_any_spelling(scim, content_type):
    user_name = f"{abs(hash(content_type))}@acme.example"
    response = send(scim, "post", "/Users", json.dumps(new_user(user_name, externalId=user_name)),
                    content_type)
    assert response.status_int == 201
    # Entra's GETs come with no Content-Type at all.
    assert send(scim, "get", "/Users?filter=" + quote(f'userName eq "{user_name}"'),
                content_type=None).json["totalResults"] == 1


@pytest.mark.parametrize("value", ["Ali\x00ce", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_in_strings_are_invalid_value(scim, unchanged, value):
    body = new_user("nul@acme.example")
    body["displayName"] = value
    raw = json.dumps(body)  # escapes both as \u0000, \ud800
    detail = scim_error(send(scim, "post", "/Users", raw), 400, "invalidValue")["detail"]
    assert "displayName" in detail and "NUL" in detail
    body = new_user("nul@acme.example")
    body[value] = "key"
    scim_error(send(scim, "post", "/Users", json.dumps(body)), 400, "invalidValue")
    scim_error(send(scim, "patch", f"/Users/{unchanged['user']}", json.dumps(patch_op(
        {"op": "replace", "path": "title", "value": value}))), 400, "invalidValue")
    scim_error(send(scim, "post", "/Groups", json.dumps(
        {"schemas": [CORE_GROUP], "displayName": value})), 400, "invalidValue")
    scim_error(send(scim, "get", "/Users?filter=" + quote(
        f'userName eq "{value}"', errors="surrogatepass"), content_type=None), 400)
    scim_error(send(scim, "get", "/Users?attributes=" + quote(value, errors="surrogatepass"),
                    content_type=None), 400)


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "a\\udfffb"])
def test_nul_and_surrogates_escaped_in_filters_are_invalid_filter(scim, unchanged, escape):
    scim_error(send(scim, "get", "/Users?filter=" + quote(f'userName eq "{escape}"'),
                    content_type=None), 400, "invalidFilter")
    scim_error(send(scim, "get", "/Groups?filter=" + quote(f'members[value eq "{escape}"]'),
                    content_type=None), 400, "invalidFilter")
    scim_error(send(scim, "patch", f"/Groups/{unchanged['group']}", json.dumps(patch_op(
        {"op": "remove", "path": f'members[value eq "{escape}"]'}))),
        400, "invalidFilter")


def test_nul_in_an_id_in_the_url_is_404_and_logged(scim, unchanged, app, dbsession):
    for method, resource in (("get", "Users"), ("delete", "Users"), ("get", "Groups"),
                             ("patch", "Groups"), ("put", "Users")):
        body = None if method in ("get", "delete") else json.dumps(patch_op(
            {"op": "replace", "path": "displayName", "value": "x"}))
        response = send(scim, method, f"/{resource}/abc%00def", body)
        assert "abc\\x00def" in scim_error(response, 404)["detail"]
    flush_pending(app.registry)
    dbsession.rollback()
    rows = dbsession.scalars(select(ProvisioningLogEntry).where(
        ProvisioningLogEntry.tenant_id == scim.tenant_id, ProvisioningLogEntry.status == 404)).all()
    assert len(rows) == 5
    assert all("\x00" not in (r.path + (r.resource_id or "") + r.error_detail) for r in rows)


def test_an_id_longer_than_any_id_is_404(scim, unchanged):
    scim_error(send(scim, "get", "/Users/" + "x" * 5000), 404)
    scim_error(send(scim, "put", "/Groups/" + "y" * 300, json.dumps(
        {"schemas": [CORE_GROUP], "displayName": "G"})), 404)


USER_ATTRIBUTES = [
    ("userName", lambda b, v: b.update(userName=v + "@acme.example"), 320),
    ("externalId", lambda b, v: b.update(externalId=v), 255),
    ("name.givenName", lambda b, v: b["name"].update(givenName=v), 200),
    ("name.familyName", lambda b, v: b["name"].update(familyName=v), 200),
    ("displayName", lambda b, v: b.update(displayName=v), 400),
    ("title", lambda b, v: b.update(title=v), 200),
    ("department", lambda b, v: b[next(k for k in b if k.endswith("enterprise:2.0:User"))]
     .update(department=v), 200),
    ("employeeNumber", lambda b, v: b[next(k for k in b if k.endswith("enterprise:2.0:User"))]
     .update(employeeNumber=v), 100),
    ("manager.value", lambda b, v: b[next(k for k in b if k.endswith("enterprise:2.0:User"))]
     .update(manager={"value": v}), 255),
    ("emails.type", lambda b, v: b["emails"][0].update(type=v), 32),
]


@pytest.mark.parametrize(("attribute", "setter", "limit"), USER_ATTRIBUTES,
                         ids=[a for a, _, _ in USER_ATTRIBUTES])
def test_values_longer_than_their_column_are_invalid_value(scim, unchanged, attribute, setter, limit):
    body = new_user("long@acme.example", externalId="long")
    setter(body, "x" * (limit + 1))
    detail = scim_error(send(scim, "post", "/Users", json.dumps(body)), 400, "invalidValue")["detail"]
    assert attribute in detail and str(limit) in detail
    # The same through PUT, and a value that fits is stored.
    user = unchanged["user"]
    body = new_user()
    setter(body, "x" * (limit + 1))
    scim_error(send(scim, "put", f"/Users/{user}", json.dumps(body)), 400, "invalidValue")


def test_long_values_through_patch_and_on_groups(scim, unchanged):
    user, group = unchanged["user"], unchanged["group"]
    detail = scim_error(send(scim, "patch", f"/Users/{user}", json.dumps(patch_op(
        {"op": "replace", "path": "title", "value": "t" * 201}))), 400, "invalidValue")["detail"]
    assert "'title'" in detail and "200" in detail
    scim_error(send(scim, "patch", f"/Users/{user}", json.dumps(patch_op(
        {"op": "replace", "value": {"name.givenName": "g" * 201}}))), 400, "invalidValue")
    for body in ({"schemas": [CORE_GROUP], "displayName": "d" * 401},
                 {"schemas": [CORE_GROUP], "displayName": "ok", "externalId": "e" * 256}):
        scim_error(send(scim, "post", "/Groups", json.dumps(body)), 400, "invalidValue")
        scim_error(send(scim, "put", f"/Groups/{group}", json.dumps(body)), 400, "invalidValue")
    detail = scim_error(send(scim, "patch", f"/Groups/{group}", json.dumps(patch_op(
        {"op": "replace", "path": "displayName", "value": "d" * 401}))), 400, "invalidValue")["detail"]
    assert "displayName" in detail and "400" in detail


def test_values_that_fit_exactly_are_stored(scim):
    body = new_user("x" * (320 - len("@acme.example")) + "@acme.example", externalId="e" * 255)
    body["emails"] = [{"value": "fits@acme.example", "type": "w" * 32}]
    body["title"] = "t" * 200
    assert scim.post("/Users", body).json["title"] == "t" * 200
    scim.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "d" * 400})


@pytest.mark.parametrize("query", [
    "startIndex=99999999999999999999", "startIndex=2147483648", "startIndex=" + "9" * 5000,
    "count=" + "9" * 5000, "count=abc", "startIndex=1.5", "startIndex=", "count=-",
])
def test_out_of_range_or_non_numeric_paging_is_invalid_value(scim, unchanged, query):
    for path in ("/Users", "/Groups"):
        assert 400 <= send(scim, "get", f"{path}?{query}", content_type=None).status_int < 500
        scim_error(send(scim, "get", f"{path}?{query}", content_type=None), 400)


def test_paging_numbers_in_range_are_read_as_the_rfc_says(scim, unchanged):
    # startIndex below 1 is 1, a negative count is 0, a huge count is cut to the maximum.
    assert send(scim, "get", "/Users?startIndex=-5", content_type=None).json["startIndex"] == 1
    assert send(scim, "get", "/Users?count=-1", content_type=None).json["itemsPerPage"] == 0
    assert send(scim, "get", "/Users?count=99999999999999999999",
                content_type=None).json["itemsPerPage"] == 1
    big = send(scim, "get", "/Groups?startIndex=2147483647", content_type=None).json
    assert big["startIndex"] == 2147483647 and big["itemsPerPage"] == 0
    scim_error(send(scim, "post", "/Users/.search", json.dumps({"startIndex": 2**63})), 400)


@pytest.mark.parametrize("path", ["nosuch", "foo.bar", "urn:example:x:attr", "members.nothing"])
def test_group_patch_with_an_unknown_path_is_invalid_path(scim, unchanged, path):
    body = scim_error(send(scim, "patch", f"/Groups/{unchanged['group']}", json.dumps(patch_op(
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "replace", "path": path, "value": "x"}))), 400)
    assert body["scimType"] in {"invalidPath", "invalidValue"}


def test_too_many_patch_operations_is_too_many(scim, unchanged):
    operations = [{"op": "replace", "path": "title", "value": f"t{i}"}
                  for i in range(protocol.MAX_PATCH_OPERATIONS + 1)]
    detail = scim_error(send(scim, "patch", f"/Users/{unchanged['user']}",
                             json.dumps(patch_op(*operations))), 400, "tooMany")["detail"]
    assert str(protocol.MAX_PATCH_OPERATIONS) in detail


def test_too_many_members_in_one_request_is_too_many(scim, unchanged):
    members = [{"value": f"{i:036d}"} for i in range(MAX_MEMBERS_PER_REQUEST + 1)]
    scim_error(send(scim, "patch", f"/Groups/{unchanged['group']}", json.dumps(patch_op(
        {"op": "add", "path": "members", "value": members}))), 400, "tooMany")
    scim_error(send(scim, "post", "/Groups", json.dumps(
        {"schemas": [CORE_GROUP], "displayName": "Big", "members": members})), 400, "tooMany")


# -- filters ----------------------------------------------------------------------------
def test_a_filter_of_thousands_of_terms_is_refused_at_once(scim, unchanged):
    for resource, term in (("Users", 'emails.value eq "u{i}@acme.example"'),
                           ("Groups", 'members.value eq "{i}"')):
        text = " or ".join(term.format(i=i) for i in range(3000))
        started = time.monotonic()
        detail = scim_error(send(scim, "get", f"/{resource}?filter={quote(text)}",
                                 content_type=None), 400, "invalidFilter")["detail"]
        assert time.monotonic() - started < 1.0
        assert str(filters.MAX_FILTER_LENGTH) in detail
    started = time.monotonic()
    scim_error(send(scim, "post", "/Users/.search", json.dumps({"filter": text})), 400, "invalidFilter")
    assert time.monotonic() - started < 1.0


def test_filter_terms_and_nesting_are_limited(scim, unchanged):
    many = " or ".join(f'userName eq "u{i}"' for i in range(filters.MAX_FILTER_TERMS + 1))
    assert len(many) <= filters.MAX_FILTER_LENGTH
    detail = scim_error(send(scim, "get", f"/Users?filter={quote(many)}", content_type=None),
                        400, "invalidFilter")["detail"]
    assert str(filters.MAX_FILTER_TERMS) in detail
    deep = "not (" * filters.MAX_FILTER_DEPTH + 'userName eq "x"' + ")" * filters.MAX_FILTER_DEPTH
    scim_error(send(scim, "get", f"/Groups?filter={quote(deep.replace('userName', 'displayName'))}",
                    content_type=None), 400, "invalidFilter")
    # Within the limits, filters still work.
    fine = " or ".join(f'userName eq "u{i}"' for i in range(filters.MAX_FILTER_TERMS - 1))
    fine += ' or userName eq "alice@acme.example"'
    assert send(scim, "get", f"/Users?filter={quote(fine)}", content_type=None).json["totalResults"] == 1


@pytest.mark.parametrize("text", [
    'meta.lastModified co "0"', 'meta.created sw "2026"', 'active ew "e"', 'active gt true',
    'emails[primary lt false]',
])
def test_operators_that_do_not_apply_to_the_attribute_are_invalid_filter(scim, unchanged, text):
    scim_error(send(scim, "get", f"/Users?filter={quote(text)}", content_type=None),
               400, "invalidFilter")
    if text.startswith("meta"):
        scim_error(send(scim, "get", f"/Groups?filter={quote(text)}", content_type=None),
                   400, "invalidFilter")
