"""SQL statements of the sign-in side: the sign-in page and ``/api/session`` with a
valid session cookie, for accounts of a small and of a larger tenant (the counts must
not grow). Password hashing on the sign-in itself is deliberate and is not measured.
The SSO callback's count is pinned by tests/functional/sso/test_sign_in_query_counts.py,
which runs it against the fake authority."""

from __future__ import annotations

import re

import httpx

from trainmeuk_identity.accounts import create_user
from trainmeuk_identity.models import TenantScope

from .harness import Deployment, counting_statements

PASSWORD = "benchmark sign-in password 42"


def _statements(deployment: Deployment, call) -> int:
    call()  # warm
    with counting_statements(deployment.engine) as seen:
        call()
    return len([s for s in seen if not s.startswith("BEGIN")])


def run_signin_queries(deployment: Deployment, accounts: int = 200) -> dict[str, int]:
    factory = deployment.app.registry["cross_tenant_session_factory"]
    with factory() as session, session.begin():
        scope = TenantScope(session, deployment.tenant_id)
        email = "signin@bench.example"
        create_user(scope, email=email, display_name="Sam Bench", password=PASSWORD)
        for i in range(accounts):
            create_user(scope, email=f"staff{i}@bench.example", display_name=None, password=None)
    base = f"http://127.0.0.1:{deployment.port}"
    host = {"Host": f"{deployment.subdomain}.localhost:{deployment.port}"}
    with httpx.Client(base_url=base, headers=host, timeout=60) as browser:
        page = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        form = {"email": email, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
        signed_in = browser.post("/login", data=form)
        if signed_in.status_code not in (302, 303):
            raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
        counts = {
            "GET /login": _statements(deployment, lambda: browser.get("/login")),
            "GET /api/session (signed in)": _statements(
                deployment, lambda: browser.get("/api/session").raise_for_status()),
        }
    return counts
