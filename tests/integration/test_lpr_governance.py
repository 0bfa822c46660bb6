"""A new LPR release is a proposal a second person approves; only an approved release moves a 第17条 result."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import make_uscc

from srdi.cli import commands_parameters  # noqa: F401 - registers srdi policy approve, srdi lpr propose
from srdi.cli.main import cli
from srdi.db.models import ParameterChange
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.layering import versions_used
from srdi.domain.reference import lpr_on, use_lpr_releases
from srdi.services import lpr
from srdi.services.parameters import ParameterChangeError, decide, packs_in_force, propose

SRDI = [{"tier": "srdi_sme", "recognized_on": "2023-01-15", "expires_on": "2026-01-14"}]


@pytest.fixture(autouse=True)
def _forget_approved_releases():
    """The approved releases are laid over the table of this process: drop them when the test's rows go."""
    yield
    use_lpr_releases(())


def _loan(lid: str, day: str) -> dict[str, Any]:
    return {
        "kind": "loan",
        "loan_id": lid,
        "contract_date": day,
        "principal_fen": 1_000_000_000,
        "annual_rate": "0.029",
        "term_months": 12,
        "interest_paid_fen": 1_000_000_000,
        "guarantee_fee_rate": "0.004",
    }


def _loans() -> dict[str, dict[str, Any]]:
    """Two loans at 2.9% with the 第17条 ratio set to 10%: before and after the 2025-12-22 release."""
    document = {
        "parameters": {"hz81.17.rate_discount_min": "0.10"},
        "enterprises": [
            {
                "uscc": make_uscc("330106"),
                "district": "330106",
                "certifications": SRDI,
                "events": [_loan("BEFORE", "2025-12-10"), _loan("AFTER", "2025-12-25")],
            }
        ],
    }
    records = run_entitle(document, packs=packs_in_force())["results"][0]["entitlements"]
    return {r["event"]: r for r in records}


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.django_db
def test_an_approved_release_changes_a_loan_subsidy_after_it_and_a_proposed_one_does_not(
    role_users, django_capture_on_commit_callbacks
):
    staff, admin = role_users["city_staff"], role_users["city_admin"]
    # The shipped table: 3.00% from 2025-12-22 → the limit is 2.70%, and a 2.9% loan does not qualify.
    assert {k: r["status"] for k, r in _loans().items()} == {
        "BEFORE": "not_eligible",
        "AFTER": "not_eligible",
    }

    proposed = _run(
        "lpr", "propose", "2025-12-22", "3.50", "--document", "全国银行间同业拆借中心公告（更正）",
        "--user", staff.username,
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    change = ParameterChange.objects.get(parameter=lpr.LPR_PID)
    assert (change.value, change.effective_from, change.moves_money) == ("0.035", date(2025, 12, 22), True)
    assert {k: r["status"] for k, r in _loans().items()} == {
        "BEFORE": "not_eligible",
        "AFTER": "not_eligible",
    }

    own = _run("policy", "approve", str(change.pk), "--user", staff.username)
    assert own.exit_code != 0 and "提出人不能审批自己提出的参数调整" in own.output

    with django_capture_on_commit_callbacks(execute=True):
        approved = _run("policy", "approve", str(change.pk), "--user", admin.username)
    assert approved.exit_code == 0, approved.output
    assert lpr_on(date(2025, 12, 25)).one_year_percent == Decimal("3.50")  # in this process at once
    records = _loans()
    assert records["BEFORE"]["status"] == "not_eligible"  # contract before the release: 3.00% still
    assert records["AFTER"]["status"] == "granted" and records["AFTER"]["amount_fen"] == 10_000_000
    cited = next(b for b in records["AFTER"]["basis"] if b.get("id") == "below_lpr")["lpr"]
    assert cited == {"released_on": "2025-12-22", "one_year_percent": "3.50", "version": change.version}
    assert change.version in versions_used(records["AFTER"]["basis"])
    assert "version" not in next(b for b in records["BEFORE"]["basis"] if b.get("id") == "below_lpr")["lpr"]

    shown = _run("lpr", "show")
    assert f"2025-12-22  3.50%  （{change.version}）" in shown.output
    assert "2025-11-20  3.00%" in shown.output


@pytest.mark.django_db
def test_lpr_set_no_longer_writes_the_table_and_points_to_propose(tmp_path, monkeypatch):
    monkeypatch.setenv("SRDI_VAR_DIR", str(tmp_path))
    result = _run("lpr", "set", "2026-01-20", "3.00")
    assert result.exit_code != 0
    assert "srdi lpr propose" in result.output
    assert not (tmp_path / "lpr_1y.csv").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("percent", "to", "message"),
    [
        ("25", None, "LPR 应大于 0 且小于 20%"),
        ("3.005", None, "LPR 最多保留两位小数"),
        ("3.00", date(2026, 3, 1), "不设失效日期"),
        ("abc", None, "比例应为小数或百分数"),
    ],
)
def test_a_release_that_cannot_be_one_is_refused(role_users, percent, to, message):
    with pytest.raises(ParameterChangeError, match=message):
        propose(
            role_users["city_staff"],
            pid=lpr.LPR_PID,
            value=lpr.as_ratio(percent),
            as_text=True,
            effective_from=date(2026, 1, 20),
            effective_to=to,
            document="公告",
            reason="新一期",
        )
    assert not ParameterChange.objects.exists()


@pytest.mark.django_db
def test_a_release_needs_an_administrator_not_just_another_staff_member(role_users):
    from srdi.services.accounts import create_user

    other_staff = create_user(username="staff2", password="x", check_password=False, role="city_staff")
    change = propose(
        role_users["city_admin"],
        pid=lpr.LPR_PID,
        value="3.20%",
        as_text=True,
        effective_from=date(2026, 1, 20),
        document="公告",
        reason="新一期",
    )
    with pytest.raises(ParameterChangeError, match="由市经信局管理员审批"):
        decide(change.pk, other_staff, approve=True)
