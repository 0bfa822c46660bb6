"""Parameter sets: export the approved changes as YAML, import them elsewhere as proposals, the same YAML again.

Also the command line of parameter governance (propose, approve, reject, withdraw, changes) and ``srdi policy show
--on`` with the value in force and the history.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srdi.cli import commands_parameters  # noqa: F401 - registers the commands
from srdi.cli.main import cli
from srdi.db.models import ParameterChange
from srdi.domain.reference import use_lpr_releases
from srdi.domain.rules.parameters import load_parameters
from srdi.services import lpr
from srdi.services.parameter_history import parameter_history, value_in_force
from srdi.services.parameter_sets import (
    ParameterSetError,
    export_parameter_set,
    import_parameter_set,
    read_parameter_set,
)
from srdi.services.parameters import ParameterChangeError, decide, propose


@pytest.fixture(autouse=True)
def _forget_approved_releases():
    yield
    use_lpr_releases(())


def _propose(user, pid: str, value: str, start: date, end: date | None = None, **extra):
    return propose(
        user,
        pid=pid,
        value=value,
        as_text=True,
        effective_from=start,
        effective_to=end,
        document=extra.pop("document", "杭经信〔2026〕1号"),
        article=extra.pop("article", "第二条"),
        reason=extra.pop("reason", "按新标准执行"),
        **extra,
    )


def _approve_all(admin) -> None:
    for change in ParameterChange.objects.filter(status="proposed").order_by("id"):
        decide(change.pk, admin, approve=True)


def _a_parameter_set(staff, admin) -> None:
    """Approved: a fen amount cut in the middle by a later one-month change, a ratio for half a year, a list, an
    LPR release; rejected: a ratio (not exported)."""
    _propose(staff, "hz81.7.scene_amount", "40万", date(2026, 1, 1))
    _propose(staff, "hz81.9.rate.key", "15%", date(2025, 1, 1), date(2025, 6, 30), article="")
    _propose(staff, "hz81.9.key_industries", "new_energy, biomedicine", date(2025, 7, 1))
    _propose(staff, "hz81.7.scene_amount", "45万", date(2026, 3, 1), date(2026, 3, 31), reason="三月专项")
    _propose(staff, lpr.LPR_PID, "3.50%", date(2025, 12, 22), document="全国银行间同业拆借中心公告")
    _approve_all(admin)
    rejected = _propose(staff, "hz81.9.rate.other", "0.05", date(2025, 1, 1))
    decide(rejected.pk, admin, approve=False, reason="依据不足")


@pytest.mark.django_db
def test_export_import_approve_export_gives_the_same_yaml(role_users):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    _a_parameter_set(staff, admin)
    first = export_parameter_set()
    data = yaml.safe_load(first)["parameters"]
    assert list(data) == ["hz81.7.scene_amount", "hz81.9.key_industries", "hz81.9.rate.key", lpr.LPR_PID]
    scene = data["hz81.7.scene_amount"]
    assert (scene["unit"], scene["reference"]) == ("fen", "81号 第7条")
    pv = {c.parameter + str(c.effective_from): c.version for c in ParameterChange.objects.all()}
    assert [(v["from"], v.get("to"), v["value"], v["change"]["version"]) for v in scene["values"]] == [
        (date(2026, 1, 1), date(2026, 2, 28), 40_000_000, pv["hz81.7.scene_amount2026-01-01"]),
        (date(2026, 3, 1), date(2026, 3, 31), 45_000_000, pv["hz81.7.scene_amount2026-03-01"]),
        (date(2026, 4, 1), None, 40_000_000, pv["hz81.7.scene_amount2026-01-01"]),
    ]
    assert scene["values"][1]["change"] == {
        "version": pv["hz81.7.scene_amount2026-03-01"],
        "document": "杭经信〔2026〕1号",
        "article": "第二条",
        "reason": "三月专项",
    }
    assert data["hz81.9.rate.key"]["values"][0]["value"] == "0.15"
    assert "hz81.9.rate.other" not in data  # rejected
    # Without the ``change`` keys the file is a baseline parameters file the strict loader reads.
    plain = {
        pid: {**spec, "values": [{k: v for k, v in p.items() if k != "change"} for p in spec["values"]]}
        for pid, spec in data.items()
    }
    assert set(load_parameters("export", plain)) == set(data)

    ParameterChange.objects.all().delete()  # another installation: nothing approved yet
    result = import_parameter_set(first, staff)
    assert len(result.proposed) == 6 and not result.already_approved and not result.already_proposed
    assert all(c.status == "proposed" and c.proposed_by == staff for c in result.proposed)
    assert export_parameter_set() == "".join(first.partition("parameters:")[:2]) + " {}\n"
    _approve_all(admin)
    assert export_parameter_set() == first

    again = import_parameter_set(first, staff)  # everything is in force already
    assert not again.proposed and len(again.already_approved) == 6


@pytest.mark.django_db
def test_a_pending_proposal_is_not_proposed_twice(role_users):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    _propose(staff, "hz81.7.scene_amount", "40万", date(2026, 1, 1))
    _approve_all(admin)
    text = export_parameter_set()
    ParameterChange.objects.all().delete()
    assert len(import_parameter_set(text, staff).proposed) == 1
    second = import_parameter_set(text, staff)
    assert not second.proposed and [p.pid for p in second.already_proposed] == ["hz81.7.scene_amount"]


GOOD = """
parameters:
  hz81.7.scene_amount:
    label: 场景奖励
    unit: fen
    reference: 81号 第7条
    values:
      - {from: 2026-01-01, value: 40000000, change: {version: PV7, document: 杭经信〔2026〕1号, reason: 新标准}}
