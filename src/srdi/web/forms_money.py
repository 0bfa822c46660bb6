"""Forms of the money pages: programmes, case filters, claims and evidence uploads, objections, payment runs, vouchers.

Forms only parse and validate (等保 8.1.4.4 d: every field has a server-side limit); the views call the
services, which apply the business rules. Amounts are typed in 万元 or 元 and become integer fen here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat

from srdi.db.models import BudgetAdjustment, District, Programme
from srdi.db.models.vouchers import VOUCHER_CATEGORIES
from srdi.domain.money import MoneyError, wan_to_fen
from srdi.domain.policy.loader import load_packs
from srdi.domain.reference import districts
from srdi.domain.workflow.definition import STATES
from srdi.services import evidence as evidence_service
from srdi.web.money_display import fen_from_yuan
from srdi.web.text_checks import TextCheckedForm

MAX_EVIDENCE = 20
MAX_WAN = Decimal("100000000")  # 1万亿元: far above any budget, keeps fen inside a 64-bit integer


def bootstrap(form: forms.Form) -> None:
    """Give every widget its Bootstrap class (selects ``form-select``, checkboxes none, others ``form-control``)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def money_measures(pack: str = "hz81") -> list[tuple[int, str]]:
    """(article, "81号 第9条 技术改造补助") for every money measure of the pack."""
    for p in load_packs():
        if p.id == pack:
            return [(m.article, f"{m.reference} {m.title}") for m in p.measures if m.is_money]
    return []


def _wan_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=Decimal(0), max_value=MAX_WAN, decimal_places=4, max_digits=14, **kwargs
    )


