"""``GET /healthz``: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


def healthz(request: Request) -> Response:
    engine = request.registry["db_engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return Response(json_body={"status": "unavailable", "database": "unreachable"}, status=503)
    return Response(json_body={"status": "ok", "database": "ok"})


def includeme(config: Any) -> None:
    # Any host: load balancers probe by address, not by tenant name.
    config.add_route("health", "/healthz")
    config.add_view(healthz, route_name="health", request_method="GET", require_csrf=False)