"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("hz81.7.scene_amount:", "hz81.7.scene_amountx:"), "hz81.7.scene_amountx：未知参数编号"),
        (GOOD.replace("unit: fen", "unit: ratio"), "hz81.7.scene_amount.unit：本系统中该参数的单位为 fen"),
        (
            GOOD.replace("document: 杭经信〔2026〕1号, ", ""),
            "hz81.7.scene_amount.values[0].change.document：缺少",
        ),
        (GOOD.replace(", change: {", ", x: 1, change: {"), "hz81.7.scene_amount.values[0].x：未知键"),
        (GOOD.replace("value: 40000000", "value: -5"), "hz81.7.scene_amount.values[0].value"),
        (
            GOOD + "      - {from: 2026-06-01, value: 1, change: {document: 文, reason: 理由}}\n",
            "hz81.7.scene_amount.values：生效期间重叠",
        ),
        ("parameters: [1]", "文件应只有一个键 parameters"),
        ("parameters: {a: [", "不是有效的 YAML"),
    ],
)
def test_a_bad_file_names_the_parameter_and_key_and_stores_nothing(role_users, broken, message):
    # A good parameter next to the broken one is not proposed either: all or nothing.
    text = broken + (
        "  hz81.12.brand_list_amount:\n    label: 品牌\n    unit: fen\n    reference: 81号 第12条\n"
        "    values: [{from: 2026-01-01, value: 1, change: {document: 文, reason: 理由}}]\n"
        if broken.startswith("\nparameters:")
        else ""
    )
    with pytest.raises(ParameterSetError) as refused:
        import_parameter_set(text, role_users["city_staff"])
    assert message in str(refused.value)
    assert not ParameterChange.objects.exists()


def test_the_reader_keeps_each_periods_source():
    (period,) = read_parameter_set(GOOD)
    assert (period.pid, period.start, period.end, period.value) == (
        "hz81.7.scene_amount",
        date(2026, 1, 1),
        None,
        40_000_000,
    )
    assert (period.version, period.document, period.article, period.reason) == (
        "PV7",
        "杭经信〔2026〕1号",
        "",
        "新标准",
    )


