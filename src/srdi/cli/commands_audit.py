"""``srdi audit verify`` and ``srdi audit checkpoint``: the audit and ledger chains against their signed
checkpoints (run ``checkpoint`` from cron; its output is the daily record of both chain heads)."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from srdi.cli.main import cli, setup_django


@cli.group()
def audit() -> None:
    """审计日志（密钥哈希链、检查点）。"""


@audit.command(name="verify")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    default=None,
    help="只与该时刻（UTC）及以前的检查点比对（核验该时刻的备份）",
)
@click.option("--no-checkpoints", is_flag=True, help="不与检查点比对（仅核验链本身）")
def audit_verify(as_of: datetime | None, no_checkpoints: bool) -> None:
    """核验审计日志与总账的密钥哈希链：逐条重算、序号连续、与链头及最近检查点一致；有问题时退出码为1。"""
    setup_django()
    from srdi.services.audit import verify_chain
    from srdi.services.ledger_verify import verify_ledger_chain

    results = [
        verify_chain(as_of=as_of, use_checkpoints=not no_checkpoints).result,
        verify_ledger_chain(as_of=as_of, use_checkpoints=not no_checkpoints),
    ]
    failed = False
    for result in results:
        assert result is not None
        click.echo(("✓ " if result.ok else "✗ ") + result.message())
        failed |= not result.ok
    sys.exit(1 if failed else 0)


@audit.command(name="checkpoint")
def audit_checkpoint() -> None:
    """为审计日志链与总账链各写一个签名检查点（序号、链头认证码、行数、时间），存于数据库之外；可由 cron 定时运行。"""
    setup_django()
    from srdi.services.chain_keys import ChainKeyError
    from srdi.services.checkpoint_sink import configured_sink
    from srdi.services.checkpoints import take_checkpoints

    try:
        taken = take_checkpoints()
    except ChainKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"检查点已写入 {configured_sink().describe()}：")
    for cp in taken:
        click.echo(
            f"  {cp.chain}: 第 {cp.seq} 条，{cp.count} 行，链头 {cp.mac[:16]}…，{cp.at}（密钥 {cp.key_id}）"
        )
