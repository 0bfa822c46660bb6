"""Creating and updating enterprises through the API: exact decimals, strict fields, Chinese field errors,
409 on duplicates, merge semantics and idempotence (the same PUT twice writes nothing the second time).
"""

from __future__ import annotations

import json

import pytest
from tests.integration.api.helpers import API, OWN, new_uscc, post_json, profile_data, put_json

from srdi.db.models import AuditAction, AuditEvent, Enterprise, EnterpriseYear
from srdi.services import audit

pytestmark = pytest.mark.django_db

LIST = f"{API}/enterprises"


def events_of(ent: Enterprise) -> int:
    return AuditEvent.objects.filter(object_type="enterprise", object_id=str(ent.pk)).count()


def test_create_returns_the_stored_profile_with_exact_decimals(world, bearer):
    client = bearer(world.users["city_staff"])
    data = profile_data()
    # a JSON number is read as an exact decimal, never through float (0.1 + 0.2 style noise)
    raw = json.dumps(data).replace('"niche_market_share": "0.12"', '"niche_market_share": 0.123456789')
    response = client.post(LIST, data=raw, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uscc"] == data["uscc"]
    assert body["main_product"]["niche_market_share"] == "0.123456789"
    assert body["financials"]["2024"]["operating_revenue_fen"] == 500_000_000
    assert "contact" not in body
    ent = Enterprise.objects.get(uscc=data["uscc"])
    assert ent.recorded_by == world.users["city_staff"]
    created = AuditEvent.objects.get(object_type="enterprise", object_id=str(ent.pk))
    assert created.action == AuditAction.CREATE
    assert created.actor == world.users["city_staff"]
    # what was created reads back identically
    assert client.get(f"{LIST}/{data['uscc']}").json() == body


def test_ratio_the_database_would_round_is_refused(world, bearer):
    client = bearer(world.users["city_staff"])
    data = profile_data()
    raw = json.dumps(data).replace(
        '"niche_market_share": "0.12"', '"niche_market_share": 0.1234567890123456789'
    )
    response = client.post(LIST, data=raw, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "main_product.niche_market_share"
    assert error["value"] == "0.1234567890123456789"
    assert "9 位小数" in error["reason"]
    trailing_zeros = json.dumps(data).replace('"0.12"', "0.120000000000000")
    assert client.post(LIST, data=trailing_zeros, content_type="application/json").status_code == 201


def test_texts_longer_than_their_column_are_refused_not_truncated(world, bearer):
    client = bearer(world.users["city_staff"])
    data = profile_data(name="长" * 201)
    data["certifications"] = [{"tier": "srdi_sme", "batch": "批" * 101}]
    data["events"] = [{"kind": "loan", "loan_id": "L" * 101}]
    response = post_json(client, LIST, data)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"name", "certifications[0].batch", "events[0].loan_id"}
    assert "最多 200 个字符" in errors["name"]["reason"]
    assert len(errors["name"]["value"]) < 60
    assert Enterprise.objects.count() == 6


def test_create_existing_uscc_is_409(world, bearer):
    client = bearer(world.users["city_admin"])
    existing = world.own[0]
    response = post_json(client, LIST, profile_data(uscc=existing.uscc, name="重复登记"))
    assert response.status_code == 409
    assert "已登记" in response.json()["detail"]
    assert Enterprise.objects.get(pk=existing.pk).name == existing.name


def test_lowercase_uscc_is_normalised_and_still_conflicts(world, bearer):
    client = bearer(world.users["city_admin"])
    response = post_json(client, LIST, profile_data(uscc=world.own[0].uscc.lower()))
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"bogus_field": 1}, "bogus_field", "未知字段"),
        ({"district": "999999"}, "district", "行政区划代码"),
        ({"industry_code": "3976"}, "industry_code", "行业代码"),
        ({"digital_level": 7}, "digital_level", "不能大于 4"),
        ({"ecosystem": "tea"}, "ecosystem", "取值不在允许范围内"),
        ({"founded_on": "2012/05/01"}, "founded_on", "YYYY-MM-DD"),
        ({"registered_in_zhejiang": "也许"}, "registered_in_zhejiang", "true 或 false"),
        ({"uscc": "91330106MA2XXXXXXX"}, "uscc", "GB 32100"),
        ({"financials": {"2024": {"rd_expense_fen": 12.5}}}, "financials.2024.rd_expense_fen", "整数"),
        ({"financials": {"2024": {"employees": "abc"}}}, "financials.2024.employees", "应为整数"),
        ({"financials": {"2024": {"oops": 1}}}, "financials.2024.oops", "未知字段"),
        ({"main_product": {"niche_market_share": 1.5}}, "main_product.niche_market_share", "0–1"),
        ({"titles": [{"kind": "nobel"}]}, "titles[0].kind", "取值不在允许范围内"),
    ],
)
def test_invalid_create_names_the_field_in_chinese(world, bearer, change, field, words):
    client = bearer(world.users["city_staff"])
    data = {**profile_data(), **change}
    response = post_json(client, LIST, data)
    assert response.status_code == 422, response.content
    body = response.json()
    problems = {e["field"]: e for e in body["errors"]}
    assert field in problems, body
    assert words in problems[field]["reason"]
    assert problems[field]["message"].startswith(f"字段 {field}")
    assert "企业资料不符合交换格式 v1" in body["detail"]
    assert "Decimal(" not in response.content.decode()
    assert Enterprise.objects.count() == 6