@pytest.mark.django_db
def test_importing_needs_the_right_to_propose(role_users):
    with pytest.raises(ParameterChangeError, match="由市经信局工作人员提出"):
        import_parameter_set(GOOD, role_users["auditor"])


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.django_db
def test_the_command_line_proposes_decides_lists_and_moves_sets(role_users, tmp_path):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    args = ["--document", "杭经信〔2026〕1号", "--reason", "新标准", "--user", staff.username]
    made = _cli("policy", "propose", "hz81.7.scene_amount", "40万", "--from", "2026-01-01", *args)
    assert made.exit_code == 0, made.output
    change = ParameterChange.objects.get()
    assert change.value == 40_000_000 and f"{change.version}（#{change.pk}）已提出" in made.output

    bad = _cli("policy", "propose", "hz81.7.scene_amount", "abc", "--from", "2026-01-01", *args)
    assert bad.exit_code != 0 and "hz81.7.scene_amount" in bad.output
    unknown = _cli("policy", "approve", "999", "--user", admin.username)
    assert unknown.exit_code != 0 and "参数调整不存在" in unknown.output
    nobody = _cli("policy", "approve", str(change.pk), "--user", "nobody")
    assert nobody.exit_code != 0 and "用户 nobody 不存在" in nobody.output
    no_reason = _cli("policy", "reject", str(change.pk), "--user", admin.username, "--reason", " ")
    assert no_reason.exit_code != 0 and "请填写审批意见" in no_reason.output
    assert _cli("policy", "approve", str(change.pk), "--as", admin.username).exit_code == 0

    other = _cli("policy", "propose", "hz81.9.rate.key", "15%", "--from", "2025-01-01", *args)
    pending = ParameterChange.objects.get(parameter="hz81.9.rate.key")
    not_theirs = _cli("policy", "withdraw", str(pending.pk), "--user", admin.username)
    assert other.exit_code == 0 and not_theirs.exit_code != 0 and "只有提出人可以撤回" in not_theirs.output
    assert _cli("policy", "withdraw", str(pending.pk), "--user", staff.username).exit_code == 0

    listed = json.loads(_cli("policy", "changes", "--json").output)
    assert [(r["parameter"], r["status"], r["decided_by"]) for r in listed] == [
        ("hz81.7.scene_amount", "approved", admin.username),
        ("hz81.9.rate.key", "withdrawn", None),
    ]
    only = json.loads(_cli("policy", "changes", "--status", "withdrawn", "--json").output)
    assert [r["id"] for r in only] == [pending.pk]
    text = _cli("policy", "changes").output
    assert f"#{change.pk} {change.version} [已批准] hz81.7.scene_amount = 40000000  2026-01-01 起" in text

    exported = tmp_path / "set.yaml"
    assert _cli("policy", "export-params", str(exported)).exit_code == 0
    assert exported.read_text(encoding="utf-8") == export_parameter_set()
    ParameterChange.objects.all().delete()
    imported = _cli("policy", "import-params", str(exported), "--user", staff.username)
    assert imported.exit_code == 0, imported.output
    assert "共提出 1 项，待审批" in imported.output
    assert ParameterChange.objects.get().source_version == change.version
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("unit: fen", "unit: count"), encoding="utf-8")
    refused = _cli("policy", "import-params", str(broken), "--user", staff.username)
    assert refused.exit_code != 0 and "hz81.7.scene_amount.unit" in refused.output


