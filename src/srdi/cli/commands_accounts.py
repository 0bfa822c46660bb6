"""``srdi otp`` and ``srdi user``: the system operator's account chores.

Use ``srdi otp reset USERNAME`` when a staff user lost their authenticator (the next sign-in enrols again),
``srdi user reset-password USERNAME`` to set a password the user must change at the next sign-in, and
``srdi user deactivate USERNAME`` to disable an account (its sessions and API tokens end at once). The work is
done and audited by ``srdi.services.second_factor`` and ``srdi.services.accounts``.
"""

from __future__ import annotations

import click

from srdi.cli.main import cli, setup_django


def _user(username: str):  # type: ignore[no-untyped-def]
    from srdi.db.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    return user


@cli.group(name="otp")
def otp() -> None:
    """双因素认证（身份验证器）：重置。"""


@otp.command(name="reset")
@click.argument("username")
def otp_reset(username: str) -> None:
    """删除用户 USERNAME 的身份验证器和恢复码并结束其会话；下次登录时重新绑定（已审计）。"""
    setup_django()
    from srdi.services import second_factor

    user = _user(username)
    removed = second_factor.reset(user)
    click.echo(f"已重置 {username} 的双因素认证（删除 {removed} 个设备），下次登录时需重新绑定身份验证器。")


@cli.group(name="user")
def user_group() -> None:
    """用户账号：重置密码、停用。"""


@user_group.command(name="reset-password")
@click.argument("username")
@click.option("--password", help="不填则提示输入", default=None)
def reset_password(username: str, password: str | None) -> None:
    """为用户 USERNAME 设置新密码；用户下次登录时必须修改（已审计）。"""
    setup_django()
    from srdi.services.accounts import AccountError, set_password_by_operator

    user = _user(username)
    if password is None:
        password = click.prompt("新密码", hide_input=True, confirmation_prompt=True)
    try:
        set_password_by_operator(user, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已重置 {username} 的密码；其会话已结束，下次登录时必须修改密码。")


@user_group.command(name="deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """停用用户 USERNAME：立即结束其全部会话并吊销其全部 API 令牌（已审计）。"""
    setup_django()
    from srdi.services.accounts import deactivate_user

    user = _user(username)
    deactivate_user(user)
    click.echo(f"已停用 {username}，其会话和 API 令牌已全部失效。")
