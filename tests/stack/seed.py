"""Seed the stack test's database (run as a script with the production settings).

    DATABASE_URL=... RANKANDFILE_ENV=production ... python tests/stack/seed.py N PASSWORD

Creates one CLP with ``N`` members (members since 2015, each with an email address) and
a CLP secretary who logs in with ``PASSWORD``; prints JSON with the CLP id and the
secretary's address. The ballot itself is created, opened and run over HTTP by the test.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")


def main() -> None:
    import django

    django.setup()
    from tests.ballots.factories import members
    from tests.membership.factories import CLPFactory, clp_officer

    n, password = int(sys.argv[1]), sys.argv[2]
    clp = CLPFactory()
    electors = members(clp, n)
    officer = clp_officer(clp)
    officer.set_password(password)
    officer.save(update_fields=["password"])
    print(
        json.dumps(
            {
                "clp": clp.pk,
                "officer": officer.email,
                "electors": sorted(m.email for m in electors),
            }
        )
    )


if __name__ == "__main__":
    main()
