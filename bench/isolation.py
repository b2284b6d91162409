"""After a run: every user the run created must be readable through its own tenant
(200, same userName) and through no other (404 with another tenant's host and token)."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .loadgen import BASE


@dataclass
class Isolation:
    checked: int = 0
    missing: int = 0  # 404, or another userName, through its own tenant
    cross_tenant: int = 0  # 200 through another tenant
    unanswered: int = 0  # a read that got neither 200 nor 404: neither proves anything
    samples: list[str] = field(default_factory=list)


def _get(conn: http.client.HTTPConnection, host: str, token: str, user_id: str) -> tuple[int, bytes]:
    conn.request("GET", f"{BASE}/Users/{user_id}", headers={
        "Host": host, "Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    return response.status, response.read()


def check(port: int, tokens: dict[str, str], created: list[tuple[str, str, str]],
          threads: int = 4) -> Isolation:
    """``tokens``: host -> bearer token; ``created``: (host, id, userName)."""
    hosts = sorted(tokens)
    result = Isolation(checked=len(created))

    def work(share: list[tuple[str, str, str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for host, user_id, user_name in share:
            status, body = _get(conn, host, tokens[host], user_id)
            if status not in (200, 404):
                result.unanswered += 1
            elif status != 200 or json.loads(body).get("userName") != user_name:
                result.missing += 1
            if status != 200 and len(result.samples) < 10:
                result.samples.append(f"own tenant {host}: {status} {body[:200]!r}")
            if len(hosts) > 1:
                other = hosts[(hosts.index(host) + 1) % len(hosts)]
                status, body = _get(conn, other, tokens[other], user_id)
                if status not in (200, 404):
                    result.unanswered += 1
                elif status == 200:
                    result.cross_tenant += 1
                if status != 404 and len(result.samples) < 10:
                    result.samples.append(f"{user_name} through {other}: {status} {body[:200]!r}")
        conn.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, [created[i::threads] for i in range(threads)]))
    return result
