"""Names accepted wherever a code is expected: clusters, chain roles, levels, tiers and title kinds."""

from __future__ import annotations

import pytest

from srdi.domain.choice_labels import KEY_CHAIN_FIELDS, RD_LEVELS, choice_labels, code_of
from srdi.domain.reference import ECOSYSTEMS, TIERS
from srdi.interchange.cells import CellError, parser_for
from srdi.interchange.columns import BY_NAME, COLUMNS


def parse(field: str, value: object) -> object:
    return parser_for(BY_NAME[field])(value)


@pytest.mark.parametrize(
    ("text", "code"), [("智能物联", "smart_iot"), ("smart_iot", "smart_iot"), (" 新材料 ", "new_materials")]
)
def test_a_cluster_is_read_by_name_or_code(text, code):
    assert parse("ecosystem", text) == code


def test_every_coded_column_has_a_name_for_each_code_and_reads_it_back():
    for column in COLUMNS:
        if column.kind != "choice":
            continue
        labels = choice_labels(column.name)
        assert set(labels) == set(column.choices), column.name
        for code, label in labels.items():
            assert parse(column.name, label) == code


def test_a_wrong_name_is_refused_naming_the_allowed_names():
    with pytest.raises(CellError, match="智能物联（smart_iot）"):
        parse("ecosystem", "数字经济")
    with pytest.raises(CellError):
        parse("rd_institution_level", 1.0)


def test_district_names_with_or_without_the_city():
    assert parse("district", "西湖区") == parse("district", "杭州市西湖区") == "330106"


def test_tiers_and_title_kinds_by_name_inside_the_json_cells():
    certs = parse(
        "certifications", '[{"tier":"小巨人","recognized_on":"2024-01-01"},{"tier":"省级专精特新中小企业"}]'
    )
    assert [c["tier"] for c in certs] == ["little_giant", "srdi_sme"]
    titles = parse("titles", '[{"kind":"高新技术企业"},{"kind":"不认识的称号"}]')
    assert [t["kind"] for t in titles] == [
        "high_tech_enterprise",
        "不认识的称号",
    ]  # left for the profile check


def test_ip_item_kinds_by_name():
    items = parse("ip_items", '[{"kind":"发明专利","granted_on":"2021-03-02"},{"kind":"软著"}]')
    assert [i["kind"] for i in items] == ["invention_patent", "software_copyright"]


def test_code_of_ignores_spaces_and_quotation_marks():
    assert code_of(TIERS, "国家级专精特新 小巨人 企业") == "little_giant"
    assert code_of(ECOSYSTEMS, "未知") is None
    assert code_of(RD_LEVELS, "省级") == "provincial"
    assert code_of(KEY_CHAIN_FIELDS, "关键软件") == "key_software"


def test_the_names_cover_exactly_the_codes_of_the_exchange_format():
    from typing import get_args

    from srdi.domain.choice_labels import IP_KINDS, TIER_NAMES, TITLE_KINDS
    from srdi.domain.exchange import CertTier, IpKind, TitleKind

    assert set(IP_KINDS) == set(get_args(IpKind))
    assert set(TIER_NAMES) == set(get_args(CertTier))
    assert set(TITLE_KINDS) == set(get_args(TitleKind))
    for labels in (IP_KINDS, TIER_NAMES, TITLE_KINDS):
        assert len(set(labels.values())) == len(labels)  # one name, one code
