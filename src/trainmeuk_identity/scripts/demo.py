"""Create the demo tenant for `make run` (once) and print how to sign in."""

from __future__ import annotations

import secrets
import sys

from sqlalchemy import select

from ..accounts import create_user, reactivate, set_password
from ..console import console
from ..models import Tenant, TenantScope, User

DEMO_SUBDOMAIN = "demo"
DEMO_ADMIN = "admin@demo.example"


def main(argv: list[str]) -> int:
    port = "6543"
    # A fresh password every run, so whoever runs `make run` can always sign in.
    password = secrets.token_urlsafe(12)
    with console(argv[1] if len(argv) > 1 else "development.ini") as ctx, \
            ctx.transaction() as (session, _tm):
        base = ctx.settings["trainmeuk.base_domain"]
        tenant = session.scalar(select(Tenant).where(Tenant.subdomain == DEMO_SUBDOMAIN))
        if tenant is None:
            tenant = Tenant(subdomain=DEMO_SUBDOMAIN, display_name="Demo Organisation")
            session.add(tenant)
            session.flush()
        scope = TenantScope(session, tenant.id)
        admin = session.scalar(scope.select(User).where(User.user_name_key == DEMO_ADMIN))
        if admin is None:
            create_user(scope, email=DEMO_ADMIN, display_name="Demo Admin", is_admin=True,
                        password=password)
        else:
            admin.is_admin = True
            reactivate(admin)
            set_password(admin, password)
    print()
    print(f"  Demo tenant:  http://{DEMO_SUBDOMAIN}.{base}:{port}/login")
    print(f"  Admin email:  {DEMO_ADMIN}")
    print(f"  Password:     {password}   (a new one each time make run starts)")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
