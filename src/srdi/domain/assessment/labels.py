"""Chinese names of an assessment's codes: tier statuses, check results, rule sections, the six dimensions,
cohorts and the profile's lists.

Use these wherever an assessment is shown to people (the enterprise page, screening lists, exports); the
contract's JSON keeps the codes. Colours and CSS classes are the web's business, not this module's.
"""

from __future__ import annotations

STATUS_LABELS = {"eligible": "符合", "ineligible": "不符合", "needs_data": "需补充数据"}
RESULT_LABELS = {
    "pass": "满足",
    "fail": "不满足",
    "unknown": "数据不足",
    "scored": "计分",
    "manual": "需人工核查",
    "not_applicable": "不适用",
}
SECTION_LABELS = {
    "prerequisite": "基本条件",
    "score": "评分指标",
    "general": "一般性条件",
    "direct": "直通条件",
    "manual": "人工核查事项",
}
DIMENSION_NAMES = {
    "zhuan": "专业化",
    "jing": "精细化",
    "te": "特色化",
    "xin": "创新能力",
    "lian": "产业链配套",
    "pin": "主导产品",
}
COHORT_LABELS = {"eligible_next": "符合下一层级", "seedling": "苗子企业", "one_firm_one_policy": "一企一策"}
LIST_LABELS = {
    "certifications": "梯度认定",
    "titles": "资质称号",
    "awards": "获奖",
    "contests": "赛事",
    "equity_financing": "股权融资",
}
