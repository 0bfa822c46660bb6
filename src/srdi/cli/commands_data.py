"""``srdi import``, ``srdi export`` and ``srdi demo``: moving enterprise data in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from srdi.cli.main import cli, setup_django
from srdi.cli.progress import console


def _actor(username: str | None):  # type: ignore[no-untyped-def]
    if not username:
        return None
    from srdi.db.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在或已停用")
    return user


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="写入有效行，报告其余行（默认：任一行有错则全部不写入）")
@click.option(
    "--dry-run", is_flag=True, help="只预览：识别的工作表、表头、列映射、新增/变更/不变及逐项差异，不写入"
)
@click.option("--confirm", is_flag=True, help="已核对疑似金额单位错误，仍然写入（否则遇到疑似错误时不写入）")
@click.option("--as", "username", help="以该用户身份导入（应用其区县范围并记入审计）")
@click.option("--max-errors", default=200, show_default=True, help="最多显示的错误条数")
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="有错误时，把全部错误写入此 XLSX（原数据每行旁加“错误说明”列，错误单元格标红，另附错误汇总）",
)
def import_(
    file: Path,
    partial: bool,
    dry_run: bool,
    confirm: bool,
    username: str | None,
    max_errors: int,
    errors_out: Path | None,
) -> None:
    """导入企业数据（XLSX/ODS、CSV 或 JSON 交换格式）。

    退出码：0 已写入或无变化（--dry-run：无错误）；1 有错误，未写入（或部分写入）；3 有疑似金额单位错误，
    未写入，核对后加 --confirm 重新导入。
    """
    setup_django()
    from django.conf import settings

    data = file.read_bytes()
    actor = _actor(username)
    from srdi.cli.import_report import StatusSink

    if dry_run:
        from srdi.cli.import_report import print_preview
        from srdi.services.import_preview import preview_file

        with console.status(f"正在预览 {file.name} …") as status:
            preview = preview_file(
                data,
                file.name,
                actor=actor,
                partial=partial,
                max_bytes=settings.SRDI_IMPORT_MAX_BYTES,
                sink=StatusSink(status, file.name),
            )
        print_preview(preview, max_errors)
        if preview.errors and errors_out is not None:
            _write_errors(data, file.name, actor, errors_out)
        sys.exit(1 if preview.refused or preview.errors else 3 if preview.flags else 0)

    from srdi.services.imports import import_file

    with console.status(f"正在校验并导入 {file.name} …") as status:
        result = import_file(
            data,
            file.name,
            actor=actor,
            partial=partial,
            confirm=confirm,
            max_bytes=settings.SRDI_IMPORT_MAX_BYTES,
            sink=StatusSink(status, file.name),
        )
    messages = result.error_messages()
    for line in messages[:max_errors]:
        click.echo(f"  ✗ {line}", err=True)
    if len(messages) > max_errors:
        click.echo(
            f"  … 另有 {len(messages) - max_errors} 处错误（见导入批次 #{result.batch_id} 的报告）", err=True
        )
    for line in result.flag_messages()[:max_errors]:
        click.echo(f"  ⚠ {line}", err=True)
    refusal = f"原因代码 {result.refusal}，" if result.refusal else ""
    summary = (
        f"{result.message}（{refusal}{result.unit}数 {result.rows_total}，错误 {len(result.errors)}，"
        f"疑似错误 {len(result.flags)}，批次 #{result.batch_id}，状态 {result.status}）"
    )
    click.echo(summary)
    if result.errors and errors_out is not None:
        _write_errors(data, file.name, actor, errors_out)
    if result.held:
        click.echo("核对无误后，加 --confirm 重新导入同一文件即可写入。", err=True)
        sys.exit(3)
    sys.exit(1 if result.errors else 0)


def _write_errors(data: bytes, filename: str, actor, target: Path) -> None:  # type: ignore[no-untyped-def]
    """``--errors-out``: every error of the file beside its row, as an XLSX."""
    from django.conf import settings

    from srdi.services.import_errors import error_workbook

    workbook = error_workbook(data, filename, actor=actor, max_bytes=settings.SRDI_IMPORT_MAX_BYTES)
    target.write_bytes(workbook.content)
    click.echo(
        f"错误说明已写入 {target}（{workbook.errors} 处错误，涉及 {workbook.rows_with_errors} 行）", err=True
    )


FORMATS = ("xlsx", "csv", "json")


def _export_format(file_format: str | None, output: Path | None, template: bool) -> str:
    """The format asked for, else the output file's extension, else XLSX for a template and JSON for data."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if file_format and suffix in FORMATS and suffix != file_format:
        raise click.UsageError(f"输出文件 {output} 的扩展名与 --format {file_format} 不一致")
    if file_format:
        return file_format
    if suffix in FORMATS:
        return suffix
    return "xlsx" if template else "json"


@cli.command()
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    help="xlsx（供人打开、编辑后再导入）、csv（机器交换格式）、json（交换格式）；"
    "默认取 --output 的扩展名，否则模板为 xlsx、数据为 json",
)
@click.option("--district", help="只导出该区县（行政区划代码）")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件（默认标准输出；xlsx 默认写入当前目录）",
)
@click.option("--template", is_flag=True, help="导出空白导入模板（xlsx 或 csv）")
@click.option("--as", "username", help="以该用户身份导出（应用其数据范围）")
def export(
    file_format: str | None, district: str | None, output: Path | None, template: bool, username: str | None
) -> None:
    """导出企业数据（XLSX 供人打开编辑，CSV 为机器交换格式，JSON 为交换格式；表格中的个人信息已脱敏）。"""
    setup_django()
    from srdi.services.exports import ExportError, export_enterprises, import_template

    chosen = _export_format(file_format, output, template)
    try:
        result = (
            import_template(chosen)
            if template
            else export_enterprises(_actor(username), chosen, district=district)
        )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output is None and chosen == "xlsx":
        output = Path(result.filename)
    if output is None:
        sys.stdout.buffer.write(result.content)
    else:
        output.write_bytes(result.content)
        click.echo(f"已写入 {output}（{result.count} 家企业）", err=True)
