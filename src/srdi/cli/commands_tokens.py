"""``srdi token``: API tokens for system-to-system calls.

Use ``srdi token create USERNAME --name NAME`` to issue a token (printed once on standard output, so it can
be captured by a script), ``srdi token list`` to see tokens by prefix, and ``srdi token revoke PREFIX`` to
end one. The work is done by ``srdi.services.tokens``, which audits it.
"""

from __future__ import annotations

from datetime import datetime

import click

from srdi.cli.main import cli, setup_django
from srdi.domain.beijing_time import format_beijing


@cli.group(name="token")
def token() -> None:
    """API 令牌：签发、查看与吊销（系统间调用 /api/v1 使用 Authorization: Bearer 令牌）。"""


@token.command(name="create")
@click.argument("username")
@click.option("--name", required=True, help="令牌用途，如“西湖区数据同步”")
@click.option("--days", type=int, default=None, help="有效天数（默认 SRDI_API_TOKEN_DAYS，即90天）")
def create(username: str, name: str, days: int | None) -> None:
    """为用户 USERNAME 签发令牌；令牌只显示这一次。"""
    setup_django()
    from srdi.db.models import User
    from srdi.services.tokens import TokenError, create_token, prefix_of

    user = User.objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    try:
        raw = create_token(user, name, days=days)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(raw)
    click.echo(
        f"已为 {username} 签发令牌（前缀 {prefix_of(raw)}，用途：{name.strip()}）。"
        "令牌只显示这一次，请立即妥善保存；遗失请吊销后重新签发。",
        err=True,
    )


@token.command(name="revoke")
@click.argument("prefix")
def revoke(prefix: str) -> None:
    """吊销前缀为 PREFIX 的令牌（签发时显示的8位前缀）。"""
    setup_django()
    from srdi.services.tokens import TokenError, revoke_token

    try:
        revoked = revoke_token(prefix)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已吊销令牌 {revoked.prefix}（用户 {revoked.user.username}，用途：{revoked.name}）")


@token.command(name="list")
@click.argument("username", required=False)
def list_(username: str | None) -> None:
    """列出令牌（可只看某一用户的）；不显示令牌本身。"""
    setup_django()
    from django.utils import timezone

    from srdi.db.models import ApiToken

    now = timezone.now()

    def shown(moment: datetime) -> str:
        return format_beijing(moment)

    tokens = ApiToken.objects.select_related("user").order_by("created_at", "id")
    if username:
        tokens = tokens.filter(user__username=username)
    rows = list(tokens)
    if not rows:
        click.echo("没有令牌")
        return
    for t in rows:
        if t.revoked_at:
            status = f"已吊销 {shown(t.revoked_at)}"
        elif t.expires_at is not None and t.expires_at <= now:
            status = f"已过期 {shown(t.expires_at)}"
        else:
            status = f"有效至 {shown(t.expires_at)}" if t.expires_at else "有效（未设到期时间）"
        used = shown(t.last_used_at) if t.last_used_at else "从未使用"
        click.echo(
            f"{t.prefix}\t{t.user.username}\t{t.name}\t签发 {shown(t.created_at)}\t最近使用 {used}\t{status}"
        )
