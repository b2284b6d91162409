"""Entra's initial provisioning cycle: for each assigned user, look it up by userName
(Entra's matching query) and create it; then create the groups and add their members
in batches of PATCH operations, as Entra does."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .harness import Deployment, Stats

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
DEPARTMENTS = ["Sales", "Finance", "Operations", "Engineering", "Support", "Marketing",
               "Legal", "People", "Facilities", "Research"]
MEMBERS_PER_PATCH = 50


def entra_user(i: int) -> dict[str, Any]:
    user_name = f"employee{i:06d}@bench.example"
    return {
        "schemas": [CORE_USER, ENTERPRISE], "externalId": f"ext-{i:06d}", "userName": user_name,
        "active": True, "displayName": f"Employee {i}",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"givenName": "Employee", "familyName": f"{i:06d}", "formatted": f"Employee {i}"},
        "title": "Associate",
        ENTERPRISE: {"department": DEPARTMENTS[i % len(DEPARTMENTS)], "employeeNumber": str(i)},
    }


@dataclass
class CycleResult:
    users: int
    groups: int
    memberships: int
    requests: int
    seconds: float
    lookups: Stats
    creates: Stats
    group_requests: Stats
    member_patches: Stats

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_cycle(deployment: Deployment, users: int, concurrency: int) -> tuple[CycleResult, list[str]]:
    """Returns the figures and the created users' ids."""
    lookups, creates, group_requests, patches = Stats(), Stats(), Stats(), Stats()
    ids: list[str] = [""] * users
    clients = [deployment.client() for _ in range(concurrency)]

    def provision(worker: int) -> None:
        client = clients[worker]
        for i in range(worker, users, concurrency):
            body = entra_user(i)
            found = client.call("GET", "/Users", lookups,
                                params={"filter": f'userName eq "{body["userName"]}"'})
            assert found["totalResults"] == 0
            ids[i] = client.call("POST", "/Users", creates, json=body)["id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(provision, range(concurrency)))

    # Groups: "All Staff" with everyone, and one group per department.
    groups: list[tuple[str, list[str]]] = [("All Staff", ids)]
    for d, name in enumerate(DEPARTMENTS):
        groups.append((name, ids[d::len(DEPARTMENTS)]))
    memberships = 0

    def provision_group(index: int) -> int:
        client = clients[index % concurrency]
        name, members = groups[index]
        found = client.call("GET", "/Groups", group_requests,
                            params={"filter": f'displayName eq "{name}"', "excludedAttributes": "members"})
        assert found["totalResults"] == 0
        group_id = client.call("POST", "/Groups", group_requests, json={
            "schemas": [CORE_GROUP], "displayName": name, "externalId": f"grp-{index}"})["id"]
        for start in range(0, len(members), MEMBERS_PER_PATCH):
            batch = members[start:start + MEMBERS_PER_PATCH]
            client.call("PATCH", f"/Groups/{group_id}", patches, json={
                "schemas": [PATCH_OP],
                "Operations": [{"op": "Add", "path": "members", "value": [{"value": v} for v in batch]}]})
        return len(members)

    with ThreadPoolExecutor(concurrency) as pool:
        memberships = sum(pool.map(provision_group, range(len(groups))))
    seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    requests = sum(len(s.seconds) for s in (lookups, creates, group_requests, patches))
    return CycleResult(users, len(groups), memberships, requests, seconds, lookups, creates,
                       group_requests, patches), ids
