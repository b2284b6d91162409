"""SQL statements per SCIM list page: the count must not grow with the page size."""

from __future__ import annotations

from .harness import Deployment, counting_statements


def statements_per_page(deployment: Deployment, path: str, count: int, **params: str) -> int:
    client = deployment.client()
    client.call("GET", path, params={"startIndex": "1", "count": str(count), **params})  # warm
    with counting_statements(deployment.engine) as statements:
        body = client.call("GET", path, params={"startIndex": "1", "count": str(count), **params})
    client.close()
    if len(body["Resources"]) != count:
        raise RuntimeError(f"{path}: asked for {count}, got {len(body['Resources'])}")
    return len(statements)


def run_queries(deployment: Deployment) -> dict[str, int]:
    return {
        "users page of 10": statements_per_page(deployment, "/Users", 10),
        "users page of 100": statements_per_page(deployment, "/Users", 100),
        "users page of 100, filtered (active eq true)": statements_per_page(
            deployment, "/Users", 100, filter="active eq true"),
        "groups page of 10 (with members)": statements_per_page(deployment, "/Groups", 10),
    }
