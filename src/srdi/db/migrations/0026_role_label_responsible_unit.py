"""The responsible-unit role is labelled 责任单位: it files quarterly reports, so it is no longer read-only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("srdi", "0025_showcase"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                blank=True,
                choices=[
                    ("city_admin", "市经信局管理员"),
                    ("city_staff", "市经信局工作人员"),
                    ("district_staff", "区县（市）工作人员"),
                    ("enterprise", "企业用户"),
                    ("provider", "服务机构"),
                    ("auditor", "审计人员（只读）"),
                    ("finance", "资金管理（拨付）"),
                    ("responsible_unit", "责任单位"),
                    ("leader", "领导（只读）"),
                    ("system_admin", "系统管理员"),
                    ("security_admin", "安全管理员"),
                    ("audit_admin", "审计管理员"),
                ],
                default="",
                max_length=20,
                verbose_name="角色",
            ),
        ),
    ]