class ProgrammeForm(TextCheckedForm):
    """A new programme (申报批次) with its city budget and each district's own budget in 万元."""

    article = forms.TypedChoiceField(label="政策措施（81号资金类条款）", coerce=int)
    code = forms.RegexField(
        label="批次编号",
        max_length=50,
        regex=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        error_messages={"invalid": "批次编号只能包含字母、数字、点、横线和下划线"},
        help_text="如 hz81-9-2025",
    )
    name = forms.CharField(label="名称", max_length=200)
    year = forms.IntegerField(label="年度", min_value=2023, max_value=2035)
    mode = forms.ChoiceField(label="兑现方式", choices=Programme.Mode.choices, initial=Programme.Mode.BOTH)
    opens_on = forms.DateField(label="开始受理", widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    city_budget_wan = _wan_field("市级预算（万元）")
    publicity_days = forms.IntegerField(
        label="公示期（工作日）",
        min_value=0,
        max_value=60,
        required=False,
        help_text="不填则取程序规定的下限（默认5个工作日，节假日按国务院办公厅安排顺延）",
    )
    quota = forms.IntegerField(label="名额上限", min_value=1, max_value=1_000_000, required=False)
    required_evidence = forms.CharField(
        label="必需材料",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一项，如“项目备案证明”；免申即享事项可不填",
    )
    description = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    city_pays_all = forms.MultipleChoiceField(
        label="本批次由市级全额承担的区县",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="勾选的区县不分担资金、无需区县预算；其余区县按财政分担比例（fiscal_share 参数）分担",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        article = self.fields["article"]
        assert isinstance(article, forms.ChoiceField)
        article.choices = money_measures()
        everyone_city = self.fields["city_pays_all"]
        assert isinstance(everyone_city, forms.MultipleChoiceField)
        everyone_city.choices = [(d.code, d.name) for d in districts()]
        for d in districts():
            self.fields[f"district_{d.code}"] = _wan_field(
                f"{d.name}预算（万元）", required=False, initial=Decimal(0)
            )
        bootstrap(self)

    @property
    def district_fields(self) -> list[forms.BoundField]:
        return [self[f"district_{d.code}"] for d in districts()]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [f for f in self if not f.name.startswith("district_") and f.name != "city_pays_all"]

    def clean_required_evidence(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data.get("required_evidence", "").splitlines()]
        items = list(dict.fromkeys(line for line in lines if line))
        if len(items) > MAX_EVIDENCE:
            raise forms.ValidationError(f"必需材料最多 {MAX_EVIDENCE} 项")
        if any(len(i) > 100 for i in items):
            raise forms.ValidationError("每项材料名称不超过100字")
        return items

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if isinstance(opens, date) and isinstance(closes, date) and closes < opens:
            self.add_error("closes_on", "截止日期早于开始日期")
        data["city_budget_fen"] = self._fen(data, "city_budget_wan")
        data["district_budgets"] = {d.code: self._fen(data, f"district_{d.code}") for d in districts()}
        return data

    def _fen(self, data: dict[str, Any], name: str) -> int:
        value = data.get(name)
        if value is None:
            return 0
        try:
            return wan_to_fen(value)
        except MoneyError as exc:
            self.add_error(name, str(exc))
            return 0


class BudgetAdjustmentForm(TextCheckedForm):
    """A proposed change to a programme's budgets (increase, transfer or release) with its reason."""

    kind = forms.ChoiceField(label="调整类型", choices=BudgetAdjustment.Kind.choices)
    source = forms.ChoiceField(label="调出预算", required=False)
    target = forms.ChoiceField(label="调入预算", required=False)
    amount_wan = _wan_field("金额（万元）")
    reason = forms.CharField(label="理由", max_length=300)
    document = forms.CharField(
        label="依据文件", max_length=200, required=False, help_text="如 杭经信财〔2026〕12号"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sides = [("", "—"), ("city", "市级"), *((d.code, d.name) for d in districts())]
        for name in ("source", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = sides
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = data.get("amount_wan")
        if value is not None:
            try:
                data["amount_fen"] = wan_to_fen(value)
            except MoneyError as exc:
                self.add_error("amount_wan", str(exc))
        return data


class CaseFilterForm(forms.Form):
    """Filters of the case list (query string)."""

    q = forms.CharField(label="企业名称、信用代码或事项", max_length=100, required=False)
    programme = forms.TypedChoiceField(label="批次", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *STATES.items()])
    district = forms.ChoiceField(label="区县", required=False)

    def __init__(self, *args: Any, show_district: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        programme = self.fields["programme"]
        assert isinstance(programme, forms.ChoiceField)
        programme.choices = [("", "全部批次"), *Programme.objects.values_list("pk", "name")]
        if show_district:
            district = self.fields["district"]
            assert isinstance(district, forms.ChoiceField)
            district.choices = [("", "全部区县"), *District.objects.values_list("code", "name")]
        else:
            del self.fields["district"]


class ClaimForm(TextCheckedForm):
    """意愿确认 / application data: the bank account to pay into (evidence is uploaded separately)."""

    bank_account_name = forms.CharField(label="开户名", max_length=200)
    bank_name = forms.CharField(label="开户行", max_length=200)
    bank_account_number = forms.RegexField(
        label="银行账号",
        max_length=40,
        regex=r"^[0-9 ]{8,40}$",
        error_messages={"invalid": "银行账号应为8–32位数字"},
    )


class EvidenceUploadForm(TextCheckedForm):
    """One evidence file: which required material it is (or 其他材料 with a short note) and the file itself.

    The size is checked here before the file is read; the type (by magic bytes), the label and the state of
    the case are checked by ``services.evidence.attach_evidence``.
    """

    label = forms.ChoiceField(label="材料名称")
    note = forms.CharField(
        label="其他材料说明",
        required=False,
        max_length=evidence_service.MAX_LABEL - len(evidence_service.OTHER_LABEL) - 1,
        help_text="选择“其他材料”时可简要说明，如“专利证书”",
    )
    file = forms.FileField(
        label="文件",
        max_length=1000,
        allow_empty_file=False,
        error_messages={
            "required": "请选择要上传的文件",
            "empty": "文件为空",
            "invalid": "请选择要上传的文件",
        },
        widget=forms.FileInput(attrs={"accept": evidence_service.ACCEPT}),
    )

    def __init__(self, *args: Any, labels: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label = self.fields["label"]
        assert isinstance(label, forms.ChoiceField)
        label.choices = [(x, x) for x in labels or [evidence_service.OTHER_LABEL]]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = evidence_service.max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{filesizeformat(upload.size)}），上限为 {filesizeformat(limit)}"
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        note = " ".join((data.get("note") or "").split())
        if data.get("label") == evidence_service.OTHER_LABEL and note:
            data["label"] = f"{evidence_service.OTHER_LABEL}{evidence_service.OTHER_SEPARATOR}{note}"
        return data


class ActionForm(TextCheckedForm):
    """A transition's reason and, for approval, the amount in 元 (default: the entitlement)."""

    multiline_fields = frozenset({"reason"})  # typed in a <textarea> (case_detail.html)

    name = forms.CharField(max_length=30)
    reason = forms.CharField(label="意见", required=False, max_length=1000)
    amount_yuan = forms.CharField(label="批准金额（元）", required=False, max_length=20)

    def clean_amount_yuan(self) -> int | None:
        text = self.cleaned_data.get("amount_yuan", "").strip()
        if not text:
            return None
        try:
            return fen_from_yuan(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ObjectionForm(TextCheckedForm):
    name = forms.CharField(label="异议人", required=False, max_length=100)
    text = forms.CharField(label="异议内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(TextCheckedForm):
    upheld = forms.TypedChoiceField(
        label="处理结论",
        choices=[("0", "异议不成立（继续公示）"), ("1", "异议成立（不予支持）")],
        coerce=lambda v: v == "1",
    )
    resolution = forms.CharField(label="处理意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PaymentRunForm(TextCheckedForm):
    programme = forms.TypedChoiceField(label="批次", required=False, coerce=int, empty_value=None)
    note = forms.CharField(label="备注", required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        programme = self.fields["programme"]
        assert isinstance(programme, forms.ChoiceField)
        programme.choices = [("", "全部批次"), *Programme.objects.values_list("pk", "name")]


class VoucherIssueForm(TextCheckedForm):
    programme = forms.TypedChoiceField(label="服务券批次（第25条）", coerce=int)
    uscc = forms.RegexField(
        label="企业统一社会信用代码",
        regex=r"^[0-9A-Za-z]{18}$",
        max_length=18,
        error_messages={"invalid": "请输入18位统一社会信用代码"},
    )
    face_value_yuan = forms.CharField(label="面额（元）", max_length=20)
    category = forms.ChoiceField(label="服务类别", choices=VOUCHER_CATEGORIES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        programme = self.fields["programme"]
        assert isinstance(programme, forms.ChoiceField)
        programme.choices = list(Programme.objects.filter(article=25).values_list("pk", "name"))

    def clean_face_value_yuan(self) -> int:
        try:
            fen = fen_from_yuan(self.cleaned_data["face_value_yuan"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if fen <= 0:
            raise forms.ValidationError("面额必须为正")
        return fen


def _voucher_code() -> forms.RegexField:
    return forms.RegexField(
        label="券号",
        regex=r"^[0-9A-Za-z]{4,30}$",
        max_length=30,
        error_messages={"invalid": "券号格式不正确"},
    )


class VoucherCancelForm(TextCheckedForm):
    code = _voucher_code()
    reason = forms.CharField(label="作废原因", max_length=200)


class RedeemForm(TextCheckedForm):
    code = _voucher_code()
    service = forms.CharField(label="服务内容", max_length=255)
    delivered_on = forms.DateField(label="服务完成日期", widget=forms.DateInput(attrs={"type": "date"}))
    amount_yuan = forms.CharField(label="核销金额（元）", max_length=20)

    def clean_amount_yuan(self) -> int:
        try:
            return fen_from_yuan(self.cleaned_data["amount_yuan"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
