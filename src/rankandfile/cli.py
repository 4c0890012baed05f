"""The ``rankandfile`` command: Django's management commands for this project.

``rankandfile demo_seed``, ``rankandfile membership_import FILE.csv``,
``rankandfile audit_verify``, ``rankandfile count FILE --method ...``, and every standard
command (``migrate``, ``runserver``, ``createsuperuser``...). ``rankandfile help`` lists all.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in and args_in[0] == "count":
        # Counting needs no database or settings: dispatched before Django starts.
        from rankandfile.reports.count_command import main as count_main

        sys.exit(count_main(args_in[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
    from django.core.management import execute_from_command_line

    from rankandfile.core import origin

    args = ["rankandfile", *args_in]
    if args_in and args_in[0] == "runserver":
        # Development links (core.links) start from the address served; the autoreloader's
        # child process inherits it.
        from rankandfile.core.links import SERVED_URL_ENV, runserver_url

        os.environ[SERVED_URL_ENV] = runserver_url(args_in[1:])
    # Audit entries written by commands are marked as coming from the command line.
    with origin.context("cli"):
        execute_from_command_line(args)


if __name__ == "__main__":
    main()
