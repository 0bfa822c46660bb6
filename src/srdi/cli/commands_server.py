"""``srdi migrate``, ``srdi serve`` and ``srdi createuser``."""

from __future__ import annotations

import os
import sys

import click

from srdi.cli.main import cli, setup_django
from srdi.cli.serve_guard import ServeSettings, refusal
from srdi.domain import permissions
from srdi.domain.permissions import Role


@cli.command()
def migrate() -> None:
    """创建或升级数据库结构（嵌入式 SQLite 或 DATABASE_URL 指定的数据库）。"""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="进程数（建议 = CPU 核数）"
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="每个进程的线程数")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """启动网站（gunicorn）。开发配置只能在本机地址（127.0.0.1、::1、localhost）上启动。"""
    setup_django()
    from django.conf import settings

    problem = refusal(
        ServeSettings(
            host=host,
            settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", ""),
            debug=bool(settings.DEBUG),
            secret_key=str(settings.SECRET_KEY),
        )
    )
    if problem:
        raise click.ClickException(problem)
    _refuse_missing_triggers()
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    click.echo(f"srdi 已启动：http://{host}:{port}  （Ctrl+C 退出）", err=True)
    os.execv(sys.executable, gunicorn_args(host, port, workers, threads))  # noqa: S606 - becomes the server


def _refuse_missing_triggers() -> None:
    from django.db import connection

    from srdi.db import triggers

    gaps = triggers.missing(connection)
    if gaps:
        raise click.ClickException(
            f"数据库缺少 srdi 依赖的触发器，不能启动：{triggers.describe(gaps)}。运行 srdi triggers --repair 重新创建。"
        )


@cli.command(name="triggers")
@click.option("--repair", is_flag=True, help="重新创建缺少的触发器")
def triggers_command(repair: bool) -> None:
    """检查数据库触发器（API 令牌即时失效、页面缓存的数据版本）是否齐全；--repair 重新创建缺少的。"""
    setup_django()
    from django.db import connection

    from srdi.db import triggers

    gaps = triggers.missing(connection)
    if not gaps:
        click.echo("触发器齐全。")
        return
    if not repair:
        click.echo(f"缺少触发器：{triggers.describe(gaps)}", err=True)
        raise SystemExit(1)
    created = triggers.repair(connection)
    click.echo(f"已重新创建 {len(created)} 个触发器：{', '.join(created)}")


def gunicorn_args(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The server's command line.

    Each worker holds at most as many connections as it has threads. Otherwise keep-alive connections stay
    with whichever worker accepted them first — under 16 steady API clients one worker did all the work while
    the other idled (measured, ``docs/performance.md``). The price is a new connection per request, which on
    the local link behind the TLS proxy is cheap.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-connections",
        str(threads),
        "--keep-alive",
        "0",
        "--timeout",
        "300",
        "--access-logfile",
        "-",
        "srdi.config.wsgi:application",
    ]


@cli.command()
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--district", "district_code", help="区县代码（区县工作人员必填）")
@click.option("--enterprise", "enterprise_uscc", help="统一社会信用代码（企业用户必填）")
@click.option("--organisation", default="", help="单位（责任单位必填，须与政策条款的责任单位一致）")
@click.option("--password", help="不填则提示输入", default=None)
@click.option(
    "--bootstrap",
    is_flag=True,
    help="应急/初始化：在已有安全管理员时仍直接授予资金类或管理员角色（写入审计日志）",
)
def createuser(
    username: str,
    role: str,
    district_code: str | None,
    enterprise_uscc: str | None,
    organisation: str,
    password: str | None,
    bootstrap: bool,
) -> None:
    """创建用户（运维初始化与应急通道）。

    日常的账号由系统管理员创建、角色由安全管理员授予。资金类和管理员角色（市经信局管理员、资金管理、
    系统/安全/审计管理员）在尚无安全管理员时可直接创建（安装初始化）；此后须加 --bootstrap（应急），
    每次都写入审计日志。"""
    setup_django()
    from srdi.services import role_grants
    from srdi.services.accounts import AccountError, create_user

    if not role_grants.bootstrap_allowed(role, bootstrap=bootstrap):
        raise click.ClickException(
            f"已有安全管理员：{role} 须由安全管理员授予并经第二人审批；应急时请加 --bootstrap（将写入审计日志）"
        )
    if not organisation and permissions.spec_of(role).binds == "organisation":
        raise click.ClickException("责任单位须填写 --organisation（与政策条款的责任单位一致）")
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            username=username,
            password=password,
            role=role,
            district_code=district_code,
            enterprise_uscc=enterprise_uscc,
            organisation=organisation,
            must_change_password=True,  # the operator chose it: the user replaces it at the first sign-in
            via="cli --bootstrap" if bootstrap else "cli",
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建用户 {user.username}（{user.role_label}），首次登录时必须修改密码。")
