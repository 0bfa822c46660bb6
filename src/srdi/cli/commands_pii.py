"""``srdi pii``: the keys of personal data at rest.

Use ``srdi pii status`` to see the active key and cipher and how many stored values are under another key,
``srdi pii keygen`` to print a new key for ``SRDI_PII_KEYS`` (or, with ``--activate``, add it to the embedded
key file), and ``srdi pii rotate`` to re-encrypt everything under the active key (batched; run it again after
an interruption). The work is done by ``srdi.services.personal_data``, which audits it.
"""

from __future__ import annotations

import click

from srdi.cli.main import cli, setup_django


@cli.group(name="pii")
def pii() -> None:
    """个人信息加密：密钥状态、生成密钥、密钥轮换（身份证号、电话、银行账号）。"""


@pii.command(name="status")
def status() -> None:
    """当前密钥、算法，以及尚未使用当前密钥的记录数。"""
    setup_django()
    from srdi.domain.field_cipher import PiiCryptoError
    from srdi.services.personal_data import key_status

    try:
        st = key_status()
    except PiiCryptoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"当前密钥：{st.active}（{st.cipher}）；已配置密钥：{'、'.join(st.key_ids)}；来源：{st.source}"
    )
    for c in st.columns:
        click.echo(f"  {c.column}：待轮换 {c.stale} 条，明文 {c.plaintext} 条")
    click.echo("全部记录已使用当前密钥" if st.current else "有记录需要轮换：运行 srdi pii rotate")


@pii.command(name="keygen")
@click.option("--id", "key_id", default="", help="密钥标识（与 --activate 一起使用）")
@click.option(
    "--activate", is_flag=True, help="加入内置密钥文件（$SRDI_VAR_DIR/pii-keys.json）并设为当前密钥"
)
def keygen(key_id: str, activate: bool) -> None:
    """生成一个新的32字节密钥（base64），用于 SRDI_PII_KEYS 或 SRDI_PII_HASH_KEY。"""
    from srdi.domain.field_cipher import KeyConfigError, new_key

    if not activate:
        click.echo(new_key())
        return
    setup_django()
    from pathlib import Path

    from django.conf import settings

    from srdi.db.pii_keys import add_key_to_file, keyring

    path = getattr(settings, "SRDI_PII_KEY_FILE", None)
    if settings.SRDI_PII_KEYS or path is None:
        raise click.ClickException(
            "密钥来自环境变量 SRDI_PII_KEYS：请在环境中加入新密钥并设置 SRDI_PII_ACTIVE_KEY"
        )
    if not key_id:
        raise click.ClickException("请用 --id 指定新密钥的标识")
    try:
        keyring()  # creates the file on first use
        add_key_to_file(Path(path), key_id)
    except KeyConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已加入密钥 {key_id} 并设为当前密钥；运行 srdi pii rotate 用新密钥重新加密已有记录")


@pii.command(name="rotate")
@click.option("--batch", type=int, default=1000, show_default=True, help="每批记录数（每批一个事务）")
def rotate(batch: int) -> None:
    """用当前密钥重新加密所有个人信息（可中断后重跑，继续未完成的部分）。"""
    setup_django()
    from srdi.domain.field_cipher import PiiCryptoError
    from srdi.services.personal_data import rotate as run

    try:
        done = run(batch=batch, progress=lambda column, n: click.echo(f"  {column}：{n} 条", err=True))
    except PiiCryptoError as exc:
        raise click.ClickException(f"轮换中止：{exc}（已完成的批次保留，修正后重新运行）") from None
    for column, n in done.rows.items():
        click.echo(f"{column}：重新加密 {n} 条")
    click.echo(f"完成：共 {done.total} 条，当前密钥 {done.active}（{done.cipher}）")
