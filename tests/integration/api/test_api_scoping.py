"""Every read and write is confined to the caller's scope (ASVS 8.2.2 IDOR; 8.4.1 district = tenant).

Out-of-scope enterprises answer 404 with a body that names nothing; read-only roles get 403 on writes.
"""

from __future__ import annotations

import pytest
from tests.integration.api.helpers import API, FOREIGN, OWN, post_json, profile_data, put_json

from srdi.db.models import AuditAction, AuditEvent, Enterprise

pytestmark = pytest.mark.django_db

LIST = f"{API}/enterprises"


def listed(client, **params) -> tuple[set[str], int]:
    response = client.get(LIST, params)
    assert response.status_code == 200, response.content
    body = response.json()
    return {item["uscc"] for item in body["items"]}, body["total"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("city_admin", "all"),
        ("city_staff", "all"),
        ("auditor", "all"),
        ("district", "own"),
        ("district_b", "foreign"),
        ("enterprise", "first"),
        ("provider", "none"),
    ],
)
def test_list_and_detail_follow_the_scope(world, bearer, role, expected):
    visible = {
        "all": world.all,
        "own": world.own,
        "foreign": world.foreign,
        "first": world.own[:1],
        "none": [],
    }[expected]
    client = bearer(world.users[role])
    usccs, total = listed(client, page_size=200)
    assert usccs == {e.uscc for e in visible}
    assert total == len(visible)
    for ent in world.all:
        response = client.get(f"{LIST}/{ent.uscc}")
        if ent in visible:
            assert response.status_code == 200
            assert response.json()["uscc"] == ent.uscc
            assert response.json()["name"] == ent.name
        else:
            assert response.status_code == 404
            assert ent.uscc not in response.content.decode()
            assert ent.name not in response.content.decode()


def test_district_user_cannot_reach_any_foreign_enterprise(world, bearer):
    client = bearer(world.users["district"])
    denied_before = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count()
    for ent in world.foreign:
        before = Enterprise.objects.values().get(pk=ent.pk)
        for response in (
            client.get(f"{LIST}/{ent.uscc}"),
            client.get(f"{LIST}/{ent.uscc.lower()}"),
            put_json(client, f"{LIST}/{ent.uscc}", {"uscc": ent.uscc, "name": "改名"}),
            put_json(client, f"{LIST}/{ent.uscc}", {"uscc": ent.uscc, "bogus": 1}),
        ):
            assert response.status_code == 404
            text = response.content.decode()
            assert ent.uscc not in text
            assert ent.uscc.lower() not in text
            assert ent.name not in text
            assert response.json() == {"detail": "未找到该企业"}
        assert Enterprise.objects.values().get(pk=ent.pk) == before
    # each attempt on an existing foreign enterprise is in the audit log (failed authorization, ASVS 16.3.2)
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() - denied_before == 4 * 3
    # search never reaches across either
    for ent in world.foreign:
        assert listed(client, q=ent.uscc) == (set(), 0)
        assert listed(client, q=ent.name) == (set(), 0)
    assert listed(client, district=FOREIGN) == (set(), 0)


def test_unknown_uscc_looks_the_same_as_a_foreign_one(world, bearer):
    client = bearer(world.users["district"])
    unknown = client.get(f"{LIST}/91330106MA2XXXXXXX")
    foreign = client.get(f"{LIST}/{world.foreign[0].uscc}")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json()


@pytest.mark.parametrize("role", ["auditor", "enterprise", "provider"])
def test_read_only_roles_cannot_write(world, bearer, role):
    client = bearer(world.users[role])
    own = world.own[0]
    created = post_json(client, LIST, profile_data(district=OWN))
    assert created.status_code == 403
    assert created.json()["detail"]
    updated = put_json(client, f"{LIST}/{own.uscc}", {"uscc": own.uscc, "name": "不应写入"})
    assert updated.status_code == 403
    assert Enterprise.objects.get(pk=own.pk).name == own.name
    assert Enterprise.objects.count() == 6
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, actor=world.users[role]).count() == 2


def test_district_user_writes_only_its_own_district(world, bearer):
    client = bearer(world.users["district"])
    other = post_json(client, LIST, profile_data(district=FOREIGN))
    assert other.status_code == 403
    assert "本区县" in other.json()["detail"]
    no_district = profile_data(district=OWN)
    del no_district["district"]
    assert post_json(client, LIST, no_district).status_code == 403
    mine = post_json(client, LIST, profile_data(district=OWN))
    assert mine.status_code == 201
    # moving one of its enterprises to another district would take it out of scope: refused
    own = world.own[1]
    moved = put_json(client, f"{LIST}/{own.uscc}", {"uscc": own.uscc, "district": FOREIGN})
    assert moved.status_code == 403
    assert Enterprise.objects.get(pk=own.pk).district_id == OWN


def test_city_staff_may_write_anywhere(world, bearer):
    client = bearer(world.users["city_staff"])
    assert post_json(client, LIST, profile_data(district=FOREIGN)).status_code == 201
    ent = world.foreign[0]
    response = put_json(client, f"{LIST}/{ent.uscc}", {"uscc": ent.uscc, "district": OWN})
    assert response.status_code == 200
    assert response.json()["district"] == OWN


def test_search_filters_and_pagination(world, bearer):
    client = bearer(world.users["city_admin"])
    first = world.own[0]
    assert listed(client, q="西湖乙")[0] == {world.own[1].uscc}
    assert listed(client, q=first.uscc[-8:].lower())[0] == {first.uscc}
    assert listed(client, district=FOREIGN)[0] == {e.uscc for e in world.foreign}
    assert listed(client, ecosystem="smart_iot")[0] == {world.own[0].uscc, world.foreign[0].uscc}
    small = Enterprise.objects.get(pk=first.pk).size_class
    assert small is not None
    expected = {e.uscc for e in Enterprise.objects.filter(size_class=small)}
    assert listed(client, size_class=small)[0] == expected

    pages = [client.get(LIST, {"page": p, "page_size": 4}).json() for p in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [4, 2, 0]
    assert all(p["total"] == 6 for p in pages)
    seen = [i["uscc"] for p in pages for i in p["items"]]
    assert seen == sorted(e.uscc for e in world.all)
    item = pages[0]["items"][0]
    assert set(item) == {"uscc", "name", "district", "industry_code", "size_class", "ecosystem"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "abc"}, "page"),
        ({"ecosystem": "tea"}, "ecosystem"),
        ({"size_class": "huge"}, "size_class"),
        ({"district": "西湖"}, "district"),
    ],
)
def test_bad_list_parameters_are_422_in_chinese(world, bearer, params, field):
    response = bearer(world.users["city_admin"]).get(LIST, params)
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert body["detail"].startswith("请求参数有误")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["errors"][0]["reason"])
