"""Queries: filters evaluated in SQL, pagination, attributes, .search, meta.lastModified."""

from __future__ import annotations

import pytest

from ...support.scim import CORE_USER, ENTERPRISE, new_user, patch_op

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def people(scim):
    made = {}
    for name, dept, active in [("ann", "Sales", True), ("ben", "Sales", False),
                               ("cat", "Research", True), ("dan", "Ops", True)]:
        body = new_user(f"{name}@acme.example", externalId=f"x-{name}", displayName=name.title(),
                        active=active)
        body[ENTERPRISE] = {"department": dept}
        made[name] = scim.post("/Users", body).json
    return made


def names(response):
    return sorted(r["userName"].split("@")[0] for r in response.json.get("Resources", []))


@pytest.mark.parametrize(("expression", "expected"), [
    ('userName eq "ANN@acme.example"', ["ann"]),
    ('userName ne "ann@acme.example"', ["ben", "cat", "dan"]),
    ('userName co "T@"', ["cat"]),
    ('userName sw "b"', ["ben"]),
    ('userName ew "N@ACME.EXAMPLE"', ["ann", "ben", "dan"]),
    ('userName pr', ["ann", "ben", "cat", "dan"]),
    ('userName gt "ben@acme.example"', ["cat", "dan"]),
    ('userName ge "ben@acme.example"', ["ben", "cat", "dan"]),
    ('userName lt "ben@acme.example"', ["ann"]),
    ('userName le "ben@acme.example"', ["ann", "ben"]),
    ('active eq false', ["ben"]),
    ('active eq true and displayName sw "c"', ["cat"]),
    ('displayName eq "dan" or externalId eq "x-ann"', ["ann", "dan"]),
    ('not (displayName eq "dan")', ["ann", "ben", "cat"]),
    ('emails.value eq "CAT@acme.example"', ["cat"]),
    ('emails[type eq "work" and value sw "d"]', ["dan"]),
    ('emails co "@acme"', ["ann", "ben", "cat", "dan"]),
    # Entra's matching on the work email, in the form it sends.
    ('emails[type eq "work"].value eq "Ben@acme.example"', ["ben"]),
    (f'{ENTERPRISE}:department eq "sales"', ["ann", "ben"]),
    ('externalId sw "x-c"', ["cat"]),
    ('externalId co "X-"', []),
    ('title pr and not (active eq false)', ["ann", "cat", "dan"]),
])
def test_filters(scim, people, expression, expected):
    assert names(scim.get("/Users", filter=expression)) == expected


def test_filter_on_id_and_last_modified(scim, people):
    ann = people["ann"]
    assert names(scim.get("/Users", filter=f'id eq "{ann["id"]}"')) == ["ann"]
    stamp = people["dan"]["meta"]["lastModified"]
    assert names(scim.get("/Users", filter=f'meta.lastModified ge "{stamp}"')) == ["dan"]
    scim.patch(f"/Users/{ann['id']}", patch_op({"op": "replace", "path": "title", "value": "VP"}))
    assert names(scim.get("/Users", filter=f'meta.lastModified gt "{stamp}"')) == ["ann"]


@pytest.mark.parametrize("expression", ['userName eq', 'nosuch eq "x"', 'active gt true',
                                        'userName eq "a" and', 'phoneNumbers.value eq "1"'])
def test_bad_filters_are_invalid_filter(scim, people, expression):
    response = scim.get("/Users", filter=expression, status=400)
    assert response.json["scimType"] == "invalidFilter"


def test_pagination(scim, people):
    first = scim.get("/Users", startIndex=1, count=2).json
    second = scim.get("/Users", startIndex=3, count=2).json
    assert first["totalResults"] == second["totalResults"] == 4
    assert first["itemsPerPage"] == 2 and second["startIndex"] == 3
    ids = [r["id"] for r in first["Resources"] + second["Resources"]]
    assert len(set(ids)) == 4
    counted = scim.get("/Users", count=0).json
    assert counted["totalResults"] == 4 and "Resources" not in counted


def test_attributes_and_excluded_attributes(scim, people):
    only = scim.get("/Users", filter='userName eq "ann@acme.example"', attributes="userName").json
    resource = only["Resources"][0]
    assert set(resource) == {"schemas", "id", "userName"}
    without = scim.get(f"/Users/{people['ann']['id']}", excludedAttributes="emails,name").json
    assert "emails" not in without and "name" not in without and without["userName"]


def test_search_by_post(scim, people):
    response = scim.post("/Users/.search", {"schemas": [SEARCH], "filter": 'userName sw "c"',
                                            "attributes": ["userName"], "count": 10}, status=200)
    assert names(response) == ["cat"]


def test_user_schema_in_results(scim, people):
    resource = scim.get("/Users", filter='userName eq "cat@acme.example"').json["Resources"][0]
    assert CORE_USER in resource["schemas"] and ENTERPRISE in resource["schemas"]
