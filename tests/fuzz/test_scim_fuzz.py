"""Property: whatever arrives at the SCIM endpoint, the answer is never a 5xx, and a
refused request changes nothing (see tests/support/fuzz.py for the run sizes)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from ..support.fuzz import BASE, FUZZ_SETTINGS
from . import strategies as gen
from .strategies import encode

SCIM_JSON = {"Content-Type": "application/scim+json; charset=utf-8"}


@FUZZ_SETTINGS
@given(body=gen.user_bodies, method=st.sampled_from(["POST", "PUT"]))
def test_user_bodies(target, body, method):
    before = target.snapshot()
    path = f"{BASE}/Users" if method == "POST" else f"{BASE}/Users/{target.user_id}"
    target.check(target.request(method, path, encode(body), SCIM_JSON), before)


@FUZZ_SETTINGS
@given(body=gen.group_bodies, method=st.sampled_from(["POST", "PUT"]))
def test_group_bodies(target, body, method):
    before = target.snapshot()
    path = f"{BASE}/Groups" if method == "POST" else f"{BASE}/Groups/{target.group_id}"
    target.check(target.request(method, path, encode(body), SCIM_JSON), before)


@FUZZ_SETTINGS
@given(data=st.data(), resource=st.sampled_from(["Users", "Groups"]),
       query=st.sampled_from(["", "?attributes=members", "?excludedAttributes=members"]))
def test_patch_operations(target, data, resource, query):
    body = data.draw(gen.patch_bodies(target.user_id))
    item = target.user_id if resource == "Users" else target.group_id
    before = target.snapshot()
    target.check(target.request("PATCH", f"{BASE}/{resource}/{item}{query}", encode(body),
                                SCIM_JSON), before)


@FUZZ_SETTINGS
@given(text=gen.filters(), resource=st.sampled_from(["Users", "Groups"]),
       how=st.sampled_from(["GET", "POST"]))
def test_filters(target, text, resource, how):
    before = target.snapshot()
    if how == "GET":
        query = quote(text, safe="", errors="surrogatepass")
        response = target.request("GET", f"{BASE}/{resource}?filter={query}")
    else:
        response = target.request("POST", f"{BASE}/{resource}/.search",
                                  encode({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                          "filter": text}), SCIM_JSON)
    target.check(response, before)
    assert response.status_int in (200, 400), response.text[:300]


@FUZZ_SETTINGS
@given(params=gen.query_parameters,
       path=st.sampled_from(["/Users", "/Groups", "/Users/{user}", "/Groups/{group}"]))
def test_query_parameters(target, params, path):
    path = path.format(user=target.user_id, group=target.group_id)
    query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
    before = target.snapshot()
    target.check(target.request("GET", f"{BASE}{path}?{query}"), before)


@FUZZ_SETTINGS
@given(item=gen.ids, resource=st.sampled_from(["Users", "Groups", "Schemas", "ResourceTypes"]),
       method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]))
def test_ids(target, item, resource, method):
    body = b"" if method in ("GET", "DELETE") else encode(
        {"schemas": [gen.PATCH_OP], "Operations": [{"op": "replace", "path": "displayName",
                                                     "value": "Renamed"}]}
        if method == "PATCH" else dict(gen.ENTRA_GROUP, displayName="Renamed"))
    before = target.snapshot()
    response = target.request(method, f"{BASE}/{resource}/{quote(item, safe='')}", body, SCIM_JSON)
    target.check(response, before)


@FUZZ_SETTINGS
@given(content_type=gen.content_types, authorization=gen.authorizations,
       accept=st.one_of(st.none(), st.sampled_from(["*/*", "application/scim+json", "text/html",
                                                    "application/json;q=0", "\x7f"])),
       request=st.sampled_from(["create", "patch", "search", "get"]))
def test_headers(target, content_type, authorization, accept, request):
    headers = {"Content-Type": content_type, "Accept": accept,
               "Authorization": authorization.replace("{token}", target.token)
               if authorization is not None else None}
    method, path, body = {
        "create": ("POST", "/Users", gen.ENTRA_USER),
        "patch": ("PATCH", f"/Users/{target.user_id}",
                  {"schemas": [gen.PATCH_OP], "Operations": [{"op": "replace", "path": "title",
                                                               "value": "Header test"}]}),
        "search": ("POST", "/Groups/.search", {"filter": 'displayName eq "Fuzz Group"'}),
        "get": ("GET", "/Users", None),
    }[request]
    before = target.snapshot()
    response = target.request(method, BASE + path, encode(body) if body else b"", headers)
    target.check(response, before)


@FUZZ_SETTINGS
@given(host=gen.hosts, path=st.sampled_from(["/Users", "/Groups", "/ServiceProviderConfig",
                                             "/Users/{user}"]),
       method=st.sampled_from(["GET", "DELETE"]))
def test_hosts(target, host, path, method):
    host = host.replace("{host}", target.host).replace("{HOST}", target.host.upper())
    before = target.snapshot()
    response = target.request(method, BASE + path.format(user=target.user_id), host=host)
    assert response.status_int < 500, (host, response.status, response.text[:300])
    if response.status_int >= 400:
        assert target.snapshot() == before
    elif target.snapshot() != before:
        target.reset()
