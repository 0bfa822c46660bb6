"""``srdi policy check`` and the 政策包体检 page show the same findings (one function); a programme of a pack that
matters blocks until its money parameter is set through the maker–checker service; ``srdi policy diff`` and the
政策对比 page."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from click.testing import CliRunner

from srdi.cli import commands_policy_check  # noqa: F401 - registers srdi policy check / diff
from srdi.cli.main import cli
from srdi.db.models import Programme
from srdi.services import parameters

ON = "2026-06-01"  # 81号 has expired; 若干措施 is adopted, its window not yet set


def _programme(code: str, pack: str, article: int, status: str = Programme.Status.OPEN) -> Programme:
    return Programme.objects.create(
        code=code,
        name=f"测试批次 {code}",
        pack=pack,
        article=article,
        year=2026,
        status=status,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
    )


def _check(*args: str):
    return CliRunner().invoke(cli, ["policy", "check", "--on", ON, *args])


def _page_blocking(client) -> set[str]:
    response = client.get("/policy/hygiene/", {"on": ON})
    assert response.status_code == 200
    return set(re.findall(r'data-blocking-param="([^"]+)"', response.content.decode()))


def _approve(seed, pid: str, value: str) -> None:
    change = parameters.propose(
        seed.users["city_staff"],
        pid=pid,
        value=value,
        effective_from=date(2025, 12, 28),
        document="杭政办函〔2025〕测试号",
        article="附则",
        reason="施行日期与有效期已公布",
    )
    parameters.decide(change.pk, seed.users["city_admin"], approve=True)


@pytest.mark.django_db
def test_check_fails_on_a_blocked_programme_and_passes_once_the_window_is_approved(seed, login_as):
    assert _check().exit_code == 0  # no programme: nothing blocks
    _programme("HZ25-1", "hz25", 1)
    _programme("OLD-6", "hz81", 6)  # 81号 has expired: its unset ratio blocks nothing
    _programme("DONE-2", "hz25", 2, Programme.Status.CLOSED)  # a closed programme blocks nothing

    result = _check("--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    blocking = {
        f["parameter"]: f["programmes"]
        for s in data["sources"]
        for f in s["findings"]
        if f["severity"] == "blocking"
    }
    assert blocking == {"hz25.window.from": ["HZ25-1"], "hz25.window.to": ["HZ25-1"]}
    assert data["ok"] is False and data["counts"]["blocking"] == 2
    text = _check()
    assert text.exit_code == 1
    assert "[阻断] 参数未设定：hz25.window.from" in text.output
    assert "结论：有 2 项阻断问题" in text.output

    client = login_as("city_staff")
    assert _page_blocking(client) == set(blocking)  # the page shows the same blocking findings
    page = client.get("/policy/hygiene/", {"on": ON}).content.decode()
    assert "/policy/parameters/propose/?parameter=hz25.window.from" in page  # set it from here
    assert "/policy/parameters/history/hz25.window.from/" in page

    _approve(seed, "hz25.window.from", "2026-01-28")
    still = json.loads(_check("--json").output)
    assert [
        f["parameter"] for s in still["sources"] for f in s["findings"] if f["severity"] == "blocking"
    ] == ["hz25.window.to"]
    _approve(seed, "hz25.window.to", "2028-12-31")
    result = _check("--json")
    assert result.exit_code == 0, result.output
    hz25 = next(s for s in json.loads(result.output)["sources"] if s["id"] == "hz25")
    assert hz25["status"] == "in_force" and hz25["window"] == {"from": "2026-01-28", "to": "2028-12-31"}
    assert _page_blocking(client) == set()
    assert "data-hygiene-ok" in client.get("/policy/hygiene/", {"on": ON}).content.decode()


@pytest.mark.django_db
def test_a_programme_of_the_growth_measure_also_needs_the_first_tranche_share(seed, login_as):
    _programme("HZ25-2", "hz25", 2)
    _approve(seed, "hz25.window.from", "2026-01-28")
    _approve(seed, "hz25.window.to", "2028-12-31")
    data = json.loads(_check("--json").output)
    assert [
        f["parameter"] for s in data["sources"] for f in s["findings"] if f["severity"] == "blocking"
    ] == ["hz25.2.first_tranche_share"]
    assert _page_blocking(login_as("city_admin")) == {"hz25.2.first_tranche_share"}


@pytest.mark.django_db
def test_the_page_lists_every_pack_and_rulebook_with_a_date_selector(seed, login_as):
    client = login_as("city_staff")
    page = client.get("/policy/hygiene/").content.decode()
    assert (
        'data-hygiene-source="hz81"' in page and 'data-hygiene-source="zhejiang.hidden_champion_2026"' in page
    )
    assert 'href="/policy/hygiene/"' in page  # the menu entry 政策包体检
    assert "政策包体检" in page
    in_force = client.get("/policy/hygiene/", {"on": "2025-06-01"}).content.decode()
    hz81 = in_force.split('data-hygiene-source="hz81"')[1].split("</section>")[0]
    assert 'data-status="in_force"' in hz81
    assert 'href="/policy/hz81/gaps/"' in hz81 and 'href="/policy/hz81/6/"' in hz81
    bad = client.get("/policy/hygiene/", {"on": "2025-13-40"})
    assert bad.status_code == 200 and "日期格式应为 YYYY-MM-DD" in bad.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("city_staff", 200),
        ("district_staff", 200),
        ("auditor", 200),
        ("enterprise", 403),
        ("system_admin", 403),
    ],
)
def test_who_may_open_the_hygiene_page(seed, login_as, role, status):
    client = login_as(role)
    assert client.get("/policy/hygiene/").status_code == status
    menu = client.get("/policy/").content.decode()
    assert ('href="/policy/hygiene/"' in menu) is (status == 200)


@pytest.mark.django_db
def test_policy_diff_exit_codes_and_json(seed):
    runner = CliRunner()
    same = runner.invoke(cli, ["policy", "diff", "hz81", "hz81"])
    assert same.exit_code == 0 and "两个政策包的措施、金额、上限和条件相同" in same.output
    differ = runner.invoke(cli, ["policy", "diff", "hz81", "hz25", "--json"])
    assert differ.exit_code == 1
    data = json.loads(differ.output)
    assert set(data) == {
        "a",
        "b",
        "a_on",
        "b_on",
        "identical",
        "b_incomplete",
        "added",
        "removed",
        "changed",
        "unchanged",
    }
    assert [m["measure"] for m in data["added"]] == ["hz25.2"]
    assert len(data["removed"]) == 25
    (pair,) = data["changed"]
    assert (pair["a"], pair["b"], pair["matched_by"]) == ("hz81.3", "hz25.1", "overlap")
    assert pair["events"] == {"added": [], "removed": ["relocation_in"]}
    amounts = {v["role"]: (v["a_text"], v["b_text"], v["changed"]) for v in pair["amounts"]}
    assert amounts["params.little_giant"] == ("100万元", "100万元", False)
    assert not any(v["changed"] for v in pair["amounts"]) and pair["caps"] == []
    assert {c["id"]: c["change"] for c in pair["conditions"]}["relocation_tier"] == "removed"
    text = runner.invoke(cli, ["policy", "diff", "hz81", "hz25"])
    assert text.exit_code == 1
    assert "+ hz25.2 措施（二）" in text.output and "取消触发事件：从市外迁入（relocation_in）" in text.output
    unknown = runner.invoke(cli, ["policy", "diff", "hz81", "nope"])
    assert unknown.exit_code == 2 and "未知政策包 'nope'" in unknown.output


@pytest.mark.django_db
def test_the_compare_page(seed, login_as):
    client = login_as("enterprise")  # open to every signed-in user, like the catalogue
    page = client.get("/policy/compare/", {"a": "hz81", "b": "hz25"}).content.decode()
    assert 'data-added="hz25.2"' in page and 'data-removed="hz81.17"' in page
    pair = page.split('data-pair="hz81.3:hz25.1"')[1].split("</section>")[0]
    assert 'data-condition="relocation_tier" data-change="removed"' in pair
    assert "从市外迁入" in pair  # the event kind no longer rewarded
    assert "金额与上限：无变化" in pair
    assert 'data-value="params.srdi_sme" data-changed="no"' in pair and "20万元" in pair
    same = client.get("/policy/compare/", {"a": "hz25", "b": "hz25"}).content.decode()
    assert "data-compare-identical" in same
    wrong = client.get("/policy/compare/", {"a": "hz81", "b": "x<y"}).content.decode()
    assert "没有政策包 x&lt;y" in wrong
