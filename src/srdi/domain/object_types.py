"""What an audit event's ``object_type`` names, for people: the one place that labels object types.

Use ``object_type_label(code)`` wherever an object type is shown (the audit log's 对象类型 column and filter).
The codes stay in the audit chain (machines and the chain's hash read them); people read the labels. Services
write the codes below; the Django admin writes a model's ``model_name``, labelled by the web layer from the
model's ``verbose_name`` (``srdi.web.vocabulary``). An unknown code is shown as “其他对象”, never raw.
"""

from __future__ import annotations

OBJECT_TYPE_LABELS: dict[str, str] = {
    "account_change": "收款账户更正",
    "api_token": "API 令牌",
    "assessment_run": "全市筛查",
    "audit_settings": "审计设置",
    "budget_adjustment": "预算调整",
    "case": "兑现事项",
    "cockpit": "工作驾驶舱",
    "database": "数据库",
    "demo": "演示数据",
    "enterprise": "企业",
    "enterprise_contacts": "企业联系人",
    "import_batch": "导入批次",
    "money_view": "资金总览",
    "monthly_brief": "月度简报",
    "objection": "公示异议",
    "otp_device": "动态口令设备",
    "page": "页面",
    "parameter_change": "政策参数调整",
    "payment": "拨付记录",
    "payment_run": "拨付批次",
    "pii_keys": "个人信息加密密钥",
    "programme": "申报批次",
    "publicity": "公示",
    "published_count": "官方公布数",
    "rate_limit": "访问频率限制",
    "reminders": "每日提醒",
    "role_grant": "角色授权",
    "second_factor": "双因素认证",
    "seedling": "小巨人种苗库",
    "session": "登录会话",
    "showcase_entry": "典型案例",
    "stepup": "二次验证",
    "unit_event": "活动登记",
    "unit_report": "责任单位季度报告",
    "user": "用户",
    "voucher": "服务券",
}
OTHER = "其他对象"


def object_type_label(code: str, extra: dict[str, str] | None = None) -> str:
    """The label of an object type; ``extra`` adds labels known elsewhere (model verbose names)."""
    if not code:
        return ""
    return OBJECT_TYPE_LABELS.get(code) or (extra or {}).get(code) or OTHER
