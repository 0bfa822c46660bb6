"""API tokens expire: ``ApiToken.expires_at``. Tokens issued before this migration expire 90 days after it runs
(time to rotate them), so none stays valid for ever."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def give_existing_tokens_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("srdi", "ApiToken")
    now = timezone.now()
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=now + timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("srdi", "0006_append_only_deletes")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(give_existing_tokens_an_expiry, migrations.RunPython.noop),
    ]
