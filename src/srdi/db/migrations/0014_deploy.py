"""The audit actions of backups, restores and restore drills (choices only: no change to the table)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("srdi", "0013_login"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "新增"),
                    ("update", "修改"),
                    ("delete", "删除"),
                    ("import", "导入"),
                    ("export", "导出"),
                    ("login", "登录"),
                    ("login_failed", "登录失败"),
                    ("logout", "退出"),
                    ("password_change", "修改密码"),
                    ("access_denied", "越权访问被拒绝"),
                    ("reveal", "查看敏感信息"),
                    ("assess", "评价"),
                    ("screen", "全市筛查"),
                    ("transition", "流程流转"),
                    ("ledger", "资金记账"),
                    ("backup", "数据库备份"),
                    ("restore", "数据库恢复"),
                    ("drill", "恢复演练"),
                ],
                max_length=20,
                verbose_name="操作",
            ),
        ),
    ]
