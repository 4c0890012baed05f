"""Selection ballots stored absolute links (``<base URL>/selections/12/``) in their
descriptions; links are now made when the text is shown (``core.links.expand_paths``), so
the stored text keeps only the site path."""

import re

from django.db import migrations

FROZEN = re.compile(r"https?://[^/\s]+(/selections/\d+/(?:candidates/\d+/)?)")


def to_paths(apps, schema_editor):
    Selection = apps.get_model("selections", "Selection")
    Ballot = apps.get_model("ballots", "Ballot")
    Option = apps.get_model("ballots", "Option")
    ballot_ids = Selection.objects.exclude(ballot=None).values_list("ballot_id", flat=True)
    for ballot in Ballot.objects.filter(pk__in=list(ballot_ids)):
        text = FROZEN.sub(r"\1", ballot.description)
        if text != ballot.description:
            Ballot.objects.filter(pk=ballot.pk).update(description=text)
    for option in Option.objects.filter(ballot_id__in=list(ballot_ids)):
        text = FROZEN.sub(r"\1", option.description)
        if text != option.description:
            Option.objects.filter(pk=option.pk).update(description=text)


class Migration(migrations.Migration):
    dependencies = [
        ("selections", "0001_initial"),
        ("ballots", "0004_electorate_without_fk_checks"),
    ]

    operations = [migrations.RunPython(to_paths, migrations.RunPython.noop)]
