"""The web forms: sign-in, password change, the enterprise search filters and the import upload.

Forms only parse and validate input; the views call the services. Every field has a server-side limit
(等保 8.1.4.4 d: 数据有效性检验 on every human input).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from srdi.db.models import District, User
from srdi.domain.dates import judged_date_error
from srdi.domain.reference import ECOSYSTEMS, TIERS
from srdi.domain.rules.model import PURPOSE_LABELS
from srdi.domain.size_class import SIZE_LABELS
from srdi.services.screening import screening_request

TIER_FILTER_CHOICES = [("", "全部层级"), ("none", "无有效梯度称号"), *TIERS.items()]


class LoginForm(forms.Form):
    """User name and password; the view authenticates (so django-axes counts each failure)."""

    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="密码",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    """Current password (re-authentication) and the new one twice; the service checks the policy."""

    old_password = forms.CharField(
        label="当前密码",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label="新密码",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="确认新密码",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        self.user = user
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean_old_password(self) -> str:
        value: str = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确")
        return value

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class EnterpriseFilterForm(forms.Form):
    """Search and filters of the enterprise list (read from the query string, or the export POST)."""

    q = forms.CharField(
        label="企业名称或信用代码",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "企业名称或统一社会信用代码", "type": "search"}),
    )
    district = forms.ChoiceField(label="区县", required=False)
    tier = forms.ChoiceField(label="梯度层级（今日有效）", required=False, choices=TIER_FILTER_CHOICES)
    ecosystem = forms.ChoiceField(
        label="产业生态圈", required=False, choices=[("", "全部生态圈"), *ECOSYSTEMS.items()]
    )
    size = forms.ChoiceField(
        label="企业规模", required=False, choices=[("", "全部规模"), *SIZE_LABELS.items()]
    )

    def __init__(self, *args: object, show_district: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.show_district = show_district
        if show_district:
            district = self.fields["district"]
            assert isinstance(district, forms.ChoiceField)
            district.choices = [
                ("", "全部区县"),
                *District.objects.values_list("code", "name"),
            ]
        else:
            del self.fields["district"]


class ImportForm(forms.Form):
    """A spreadsheet or JSON file of enterprises, and whether valid records may be written alone."""

    file = forms.FileField(
        label="数据文件",
        help_text="支持 .xlsx、.ods、.csv（UTF-8、GB18030/GBK 或 UTF-16 编码）和 .json（交换格式 v1.1）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv,.txt,.json"}),
    )
    partial = forms.BooleanField(
        label="允许部分导入",
        required=False,
        help_text="勾选后写入通过校验的企业，并列出未通过的行；不勾选时，只要有一处错误就不写入任何数据。",
    )
    progress_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    @staticmethod
    def max_bytes() -> int:
        return int(settings.SRDI_IMPORT_MAX_BYTES)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes():
            raise forms.ValidationError(
                f"文件过大（{filesizeformat(upload.size)}），上限为 {filesizeformat(self.max_bytes())}"
            )
        if upload.size == 0:
            raise forms.ValidationError("文件是空的")
        return upload


SCREENING_STATUS_CHOICES = [
    ("", "全部结论"),
    ("eligible", "符合"),
    ("needs_data", "需补充数据"),
    ("ineligible", "不符合"),
]
COHORT_CHOICES = [
    ("", "全部企业"),
    ("eligible_next", "符合下一层级"),
    ("seedling", "苗子企业"),
    ("one_firm_one_policy", "一企一策"),
]
GRADE_CHOICES = [("", "全部等级"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("none", "未定级")]
CHANGE_CHOICES = [
    ("", "全部"),
    *[(f"newly:{code}", f"新增符合：{label}") for code, label in TIERS.items()],
    *[(f"lost:{code}", f"不再符合：{label}") for code, label in TIERS.items()],
]


class ScreeningFilterForm(forms.Form):
    """Filters of the screening candidates table (query string, or the export POST)."""

    q = forms.CharField(label="企业名称或信用代码", max_length=100, required=False)
    tier = forms.ChoiceField(label="评价层级", required=False, choices=[("", "任一层级"), *TIERS.items()])
    status = forms.ChoiceField(label="评价结论", required=False, choices=SCREENING_STATUS_CHOICES)
    district = forms.ChoiceField(label="区县", required=False)
    ecosystem = forms.ChoiceField(
        label="产业生态圈", required=False, choices=[("", "全部生态圈"), *ECOSYSTEMS.items()]
    )
    cohort = forms.ChoiceField(label="培育分组", required=False, choices=COHORT_CHOICES)
    grade = forms.ChoiceField(label="综合等级", required=False, choices=GRADE_CHOICES)
    change = forms.ChoiceField(label="较上次变化", required=False, choices=CHANGE_CHOICES)

    def __init__(self, *args: object, show_district: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.show_district = show_district
        if show_district:
            district = self.fields["district"]
            assert isinstance(district, forms.ChoiceField)
            district.choices = [("", "全部区县"), *District.objects.values_list("code", "name")]
        else:
            del self.fields["district"]


class AssessmentDateForm(forms.Form):
    """The date and purpose an enterprise is judged on (the enterprise page; empty: today, application)."""

    as_of = forms.DateField(
        label="评价基准日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.ChoiceField(label="评价目的", required=False, choices=list(PURPOSE_LABELS.items()))

    def clean_as_of(self) -> date | None:
        day: date | None = self.cleaned_data.get("as_of")
        problem = judged_date_error(day) if day is not None else None
        if problem:
            raise forms.ValidationError(problem)
        return day


class ScreeningStartForm(forms.Form):
    """Starting a screening: the date, the purpose and, for a review, the period the titles expire in
    (empty: an application screening on the default reference date)."""

    as_of = forms.DateField(
        label="评价基准日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.ChoiceField(
        label="筛查目的", required=False, choices=list(PURPOSE_LABELS.items()), initial="application"
    )
    review_from = forms.DateField(
        label="称号到期自", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    review_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.errors:
            return data
        try:
            data["request"] = screening_request(
                data.get("as_of"),
                data.get("purpose") or "application",
                data.get("review_from"),
                data.get("review_to"),
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data
