"""The policy pages and ``srdi policy list`` / ``srdi simulate`` show the values in force: a value the bureau set by
an approved change (with its version and document) instead of the shipped YAML's 未设定, and every run names the
parameter set it used."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from django.urls import reverse

from srdi.cli import commands_policy  # noqa: F401 - registers srdi policy / srdi simulate
from srdi.cli.main import cli
from srdi.services import parameters
from srdi.web import policy_display as pd

pytestmark = pytest.mark.django_db

RATIO = "hz81.6.tech_transaction_ratio"


@pytest.fixture
def ratio_set(seed):
    """81号 第6条's unset ratio set to 5% from 2025-01-01 (proposed by city staff, approved by the admin)."""
    change = parameters.propose(
        seed.users["city_staff"],
        pid=RATIO,
        value="0.05",
        effective_from=date(2025, 1, 1),
        document="杭经信〔2025〕6号",
        article="第二条",
        reason="技术交易奖励比例公布",
        as_text=True,
    )
    return parameters.decide(change.pk, seed.users["city_admin"], approve=True)


def test_before_any_change_the_pages_show_the_yaml(login_as):
    text = login_as("city_staff").get(reverse("web:policy_gaps", args=["hz81"])).content.decode()
    assert f'data-unset-param="{RATIO}"' in text
    assert "无：所有参数均为政策文件（基线）取值" in text


def test_the_gaps_page_no_longer_lists_a_parameter_set_since(login_as, ratio_set):
    text = login_as("city_staff").get(reverse("web:policy_gaps", args=["hz81"])).content.decode()
    assert f'data-unset-param="{RATIO}"' not in text
    assert 'data-unset-param="hz81.4.bands"' in text  # still unset
    row = text[text.index(f'data-changed-param="{RATIO}"') :].split("</tr>", 1)[0]
    assert "5%" in row and ratio_set.version in row and "杭经信〔2025〕6号 第二条" in row
    assert pd.history_url(RATIO) in row


def test_the_measure_page_shows_the_value_with_its_version_document_and_history(login_as, ratio_set):
    response = login_as("enterprise").get(reverse("web:policy_measure", args=["hz81", 6]))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'data-param-version="{ratio_set.version}"' in text and "杭经信〔2025〕6号 第二条" in text
    assert f'href="{pd.history_url(RATIO)}" data-param-history="{RATIO}"' in text
    # the baseline period before the change is still shown as it was: unset until 2024-12-31
    assert "2024-01-27 起至 2024-12-31" in text and "2025-01-01 起" in text
    card = response.context["card"]
    assert card["amount"]["code"] == "set"


def test_the_catalogue_shows_the_amount_as_set(login_as, ratio_set):
    response = login_as("city_staff").get(reverse("web:policy_catalogue"))
    hz81 = next(i for i in response.context["items"] if i["pack"].id == "hz81")
    card = next(c for c in hz81["cards"] if c["m"].article == 6)
    assert card["amount"]["code"] == "set"


def test_history_link_falls_back_to_the_plain_path_without_the_route():
    # (another part of the issue adds ``web:parameter_history``; either way the link is this path)
    assert pd.history_url(RATIO) == f"/policy/parameters/history/{RATIO}/"


def test_policy_list_shows_the_approved_change_and_the_parameter_set(ratio_set):
    out = CliRunner().invoke(cli, ["policy", "list", "--pack", "hz81"])
    assert out.exit_code == 0, out.output
    assert f"参数：基线 + {ratio_set.version}" in out.output
    assert (
        f"参数调整 {ratio_set.version}：{RATIO} = 0.05（5%）（2025-01-01 起；杭经信〔2025〕6号 第二条）"
        in out.output
    )


def test_simulate_names_the_parameter_set_in_text_and_json(ratio_set):
    as_json = CliRunner().invoke(cli, ["simulate", "--year", "2025", "--json"])
    assert as_json.exit_code == 0, as_json.output
    out = json.loads(as_json.output)
    assert out["parameter_set"] == f"基线 + {ratio_set.version}"
    assert out["parameter_versions"] == [ratio_set.version]
    text = CliRunner().invoke(cli, ["simulate", "--year", "2025"])
    assert f"所用参数：基线 + {ratio_set.version}" in text.output


def test_the_simulation_page_names_the_parameter_set(login_as, ratio_set):
    response = login_as("city_staff").get(reverse("web:policy_simulation"), {"year": "2025"})
    assert response.status_code == 200
    assert f"所用参数：基线 + {ratio_set.version}" in response.content.decode()
