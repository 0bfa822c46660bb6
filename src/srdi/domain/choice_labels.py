"""Chinese names of the coded values a person fills in on the import template (and reads back).

Use ``choice_labels(field)`` for a coded column of the flat exchange format (``ecosystem``,
``main_product.chain_role`` …) and ``code_of(labels, text)`` to read a name back as its code. The exchange
format (JSON) keeps the codes; these names are for people: the template's drop-down lists and 说明 sheet, and
the spreadsheet import, which accepts a name wherever a code is expected. Tier and title names are those of
``srdi.domain.reference`` and the rule explanations, so one name means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from srdi.domain.reference import CERT_TIERS, ECOSYSTEMS
from srdi.domain.rules.explain import VALUE_LABELS

CHAIN_ROLES: dict[str, str] = {
    "key_link_breakthrough": VALUE_LABELS["key_link_breakthrough"],
    "six_foundations_or_chain_supplier": VALUE_LABELS["six_foundations_or_chain_supplier"],
    "none": "无",
}
PIN_FIELDS: dict[str, str] = {
    "six_foundations": VALUE_LABELS["six_foundations"],
    "manufacturing_power_key_industry": VALUE_LABELS["manufacturing_power_key_industry"],
    "cyber_power": VALUE_LABELS["cyber_power"],
    "none": "无",
}
KEY_CHAIN_FIELDS: dict[str, str] = {
    "core_basic_parts": "核心基础零部件",
    "core_basic_components": "核心基础元器件",
    "key_software": "关键软件",
    "advanced_basic_process": "先进基础工艺",
    "key_basic_materials": "关键基础材料",
    "industrial_tech_base": "产业技术基础",
    "traditional_upgrade": "传统产业转型升级",
    "emerging_industry": "战略性新兴产业",
    "future_industry": "未来产业",
    "none": "无",
}
RD_LEVELS: dict[str, str] = {
    "national": "国家级",
    "provincial": "省级",
    "municipal": "市级",
    "below_municipal": "市级以下",
    "none": "无",
}
TITLE_KINDS: dict[str, str] = {
    code: VALUE_LABELS[code]
    for code in ("high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo", "single_champion")
}
IP_KINDS: dict[str, str] = {
    **{
        code: VALUE_LABELS[code]
        for code in (
            "invention_patent",
            "defense_patent",
            "plant_variety",
            "national_crop_variety",
            "national_new_drug",
            "tcm_protected_grade1",
            "ic_layout",
        )
    },
    "utility_model": "实用新型专利",
    "design": "外观设计专利",
    "software_copyright": "软件著作权",
    "other": "其他",
}
AWARD_LEVELS: dict[str, str] = {code: VALUE_LABELS[code] for code in ("national", "provincial", "municipal")}
AWARD_KINDS: dict[str, str] = {"sci_tech": VALUE_LABELS["sci_tech"]}
CONTEST_KINDS: dict[str, str] = {"maker_china": VALUE_LABELS["maker_china"]}
CONTEST_GROUPS: dict[str, str] = {code: VALUE_LABELS[code] for code in ("national_top500", "national_top50")}
# The tiers a certification records, by their usual names (``省级专精特新中小企业``); also accepted without the
# level or the quotation marks (``专精特新中小企业``, ``小巨人``), see ``_ALSO``.
TIER_NAMES: dict[str, str] = dict(CERT_TIERS)

_BY_FIELD: dict[str, Mapping[str, str]] = {
    "ecosystem": ECOSYSTEMS,
    "main_product.chain_role": CHAIN_ROLES,
    "main_product.pin_field": PIN_FIELDS,
    "main_product.key_chain_field": KEY_CHAIN_FIELDS,
    "rd_institution_level": RD_LEVELS,
}
# Other names people write for the same code.
_ALSO: dict[str, str] = {
    "专精特新中小企业": "srdi_sme",
    "省专精特新中小企业": "srdi_sme",
    "隐形冠军企业": "hidden_champion",
    "隐形冠军": "hidden_champion",
    "小巨人": "little_giant",
    "小巨人企业": "little_giant",
    "专精特新小巨人": "little_giant",
    "国家级专精特新小巨人企业": "little_giant",
    "科技型中小企业": "tech_sme",
    "创新型中小企业称号": "innovative_sme",
    "高企": "high_tech_enterprise",
    "实用新型": "utility_model",
    "外观设计": "design",
    "软著": "software_copyright",
    "计算机软件著作权": "software_copyright",
}


def choice_labels(field: str) -> Mapping[str, str]:
    """Code → Chinese name for a coded column of the flat format (empty for other columns)."""
    return _BY_FIELD.get(field, {})


def _plain(text: str) -> str:
    return "".join(text.split()).replace("“", "").replace("”", "").replace('"', "")


def code_of(labels: Mapping[str, str], text: str) -> str | None:
    """The code a name (or the code itself) stands for among ``labels``; None when it is neither."""
    if text in labels:
        return text
    wanted = _plain(text)
    for code, label in labels.items():
        if _plain(label) == wanted:
            return code
    also = _ALSO.get(wanted)
    return also if also in labels else None


# In the JSON cells of the flat format: the keys of list items that hold a code, and the names they accept.
JSON_CODE_KEYS: dict[str, dict[str, Mapping[str, str]]] = {
    "certifications": {"tier": TIER_NAMES},
    "titles": {"kind": TITLE_KINDS},
    "ip_items": {"kind": IP_KINDS},
}
