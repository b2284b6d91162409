"""Adding one member to a 50,000-member group must cost about what it costs on an
empty group: the endpoint inserts the membership row, it never loads the group's
members to replace them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert

from trainmeuk_identity.models import Group, GroupMember, User
from trainmeuk_identity.models.meta import utcnow

from .cycle import PATCH_OP
from .harness import Deployment, Stats

CHUNK = 5_000


def bulk_users(deployment: Deployment, count: int, prefix: str) -> list[str]:
    """Accounts written straight to the database (faster than SCIM for set-up)."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    now = utcnow()
    factory = deployment.app.registry["cross_tenant_session_factory"]
    for start in range(0, count, CHUNK):
        rows = [{"id": ids[i], "tenant_id": deployment.tenant_id,
                 "user_name": f"{prefix}{i}@bench.example", "user_name_key": f"{prefix}{i}@bench.example",
                 "email": f"{prefix}{i}@bench.example", "email_key": f"{prefix}{i}@bench.example",
                 "active": True, "scim_resource": {}, "source": "scim", "scim_provider": "entra",
                 "is_admin": False, "auth_epoch": 0, "created_at": now, "updated_at": now}
                for i in range(start, min(start + CHUNK, count))]
        with factory() as session, session.begin():
            session.execute(insert(User), rows)
    return ids


def bulk_group(deployment: Deployment, name: str, member_ids: list[str]) -> str:
    group_id = str(uuid.uuid4())
    factory = deployment.app.registry["cross_tenant_session_factory"]
    with factory() as session, session.begin():
        session.add(Group(id=group_id, tenant_id=deployment.tenant_id, display_name=name,
                          scim_provider="entra", scim_resource={}))
    for start in range(0, len(member_ids), CHUNK):
        with factory() as session, session.begin():
            session.execute(insert(GroupMember), [
                {"tenant_id": deployment.tenant_id, "group_id": group_id, "user_id": u}
                for u in member_ids[start:start + CHUNK]])
    return group_id


@dataclass
class MembershipResult:
    big_size: int
    big: Stats
    empty: Stats

    @property
    def ratio(self) -> float:
        return self.big.median / self.empty.median if self.empty.median else 0.0


def run_membership(deployment: Deployment, big_size: int = 50_000, samples: int = 40) -> MembershipResult:
    members = bulk_users(deployment, big_size, "member")
    big_group = bulk_group(deployment, "Everyone (bench)", members)
    empty_group = bulk_group(deployment, "Nobody yet (bench)", [])
    newcomers = bulk_users(deployment, samples * 2, "newcomer")
    big, empty = Stats(), Stats()
    client = deployment.client()
    # Alternate, so both see the same warm-up and background load.
    for i in range(samples):
        for group_id, stats, user_id in ((big_group, big, newcomers[2 * i]),
                                         (empty_group, empty, newcomers[2 * i + 1])):
            client.call("PATCH", f"/Groups/{group_id}", stats, json={
                "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members",
                                                       "value": [{"value": user_id}]}]})
    client.close()
    return MembershipResult(big_size, big, empty)
