"""The floor of an authenticated, tenant-isolated SCIM request on this stack: a bare
Pyramid app that, for every request of the load benchmark, does the database work the
cheapest real request cannot do without, and answers the ceiling's fixed bodies.

Per request, on a pooled connection through SQLAlchemy Core and psycopg, no
transaction (autocommit), as the service's SCIM reads run:

1. the caller: the tenant the Host names and the presented bearer token (by its
   SHA-256) with its connection, through the service's own ``trainmeuk_scim_caller``
   function, the same statement setting the session's tenant for row-level security
   (overwriting the one the connection's last request set, as the service does:
   docs/decisions/0029);
2. one indexed read of a user of that tenant (by the ``userName`` the filter names, or
   the id in the URL).

No ORM, no SCIM models, no transaction manager, no tweens, no provisioning log, no
rate limits, no JSON of the row. Writes (POST, PATCH) do only these reads, so the
floor is below what any real request costs: the ratio floor/ceiling bounds the ratio
app/ceiling this stack (Pyramid, gunicorn, SQLAlchemy, psycopg, PostgreSQL on the same
cores) can reach. Served by production.ini's ``[server:main]``; the database is the
benchmark's (``TRAINMEUK_DATABASE_URL``).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router
from sqlalchemy import Engine, create_engine, text

from .ceiling import CONFIG_BODY, LIST_BODY, SCIM_TYPE, USER_BODY, scim_app

CALLER = text(
    "SELECT t.id, t.status, c.token_id, c.token_token_hash, c.connection_scim_enabled, "
    "set_config('app.tenant_id', t.id, false) "
    "FROM tenants t LEFT JOIN trainmeuk_scim_caller(:hash) c ON c.token_tenant_id = t.id "
    "WHERE t.subdomain = :subdomain")
USER_BY_NAME = text("SELECT id, user_name, active FROM users "
                    "WHERE tenant_id = :tenant AND user_name_key = :key")
USER_BY_ID = text("SELECT id, user_name, active FROM users WHERE tenant_id = :tenant AND id = :id")
USER_NAME = re.compile(r'userName eq "([^"]*)"')

_engines: dict[int, Engine] = {}
_lock = threading.Lock()


def engine() -> Engine:
    """This process's engine, made after the server forked (no inherited connections)."""
    pid = os.getpid()
    with _lock:
        if pid not in _engines:
            _engines[pid] = create_engine(os.environ["TRAINMEUK_DATABASE_URL"], pool_size=16, max_overflow=4,
                                          isolation_level="AUTOCOMMIT")
        return _engines[pid]


def _read(request: Request) -> bool:
    """The floor's database work; False if the caller is not a live token of the tenant."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    subdomain = request.host.split(".", 1)[0]
    with engine().connect() as connection:
        caller = connection.execute(CALLER, {"hash": hashlib.sha256(token.encode()).hexdigest(),
                                             "subdomain": subdomain}).first()
        if caller is None or caller.token_id is None:
            return False
        user_id = request.matchdict.get("id")
        if user_id is not None:
            connection.execute(USER_BY_ID, {"tenant": caller.id, "id": user_id}).first()
        else:
            match = USER_NAME.search(request.params.get("filter", ""))
            key = match.group(1).casefold() if match else ""
            connection.execute(USER_BY_NAME, {"tenant": caller.id, "key": key}).first()
    return True


def _answer(request: Request, body: bytes | None, status: int) -> Response:
    if not _read(request):
        return Response(status=401)
    if body is None:
        return Response(status=status)
    return Response(body=body, status=status, content_type=SCIM_TYPE, charset="utf-8")


def users(request: Request) -> Response:
    if request.method == "POST":
        return _answer(request, USER_BODY, 201)
    return _answer(request, LIST_BODY, 200)


def user(request: Request) -> Response:
    return _answer(request, USER_BODY, 200)


def group(request: Request) -> Response:
    return _answer(request, None, 204)


def config(request: Request) -> Response:
    return Response(body=CONFIG_BODY, content_type=SCIM_TYPE, charset="utf-8")


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    return scim_app(settings, {"users": users, "user": user, "group": group, "config": config})
