"""``rankandfile demo_logins``: the demo accounts (created if missing) and their password."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rankandfile.membership import demo, queries


class Command(BaseCommand):
    help = (
        "Print the demo logins (role, email, password, what each can see), creating any "
        "that are missing. Demo only: every account shares one published password."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo.demo_logins_ensure(actor=None)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(f"created {created} missing demo login(s)")
        restarted = demo.demo_logins_restart_mfa_grace(actor=None)
        rows = [("Role", "Email", "Password", "Can see")]
        rows += [(d.label, d.email, demo.DEMO_PASSWORD, d.sees) for d in demo.DEMO_LOGINS]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                "Demo logins. DEMO ONLY: every account shares this published password; "
                "never load demo data into a real site."
            )
        )
        for i, row in enumerate(rows):
            line = "  ".join(cell.ljust(widths[k]) for k, cell in enumerate(row[:3]))
            self.stdout.write(f"  {line}  {row[3]}")
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 20)
        self.stdout.write("")
        if restarted:
            self.stdout.write(
                f"Two-factor authentication: {len(restarted)} of these roles (officers, "
                "scrutineers, admins) must set it up. Their grace period restarts now, "
                f"for {settings.MFA_GRACE_DAYS} day(s): until then they sign in with the "
                "password and see a banner; run demo_logins again to restart it."
            )
            self.stdout.write("")
        # Activation (decision 0024): a member without a login, to try it with.
        newcomer = queries.member_without_login(clp_slug="streatham")
        if newcomer is not None:
            self.stdout.write(
                f"Member accounts: {newcomer.full_name} ({newcomer.membership_number}) has no "
                "login yet. Ask for a link at /account/activate/ with that number, or invite "
                "them from Streatham CLP's members page as the secretary; outside production "
                "the email is printed on the console."
            )
            self.stdout.write("")
