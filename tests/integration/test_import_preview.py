"""Preview before writing and plausibility holds: nothing is written until a person confirms."""

from __future__ import annotations

import pytest
from tests.conftest import make_uscc
from tests.integration.conftest import json_bytes, profile, xlsx_bytes

from srdi.db.models import AuditEvent, Enterprise, EnterpriseYear, ImportBatch
from srdi.services.import_preview import preview_file
from srdi.services.imports import import_file

pytestmark = pytest.mark.django_db

WAN = 1_000_000


def test_preview_counts_new_changed_unchanged_and_writes_nothing():
    a, b, c = make_uscc(), make_uscc(), make_uscc()
    assert import_file(json_bytes([profile(a), profile(b)]), "first.json").ok
    changed_b = profile(b)
    changed_b["financials"]["2024"]["employees"] = 130
    batches, events = ImportBatch.objects.count(), AuditEvent.objects.count()

    preview = preview_file(json_bytes([profile(a), changed_b, profile(c)]), "second.json", actor=None)

    assert (preview.created, preview.changed, preview.unchanged) == (1, 1, 1)
    changed = next(d for d in preview.diffs if d.uscc == b)
    assert [(line.label, line.old, line.new) for line in changed.lines] == [("2024年 从业人员", "120", "130")]
    assert preview.writable and not preview.errors and not preview.flags
    assert not Enterprise.objects.filter(uscc=c).exists()
    assert EnterpriseYear.objects.get(enterprise__uscc=b, year=2024).employees == 120
    assert (ImportBatch.objects.count(), AuditEvent.objects.count()) == (batches, events)


def test_preview_of_the_same_file_again_says_nothing_changes():
    record = profile(make_uscc(), titles=[{"kind": "high_tech_enterprise", "valid_from": "2023-12-01"}])
    import_file(json_bytes([record]), "a.json")
    preview = preview_file(json_bytes([record]), "a.json", actor=None)
    assert (preview.created, preview.changed, preview.unchanged) == (0, 0, 1)
    assert not preview.writable


def _wan_typed_under_fen(uscc: str) -> bytes:
    # 2024 typed in 万元 into a 分 column: 500 instead of 500,000,000
    return xlsx_bytes(
        [
            ["uscc", "name", "district", "industry_code", "year", "operating_revenue_fen", "employees"],
            [uscc, "甲公司", "330106", "C3976", 2023, 480_000_000, 110],
            [uscc, "甲公司", "330106", "C3976", 2024, 500, 120],
        ]
    )


def test_a_likely_unit_slip_holds_the_whole_file_until_confirmed():
    uscc = make_uscc()
    data = _wan_typed_under_fen(uscc)

    held = import_file(data, "slip.xlsx")
    assert held.status == ImportBatch.Status.HELD and held.held
    assert not Enterprise.objects.filter(uscc=uscc).exists()
    assert {f.row for f in held.flags} == {2, 3}
    assert any("疑似金额单位" in m for m in held.flag_messages())
    batch = ImportBatch.objects.get(pk=held.batch_id)
    assert batch.status == ImportBatch.Status.HELD and len(batch.flags) == len(held.flags)

    preview = preview_file(data, "slip.xlsx", actor=None)
    assert preview.flags and preview.created == 1

    done = import_file(data, "slip.xlsx", confirm=True)
    assert done.status == ImportBatch.Status.APPLIED
    assert EnterpriseYear.objects.get(enterprise__uscc=uscc, year=2024).operating_revenue_fen == 500
    assert ImportBatch.objects.get(pk=done.batch_id).confirmed_flags


def test_cli_dry_run_writes_nothing_and_held_import_exits_3(cli_runner, tmp_path):
    uscc = make_uscc()
    path = tmp_path / "slip.xlsx"
    path.write_bytes(_wan_typed_under_fen(uscc))
    dry = cli_runner("import", str(path), "--dry-run")
    assert dry.exit_code == 3, dry.output
    assert "新增 1" in dry.output and "疑似单位错误 3" in dry.output and "营业收入（分） 500" in dry.output
    held = cli_runner("import", str(path))
    assert held.exit_code == 3 and not Enterprise.objects.filter(uscc=uscc).exists()
    confirmed = cli_runner("import", str(path), "--confirm")
    assert confirmed.exit_code == 0, confirmed.output
    assert Enterprise.objects.filter(uscc=uscc).exists()


def test_cli_dry_run_lists_the_field_diff(cli_runner, tmp_path):
    uscc = make_uscc()
    import_file(json_bytes([profile(uscc)]), "a.json")
    changed = profile(uscc, name="杭州测试科技股份有限公司")
    path = tmp_path / "b.json"
    path.write_bytes(json_bytes([changed]))
    out = cli_runner("import", str(path), "--dry-run")
    assert out.exit_code == 0, out.output
    assert "变更 1" in out.output and "杭州测试科技有限公司 → 杭州测试科技股份有限公司" in out.output
    assert Enterprise.objects.get(uscc=uscc).name == "杭州测试科技有限公司"
