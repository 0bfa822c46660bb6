"""Forms of the parameter-management pages: propose a change, decide on it, filter the list.

Forms only parse and bound the input (every field has a server-side limit); the value is read for its unit and
every rule is checked by ``srdi.services.parameters``, whose refusals the views put back on the named field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat

from srdi.db.models import ParameterChange
from srdi.services import evidence as evidence_service
from srdi.services.parameters import known_parameter
from srdi.web.forms_money import bootstrap
from srdi.web.text_checks import TextCheckedForm

BARE_NUMBER = re.compile(r"[0-9][0-9,，]*(\.[0-9]+)?")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProposeForm(TextCheckedForm):
    """A proposed value for one parameter, its dates, the document it rests on and why."""

    multiline_fields = frozenset({"value", "reason"})

    parameter = forms.ChoiceField(label="参数")
    value = forms.CharField(
        label="调整为",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="按参数的单位填写：金额写万元（如 40万），比例写百分数（如 15%），分档表写 YAML。",
    )
    effective_from = forms.DateField(label="生效日期", widget=DATE_INPUT)
    effective_to = forms.DateField(
        label="失效日期", required=False, widget=DATE_INPUT, help_text="含当日；不填表示长期有效"
    )
    document = forms.CharField(label="依据文件（文号）", max_length=200, help_text="如 杭经信〔2025〕12号")
    article = forms.CharField(label="条款", max_length=100, required=False, help_text="如 第三条")
    reason = forms.CharField(label="调整理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(
        label="依据文件附件（可选）",
        required=False,
        max_length=1000,
        widget=forms.ClearableFileInput(attrs={"accept": evidence_service.ACCEPT}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parameter"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择参数"), *choices]
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pid = data.get("parameter") or ""
        text = str(data.get("value") or "").strip()
        known = known_parameter(pid) if pid else None
        if known is not None and known[1].unit == "fen" and BARE_NUMBER.fullmatch(text):
            # A bare number is read as fen by the command line; on this form people think in 万元.
            self.add_error(
                "value", "金额请写明单位：如 40万、0.4亿 或 40000000分（只写数字时无法确定是万元还是分）"
            )
        return data

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        limit = evidence_service.max_bytes()
        if upload and upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{filesizeformat(upload.size)}），上限为 {filesizeformat(limit)}"
            )
        return upload


class DecideForm(TextCheckedForm):
    """批准 or 不予批准, with the reason (required to reject: the service says so)."""

    multiline_fields = frozenset({"reason"})

    reason = forms.CharField(
        label="审批意见", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


STATUS_FILTER = [("", "全部状态"), *ParameterChange.Status.choices]
