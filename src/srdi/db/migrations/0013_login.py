"""Sign-in hardening: ``User.must_change_password`` (a password set by someone else must be replaced)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("srdi", "0012_import_held_flags")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="must_change_password",
            field=models.BooleanField(default=False, verbose_name="下次登录须修改密码"),
        ),
    ]
