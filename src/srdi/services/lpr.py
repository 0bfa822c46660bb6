"""The 1-year LPR table under maker–checker: a new release is a parameter change like any money parameter.

A release is proposed as the pseudo-parameter ``reference.lpr_1y`` (``srdi lpr propose DATE PERCENT``): its value
is the rate as a ratio (3.50% → ``"0.035"``), its effective date the release date, and a second person with
``parameter.approve`` approves it (``srdi policy approve``). The table the engine uses is the CSV file (the shipped
``reference_data/lpr_1y.csv``, or ``$SRDI_VAR_DIR/lpr_1y.csv`` where an installation wrote one with the old
``srdi lpr set``) with the approved releases laid over it. ``refresh()`` puts the approved releases in place; the
service calls it whenever it gives out the packs in force (``parameters.packs_in_force``) and after an approval,
so every process evaluates with the releases approved so far.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from srdi.db.models import ParameterChange
from srdi.domain.reference import LprRelease, lpr_file_table, lpr_table, use_lpr_releases
from srdi.domain.rules.parameters import Parameter, Period

LPR_PID = "reference.lpr_1y"
LPR_PACK = "reference"  # what ``ParameterChange.pack`` says for a release (no policy pack declares it)
LPR_LABEL = "1年期贷款市场报价利率（LPR）"
LPR_REFERENCE = "全国银行间同业拆借中心受权公布的1年期LPR（81号 第17条贴息按合同签订日的LPR判断）"
MAX_RATIO = Decimal("0.2")  # 20%: anything above is a typing mistake


def periods_of(releases: tuple[LprRelease, ...]) -> tuple[Period, ...]:
    """Releases as parameter periods: each in force from its date to the day before the next release."""
    out = []
    for i, this in enumerate(releases):
        after = releases[i + 1] if i + 1 < len(releases) else None
        end = after.released_on - timedelta(days=1) if after is not None else None
        out.append(Period(this.released_on, end, this.one_year_percent / 100, version=this.version))
    return tuple(out)


def lpr_parameter(releases: tuple[LprRelease, ...] | None = None) -> Parameter:
    """The LPR as a parameter: by default its baseline, the CSV file (for proposals, history and export); given
    ``releases`` (``refresh()``'s table), the table in force."""
    return Parameter(
        id=LPR_PID,
        label=LPR_LABEL,
        unit="ratio",
        reference=LPR_REFERENCE,
        periods=periods_of(lpr_file_table() if releases is None else releases),
    )


def release_problem(ratio: Decimal, effective_to: date | None) -> str:
    """Why a checked ratio cannot be an LPR release ("" when it can)."""
    if effective_to is not None:
        return "LPR 每期自发布日起适用至下一期发布，不设失效日期"
    if not Decimal(0) < ratio < MAX_RATIO:
        return "LPR 应大于 0 且小于 20%"
    if (ratio * 10_000) != (ratio * 10_000).to_integral_value():
        return "LPR 最多保留两位小数（以百分数计，如 3.00%）"
    return ""


def as_ratio(percent: str) -> str:
    """A rate typed as a percentage (``3.00``, ``3%``) in the text form the ratio unit reads (``3.00%``)."""
    text = percent.strip()
    return text if text.endswith(("%", "％")) else f"{text}%"


def _release(change: ParameterChange) -> LprRelease:
    return LprRelease(change.effective_from, Decimal(str(change.value)) * 100, change.version)


def approved_releases() -> tuple[LprRelease, ...]:
    """Every approved release, one per date (the later approval wins), oldest first."""
    if not ParameterChange.table_ready():
        return ()
    changes = ParameterChange.objects.filter(
        parameter=LPR_PID, status=ParameterChange.Status.APPROVED
    ).order_by("decided_at", "id")
    by_day: dict[date, LprRelease] = {}
    for change in changes:
        by_day[change.effective_from] = _release(change)
    return tuple(by_day[day] for day in sorted(by_day))


def refresh() -> tuple[LprRelease, ...]:
    """Lay the approved releases over the file table for this process; the table in use after it."""
    use_lpr_releases(approved_releases())
    return lpr_table()


def describe_value(value: Any) -> str:
    """A stored LPR value as people read it (``3.00%``)."""
    return f"{Decimal(str(value)) * 100:.2f}%"
