"""Times are shown to people in Beijing time: the audit event's and the case transition's time say so (stored UTC)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("srdi", "0026_role_label_responsible_unit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(db_index=True, verbose_name="时间（北京时间）"),
        ),
        migrations.AlterField(
            model_name="casetransition",
            name="at",
            field=models.DateTimeField(verbose_name="时间（北京时间）"),
        ),
    ]