def test_every_problem_is_reported_at_once(world, bearer):
    data = profile_data(district="999999", digital_level=9, bogus=True)
    response = post_json(bearer(world.users["city_staff"]), LIST, data)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"district", "digital_level", "bogus"}


@pytest.mark.parametrize(
    "body",
    ["", "{not json", '{"uscc": "a", "uscc": "b"}', '{"uscc": NaN}', b"\xff\xfe"],
)
def test_unreadable_body_is_400(world, bearer, body):
    response = bearer(world.users["city_staff"]).post(LIST, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "请求体" in response.json()["detail"]


def test_body_that_is_not_an_object_is_422(world, bearer):
    response = bearer(world.users["city_staff"]).post(LIST, data="[]", content_type="application/json")
    assert response.status_code == 422
    assert "JSON 对象" in response.json()["errors"][0]["reason"]


def test_put_merges_stated_fields_and_keeps_the_rest(world, bearer):
    client = bearer(world.users["district"])
    ent = world.own[1]
    before = client.get(f"{LIST}/{ent.uscc}").json()
    response = put_json(
        client,
        f"{LIST}/{ent.uscc}",
        {
            "uscc": ent.uscc,
            "name": "杭州西湖乙新材料股份有限公司",
            "financials": {"2024": {"rd_expense_fen": 30_000_000}},
        },
    )
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["name"] == "杭州西湖乙新材料股份有限公司"
    assert after["financials"]["2024"]["rd_expense_fen"] == 30_000_000
    assert after["financials"]["2024"]["employees"] == before["financials"]["2024"]["employees"]
    assert after["financials"]["2023"] == before["financials"]["2023"]
    assert after["ecosystem"] == before["ecosystem"]
    event = AuditEvent.objects.filter(object_type="enterprise", object_id=str(ent.pk)).last()
    assert event.action == AuditAction.UPDATE
    assert event.actor == world.users["district"]
    assert event.old["name"] == before["name"]


def test_same_put_twice_changes_nothing_the_second_time(world, bearer):
    client = bearer(world.users["city_staff"])
    ent = world.own[2]
    body = profile_data(uscc=ent.uscc, name="杭州西湖丙医药有限公司（更新）", digital_level=3)
    body["titles"] = [{"kind": "high_tech_enterprise", "valid_from": "2023-12-01", "valid_to": "2026-11-30"}]
    body["main_product"]["niche_market_share"] = "0.120"
    first = put_json(client, f"{LIST}/{ent.uscc}", body)
    assert first.status_code == 200, first.content
    count = events_of(ent)
    years = list(EnterpriseYear.objects.filter(enterprise=ent).values())
    second = put_json(client, f"{LIST}/{ent.uscc}", body)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert events_of(ent) == count
    assert list(EnterpriseYear.objects.filter(enterprise=ent).values()) == years
    assert audit.verify_chain().ok


def test_put_body_uscc_must_match_the_path(world, bearer):
    client = bearer(world.users["city_staff"])
    ent = world.own[0]
    other = new_uscc(OWN)
    response = put_json(client, f"{LIST}/{ent.uscc}", {"uscc": other, "name": "张冠李戴"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "uscc"
    assert "不一致" in error["reason"]
    assert Enterprise.objects.get(pk=ent.pk).name == ent.name


def test_put_validation_errors_and_unknown_fields(world, bearer):
    client = bearer(world.users["city_staff"])
    ent = world.own[0]
    response = put_json(
        client, f"{LIST}/{ent.uscc}", {"uscc": ent.uscc, "zj_featured_points": 99, "extra": "x"}
    )
    assert response.status_code == 422
    fields = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert fields["zj_featured_points"] == "不能大于 15"
    assert "未知字段" in fields["extra"]
    missing = put_json(client, f"{LIST}/{ent.uscc}", {"name": "无代码"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0] == {
        "field": "uscc",
        "value": None,
        "reason": "缺少必填字段",
        "message": "字段 uscc：缺少必填字段",
    }


def test_put_on_unknown_uscc_is_404_not_a_create(world, bearer):
    client = bearer(world.users["city_admin"])
    uscc = new_uscc(OWN)
    response = put_json(client, f"{LIST}/{uscc}", profile_data(uscc=uscc))
    assert response.status_code == 404
    assert not Enterprise.objects.filter(uscc=uscc).exists()
