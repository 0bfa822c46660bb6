"""Parameter changes remember the version they had where they were exported from (``srdi policy import-params``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("srdi", "0019_parameters")]

    operations = [
        migrations.AddField(
            model_name="parameterchange",
            name="source_version",
            field=models.CharField(blank=True, default="", max_length=40, verbose_name="来源版本"),
        ),
    ]