@pytest.mark.django_db
def test_policy_show_gives_the_value_on_a_date_and_the_history(role_users):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    approved = _propose(staff, "hz81.7.scene_amount", "40万", date(2026, 1, 1))
    decide(approved.pk, admin, approve=True, reason="同意")
    rejected = _propose(staff, "hz81.7.scene_amount", "60万", date(2026, 6, 1))
    decide(rejected.pk, admin, approve=False, reason="超出预算")
    pending = _propose(staff, "hz81.7.scene_amount", "45万", date(2027, 1, 1))

    assert value_in_force("hz81.7.scene_amount", date(2025, 12, 31)).value == 50_000_000
    on = value_in_force("hz81.7.scene_amount", date(2026, 7, 1))
    assert (on.value, on.version) == (40_000_000, approved.version)
    history = parameter_history("hz81.7.scene_amount")
    assert [r.value for r in history.baseline] == [50_000_000]
    assert [(r.version, r.status, r.decided_by) for r in history.changes] == [
        (approved.version, "approved", admin.username),
        (rejected.version, "rejected", admin.username),
        (pending.version, "proposed", ""),
    ]

    before = _cli("policy", "show", "7", "--on", "2025-12-31")
    after = _cli("policy", "show", "7", "--on", "2026-07-01")
    assert before.exit_code == 0 and after.exit_code == 0, after.output
    assert (  # the baseline period as it stands, up to the day before the approved change
        "参数 hz81.7.scene_amount = 50000000 分（50万元）  [81号 第7条；2024-01-27 起至 2025-12-31；基线]"
        in before.output
    )
    assert (
        f"参数 hz81.7.scene_amount = 40000000 分（40万元）  [81号 第7条；2026-01-01 起；{approved.version}"
        in after.output
    )
    for change, label in ((approved, "已批准"), (rejected, "未批准"), (pending, "待审批")):
        assert f"{change.version} [{label}]" in after.output
    assert "超出预算" in after.output and f"{admin.username}" in after.output
    assert "基线   2024-01-27 起  50000000 分（50万元）" in after.output
    bad = _cli("policy", "show", "7", "--on", "tomorrow")
    assert bad.exit_code != 0 and "日期格式应为 YYYY-MM-DD" in bad.output


change_specs = st.lists(
    st.tuples(
        st.integers(0, 90),  # start: days after 2026-01-01
        st.one_of(st.none(), st.integers(0, 40)),  # length in days (None: open-ended)
        st.sampled_from([10_000_000, 20_000_000, 30_000_000]),
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=change_specs)
def test_any_approved_changes_survive_the_round_trip_day_by_day(role_users, specs):
    """Whatever approved changes overlap how, the export moves exactly the values in force on every day, and the
    export of the receiving installation is the same text."""
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    ParameterChange.objects.all().delete()
    first_day = date(2026, 1, 1)
    for start, length, fen in specs:
        begin = first_day + timedelta(days=start)
        end = None if length is None else begin + timedelta(days=length)
        change = propose(
            staff,
            pid="hz81.7.scene_amount",
            value=fen,
            effective_from=begin,
            effective_to=end,
            document="杭经信〔2026〕1号",
            reason="测试",
        )
        decide(change.pk, admin, approve=True)
    days = [first_day + timedelta(days=n) for n in range(-1, 140, 3)]
    before = [(value_in_force("hz81.7.scene_amount", d).value) for d in days]
    text = export_parameter_set()
    ParameterChange.objects.all().delete()
    imported = import_parameter_set(text, staff)
    assert not imported.already_approved
    _approve_all(admin)
    assert export_parameter_set() == text
    assert [(value_in_force("hz81.7.scene_amount", d).value) for d in days] == before


@pytest.mark.django_db
def test_a_back_dated_lpr_release_approved_later_does_not_hide_a_later_release(role_users):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    later = _propose(staff, lpr.LPR_PID, "3.00%", date(2025, 9, 22), document="公告二")
    decide(later.pk, admin, approve=True)
    earlier = _propose(staff, lpr.LPR_PID, "3.10%", date(2025, 6, 20), document="公告一")  # back-dated
    decide(earlier.pk, admin, approve=True)
    periods = yaml.safe_load(export_parameter_set())["parameters"][lpr.LPR_PID]["values"]
    assert [(str(p["from"]), str(p.get("to")), p["value"]) for p in periods] == [
        ("2025-06-20", "2025-09-21", "0.031"),
        ("2025-09-22", "None", "0.03"),
    ]
    assert [r.released_on for r in lpr.approved_releases()] == [date(2025, 6, 20), date(2025, 9, 22)]
