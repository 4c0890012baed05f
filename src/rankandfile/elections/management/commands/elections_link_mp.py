"""Tie an MP (by MNIS id) to the login (by email) they nominate with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.elections import services
from rankandfile.membership.models import MP


class Command(BaseCommand):
    help = "Let an MP nominate in internal elections with a login: --mnis ID --email ADDRESS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mnis", type=int, required=True, help="the MP's MNIS id")
        parser.add_argument("--email", required=True, help="the login's email address")

    def handle(self, *args: Any, **options: Any) -> None:
        mp = MP.objects.filter(mnis_id=options["mnis"]).first()
        if mp is None:
            raise CommandError(f"no MP with MNIS id {options['mnis']}")
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"no login with the email {options['email']}")
        try:
            services.mp_account_link(actor=None, mp=mp, user=user)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{mp.name} nominates as login #{user.pk}")
