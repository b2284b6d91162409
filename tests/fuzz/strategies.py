"""What the fuzz targets generate: Entra's bodies mutated, PATCH operations, filters,
query parameters, ids, headers and Host values."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

#: A user as Entra creates it.
ENTRA_USER: dict[str, Any] = {
    "schemas": [CORE_USER, ENTERPRISE],
    "externalId": "fuzz-user",
    "userName": "fuzz.user@acme.example",
    "active": True,
    "displayName": "Fuzz User",
    "emails": [{"primary": True, "type": "work", "value": "fuzz.user@acme.example"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Fuzz User", "familyName": "User", "givenName": "Fuzz"},
    "title": "Engineer",
    "phoneNumbers": [{"type": "mobile", "value": "+44 7700 900000"}],
    "addresses": [{"type": "work", "streetAddress": "1 Road", "country": "GB"}],
    ENTERPRISE: {"department": "Research", "employeeNumber": "1001",
                 "manager": {"value": "boss-id"}},
}
#: A group as Entra creates it (members filled in by the target).
ENTRA_GROUP: dict[str, Any] = {
    "schemas": [CORE_GROUP, ADSCIM], "externalId": "fuzz-group", "displayName": "Fuzz Group",
    "meta": {"resourceType": "Group"}, "members": [],
}

DEEP = "\ufdd0deep:"
_DEEP = re.compile(r'"\\ufdd0deep:([0-9]+)"')


def encode(body: Any) -> bytes:
    """The body as a client's JSON encoder sends it (NUL and lone surrogates as \\u
    escapes), with deep-nesting markers expanded to arrays nested that deep."""
    text = _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), json.dumps(body))
    return text.encode()


# -- values ---------------------------------------------------------------------------
#: Text that hurts: NUL, lone surrogates, quotes, brackets, long runs, any code point.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(['\x00', '\ud800', '\udfff', '"', '\\', '[', ']', '(',
                                      ')', ' ', '.', ':', '@', 'é', '\u202e', 'a', '%']),
            max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "İ", "\U0001f600"]),
              st.sampled_from([199, 200, 201, 255, 256, 319, 320, 321, 400, 401, 5000])),
    st.sampled_from(["", " ", "null", "True", "False", "0", "-1", "1e400", "NaN",
                     "urn:ietf:params:scim:schemas:core:2.0:User:userName"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False), nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(nasty_text, children, max_size=4)),
    max_leaves=12)

USER_KEYS = ["userName", "externalId", "displayName", "title", "active", "emails", "name",
             "name.givenName", "name.familyName", "schemas", "id", "meta", "password",
             "phoneNumbers", "addresses", "nickName", "locale", "timezone", "groups",
             "roles", ENTERPRISE, f"{ENTERPRISE}:manager", f"{ENTERPRISE}:department",
             "members", "Password", "ACTIVE"]


@st.composite
def mutated(draw: Any, base: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """``base`` with a few keys set to generated values, removed, or nested deep."""
    body = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        key = draw(st.one_of(st.sampled_from(keys + list(body)), nasty_text))
        action = draw(st.sampled_from(["set", "set", "delete", "sub", "deep"]))
        if action == "delete":
            body.pop(key, None)
        elif action == "sub" and isinstance(body.get(key), dict) and body[key]:
            sub = draw(st.sampled_from(sorted(body[key])))
            body[key][sub] = draw(json_values)
        elif action == "sub" and isinstance(body.get(key), list) and body[key]:
            body[key][0] = draw(json_values)
        elif action == "deep":
            # A marker the request's encoder expands (see encode()): a value nested this
            # deep would not survive Hypothesis's own printing of the example.
            body[key] = f"{DEEP}{draw(st.sampled_from([30, 31, 32, 33, 64, 5000, 100_000]))}"
        else:
            body[key] = draw(json_values)
    return body


user_bodies = mutated(ENTRA_USER, USER_KEYS)
group_bodies = mutated(ENTRA_GROUP, ["displayName", "externalId", "members", "schemas", "id",
                                     "meta", "members.value"])


# -- PATCH ----------------------------------------------------------------------------
PATHS = ["active", "title", "displayName", "userName", "externalId", "name.givenName",
         "name.familyName", "emails", 'emails[type eq "work"].value', 'emails[type eq "home"]',
         'phoneNumbers[type eq "mobile"].value', 'addresses[type eq "work"].country',
         f"{ENTERPRISE}:manager", f"{ENTERPRISE}:department", "members", "members.value",
         'members[value eq "nobody"]', 'members[value eq "{user}"]', "password", "id",
         "meta.created", "nosuch", "foo.bar", "urn:x:y", "emails[", "members[value eq]",
         'members[value eq "a" or value eq "b"]', "groups", "schemas"]
OPS = ["add", "replace", "remove", "Add", "Replace", "Remove", "ADD", "explode", ""]


@st.composite
def patch_bodies(draw: Any, user_id: str) -> dict[str, Any]:
    operations = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        operation: dict[str, Any] = {"op": draw(st.one_of(st.sampled_from(OPS), nasty_text))}
        if draw(st.booleans()):
            path = draw(st.one_of(st.sampled_from(PATHS), nasty_text))
            operation["path"] = path.replace("{user}", user_id)
        if draw(st.integers(min_value=0, max_value=4)):
            operation["value"] = draw(st.one_of(
                json_values,
                st.just([{"value": user_id}]),
                st.just({"active": False}), st.just({"active": "False"}),
                st.just({"name.givenName": "x" * 201}),
                st.just({"displayName": "Renamed", "members": [{"value": user_id}]}),
                st.just({"password": "Secret-1"})))
        operations.append(operation)
    body: dict[str, Any] = {"schemas": [PATCH_OP], "Operations": operations}
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        body = draw(st.dictionaries(nasty_text, json_values, max_size=3))
    return body


# -- filters and query parameters ------------------------------------------------------
ATTRIBUTES = ["userName", "externalId", "id", "displayName", "emails", "emails.value",
              "emails.type", "active", "title", "name.givenName", "meta.lastModified",
              "meta.created", "members", "members.value", f"{ENTERPRISE}:manager.value",
              f"{ENTERPRISE}:department", "nosuch", "emails[type eq \"work\"]", "groups"]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "xx"]
VALUES = st.one_of(
    st.builds(json.dumps, st.one_of(nasty_text, st.integers(), st.booleans(), st.none())),
    st.sampled_from(["true", "false", "null", '"2026-01-01T00:00:00Z"', '"not a date"', "12",
                     "1e999", '"', "", '"x" and', "-", "[]"]))


@st.composite
def filters(draw: Any) -> str:
    def term() -> str:
        attribute = draw(st.sampled_from(ATTRIBUTES))
        operator = draw(st.sampled_from(OPERATORS))
        if operator == "pr":
            return f"{attribute} pr"
        return f"{attribute} {operator} {draw(VALUES)}"

    text = term()
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        shape = draw(st.sampled_from(["and", "or", "not", "paren", "vp"]))
        if shape in ("and", "or"):
            text = f"{text} {shape} {term()}"
        elif shape == "not":
            text = f"not ({text})"
        elif shape == "paren":
            text = f"({text})"
        else:
            text = f"emails[{text}]"
    return draw(st.one_of(
        st.just(text), nasty_text,
        st.builds(lambda n: " or ".join(['userName eq "x"'] * n),
                  st.sampled_from([49, 50, 51, 200, 3000])),
        st.builds(lambda n: "not (" * n + 'userName eq "x"' + ")" * n,
                  st.sampled_from([7, 8, 9, 40])),
    ))


NUMBERS = st.one_of(st.integers(min_value=-(2**80), max_value=2**80).map(str), nasty_text,
                    st.sampled_from(["1", "0", "-1", "2147483647", "2147483648",
                                     "9" * 5000, "1.5", "0x10", " 1", "1e3", ""]))
query_parameters = st.dictionaries(
    st.sampled_from(["filter", "startIndex", "count", "attributes", "excludedAttributes",
                     "sortBy", "sortOrder", "STARTINDEX", "Count", "x"]),
    st.one_of(NUMBERS, st.sampled_from([*ATTRIBUTES, "members", "emails.value,userName"]),
              filters()),
    max_size=4)

# -- ids, headers, hosts ---------------------------------------------------------------
# URL paths are decoded as UTF-8 before SCIM sees them: ids are valid Unicode text.
ids = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60),
                st.sampled_from(["\x00", "a\x00b", "x" * 37, "x" * 5000, ".search", "..",
                                 "%00", " ", "null", "00000000-0000-0000-0000-000000000000"]))

MEDIA_TYPES = ["application/scim+json", "application/json", "text/plain",
               "application/x-www-form-urlencoded", "multipart/form-data", "application/xml",
               "APPLICATION/SCIM+JSON", "application/scim+json ", "", "*/*", "application/"]
CHARSETS = ["", "; charset=utf-8", "; charset=UTF-8", "; Charset=utf8", "; charset=foo",
            "; charset=latin-1", '; charset="utf-8"', "; charset=", "; charset=utf-16",
            ";;", "; boundary=x"]
content_types = st.one_of(
    st.builds(lambda m, c: m + c, st.sampled_from(MEDIA_TYPES), st.sampled_from(CHARSETS)),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
    st.none())
authorizations = st.one_of(
    st.none(), st.just("{token}"), st.just("Bearer {token}"), st.just("bearer {token}"),
    st.just("Bearer  {token} "), st.just("Basic {token}"),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60))
hosts = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
    st.sampled_from(["{host}", "{host}:6543", "{host}:abc", "{host}:@evil.example",
                     "{host}@evil.example", "evil.example", "", "{host}.", "{HOST}",
                     "{host}:99999999999999", "[::1]", "localhost", "x.localhost",
                     "{host}:80:80", "{host}\\x00"]))
