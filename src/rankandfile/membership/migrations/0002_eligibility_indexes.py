"""Indexes for computing an electorate in one query (membership.eligibility.electorate).

Only adds indexes. The same ``Index`` declarations belong in ``Period.Meta.indexes`` and
``Member.Meta.indexes`` in models.py so that ``makemigrations`` sees no drift.

- ``period_membership_by_member`` (partial: membership periods only) answers "a membership
  period of this member covering the cutoff through the freeze date" from the index
  alone, in member order (a merge semi-join over the whole party, an index probe per
  member for a CLP or branch).
- ``period_status_by_member`` (partial: suspension and arrears only, a few per cent of the
  rows) does the same for the NOT EXISTS anti-joins.
- ``member_clp_id_cover`` lists a CLP's (and so a region's) member ids without visiting
  the member table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("membership", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="period",
            index=models.Index(
                condition=models.Q(kind="membership"),
                fields=["member", "start", "end"],
                name="period_membership_by_member",
            ),
        ),
        migrations.AddIndex(
            model_name="period",
            index=models.Index(
                condition=models.Q(kind__in=["suspension", "arrears"]),
                fields=["member", "kind", "start", "end"],
                name="period_status_by_member",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["clp", "id"], name="member_clp_id_cover"),
        ),
    ]
