"""``srdi assess`` and ``srdi entitle``: the contract's batch commands (../shared/contracts/README.md).

Both read a JSON file and write JSON to standard output. A malformed file exits with status 2 and a message
on standard error; a malformed record becomes an ``error`` entry and the other records are still evaluated
(exit 0, with a note on standard error). They run on the pure domain: no database is needed. ``entitle --in-force``
reads the parameter changes approved in this installation (``srdi.services.parameters``) and so needs the database;
without it the packs' cited baseline is used, as the contract's other systems expect.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from srdi.cli.main import cli


def read_document(path: Path) -> Any:
    """Parse a JSON file exactly (decimals stay Decimal); exits 2 with a clear message when malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{path}: 文件不是 UTF-8 编码的 JSON")
    except OSError as exc:
        _fail(f"{path}: 无法读取文件：{exc.strerror}")
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        _fail(f"{path}: JSON 格式错误（第{exc.lineno}行第{exc.colno}列）：{exc.msg}")
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        _fail(f"{path}: JSON 内容无法读取：{exc}")
    except RecursionError:
        _fail(f"{path}: JSON 嵌套层次过深")


def _fail(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(2)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_output(document: dict[str, Any], compact: bool) -> None:
    text = json.dumps(document, ensure_ascii=False, default=_default, indent=None if compact else 2)
    sys.stdout.write(text + "\n")


def report_record_errors(results: list[dict[str, Any]]) -> None:
    errors = [r for r in results if "error" in r]
    if errors:
        click.echo(f"注意：{len(errors)} 条记录格式有误，已在结果中以 error 标注，其余记录已处理。", err=True)
        for r in errors[:20]:
            click.echo(f"  第{r['index'] + 1}条（{r.get('uscc') or '无代码'}）：{r['error']}", err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--compact", is_flag=True, help="紧凑输出（不缩进）")
@click.option("--no-gaps", is_flag=True, help="不计算差距分析（更快）")
def assess(file: Path, compact: bool, no_gaps: bool) -> None:
    """按梯度培育标准评价企业（输入 {"as_of", "enterprises"}，输出 {"results"}）。"""
    from srdi.domain.assessment.contract import DocumentError, run_assess

    document = read_document(file)
    try:
        output = run_assess(document, with_gaps=not no_gaps)
    except DocumentError as exc:
        _fail(f"{file}: {exc}")
    write_output(output, compact)
    report_record_errors(output["results"])


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--compact", is_flag=True, help="紧凑输出（不缩进）")
@click.option(
    "--in-force",
    is_flag=True,
    help="使用本系统已批准的参数调整（需数据库）；默认只用政策包的基线参数",
)
def entitle(file: Path, compact: bool, in_force: bool) -> None:
    """按有效的政策包计算企业可享受的政策兑现（输入 {"parameters", "enterprises"}，输出 {"results"}）。"""
    from srdi.domain.assessment.contract import DocumentError
    from srdi.domain.policy.contract import run_entitle

    document = read_document(file)
    packs = None
    if in_force:
        from srdi.cli.main import setup_django

        setup_django()
        from srdi.services.parameters import packs_in_force

        packs = packs_in_force()
    try:
        output = run_entitle(document, packs=packs)
    except DocumentError as exc:
        _fail(f"{file}: {exc}")
    write_output(output, compact)
    report_record_errors(output["results"])
