"""Personal API tokens get scopes and an expiry.

Tokens issued before scopes existed acted with all of their owner's permissions; they keep
``read write personal`` but expire 30 days after this migration (or at once if their owner
should no longer hold such a token: the API checks two-factor requirements on every use).
"""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

GRACE = dt.timedelta(days=30)


def existing_tokens_expire(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + GRACE, scopes="read write personal"
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_worker_heartbeat_and_outbox")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.CharField(
                default="read",
                help_text="Space-separated scopes: read, write, personal.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(existing_tokens_expire, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
