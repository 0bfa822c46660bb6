"""Printing an import preview (``srdi import --dry-run``) for a person at a terminal."""

from __future__ import annotations

import click
from rich.status import Status
from rich.table import Table

from srdi.cli.progress import console
from srdi.services.import_preview import ImportPreview

DIFF_ENTERPRISES_SHOWN = 20


class StatusSink:
    """Shows a preview's or import's stage and rows read on the terminal's status line."""

    def __init__(self, status: Status, filename: str) -> None:
        self.status, self.filename, self.current = status, filename, ""

    def stage(self, name: str) -> None:
        self.current = name
        self.status.update(f"{self.filename}：{name} …")

    def rows(self, count: int) -> None:
        self.status.update(f"{self.filename}：{self.current}（已读取 {count:,} 行）…")


def print_preview(preview: ImportPreview, max_errors: int) -> None:
    """The preview on standard output: layout, counts, errors, flags, and the first diffs."""
    if preview.refused:
        click.echo(f"文件无法导入：{preview.refused}（原因代码 {preview.refusal}）")
        return
    click.echo(f"文件：{preview.filename}（{preview.file_format}，SHA-256 {preview.sha256[:16]}…）")
    _print_layout(preview)
    click.echo(
        f"{preview.unit}数 {preview.rows_total}，企业 {preview.records_total} 家通过校验："
        f"新增 {preview.created}，变更 {preview.changed}，不变 {preview.unchanged}；"
        f"错误 {len(preview.errors)}，疑似单位错误 {len(preview.flags)}（用时 {preview.seconds:.1f} 秒）"
    )
    for error in preview.errors[:max_errors]:
        click.echo(f"  ✗ {error.message(preview.unit)}")
    for warning in preview.warnings[:max_errors]:
        click.echo(f"  ⚠ {warning.message(preview.unit)}")
    if len(preview.errors) > max_errors:
        click.echo(f"  … 另有 {len(preview.errors) - max_errors} 处错误")
    for flag in preview.flags[:max_errors]:
        click.echo(f"  ⚠ {flag.message(preview.unit)}")
    _print_diffs(preview)
    if preview.errors and not preview.partial:
        click.echo("有错误：导入时不会写入任何数据（可改正后重试，或使用 --partial 只写入有效企业）。")
    elif preview.flags:
        click.echo("有疑似金额单位错误：核对无误后，用 --confirm 导入同一文件。")
    elif preview.writable:
        click.echo("预览无误：去掉 --dry-run 重新运行即可写入。")
    else:
        click.echo("导入不会改变库中任何数据。")


def _print_layout(preview: ImportPreview) -> None:
    layout = preview.layout
    if layout is None:
        return
    where = f"工作表「{layout.sheet}」" if layout.sheet else "文本文件"
    if layout.encoding:
        where += f"，编码 {layout.encoding}"
    if layout.delimiter:
        where += f"，分隔符 {layout.delimiter!r}"
    click.echo(f"{where}，表头在第 {layout.header_row} 行（{layout.header_rows} 行表头）")
    for skipped in layout.skipped_sheets:
        click.echo(f"  跳过工作表「{skipped.name}」：{skipped.reason}")
    for title in layout.title_rows:
        click.echo(f"  表头上方的标题行：{title}")
    table = Table(title="列映射", show_lines=False)
    for heading in ("列", "表头", "字段", "单位", "年度", "说明"):
        table.add_column(heading)
    for column in layout.columns:
        table.add_row(
            column.letter,
            column.header,
            column.field or "（忽略）",
            column.unit or "",
            str(column.year or ""),
            column.note,
        )
    console.print(table)


def _print_diffs(preview: ImportPreview) -> None:
    for diff in preview.diffs[:DIFF_ENTERPRISES_SHOWN]:
        state = "新增" if diff.created else "变更"
        click.echo(f"  {state} {diff.uscc} {diff.name}")
        for line in diff.lines[:30]:
            click.echo(f"      {line.label}：{line.old} → {line.new}")
    more = preview.created + preview.changed - min(len(preview.diffs), DIFF_ENTERPRISES_SHOWN)
    if more > 0:
        click.echo(f"  … 另有 {more} 家企业的变化未列出")
