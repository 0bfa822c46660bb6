"""Showing a moment to people: Beijing time (Asia/Shanghai, UTC+8), and saying so.

Use ``format_beijing`` wherever a stored instant (UTC in the database) becomes text a person reads, the
``beijing`` template filter (``srdi.web.templatetags.srdi_web``) on pages, ``for_sheet`` for a spreadsheet
cell (a naive local datetime: spreadsheets have no time zones) and ``labelled`` for a column header or a
form label (``时间（北京时间）``). Dates (``date``) are calendar days and are shown as they are; ``beijing_day``
bounds a calendar day given by a person as instants, for filters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
LABEL = "北京时间"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def to_beijing(moment: datetime) -> datetime:
    """The instant in Beijing time (aware). A naive value is taken as UTC (how the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def for_sheet(moment: datetime) -> datetime:
    """The instant as a naive Beijing wall-clock time, for a spreadsheet cell (its header says 北京时间)."""
    return to_beijing(moment).replace(tzinfo=None)


def format_beijing(moment: datetime | None, *, seconds: bool = False) -> str:
    """``2026-03-02 00:30`` (with ``:ss`` when ``seconds``); empty for ``None``."""
    if moment is None:
        return ""
    return to_beijing(moment).strftime(SECONDS if seconds else MINUTES)


def format_iso(text: str, *, seconds: bool = True) -> str:
    """An instant kept as ISO text (a signed checkpoint's ``at``) as Beijing time; text that is no ISO time as is."""
    try:
        return format_beijing(datetime.fromisoformat(text), seconds=seconds)
    except ValueError:
        return text


def labelled(label: str) -> str:
    """A header or form label saying its times are Beijing time: ``时间（北京时间）``."""
    return f"{label}（{LABEL}）"


def beijing_day(day: date) -> tuple[datetime, datetime]:
    """The instants [start, end) of a calendar day in Beijing, for filtering stored instants by a person's day."""
    # the first and last representable days have no Beijing midnight in UTC: open the range there
    start = (
        datetime.min.replace(tzinfo=UTC)
        if day == date.min
        else datetime.combine(day, time.min, tzinfo=BEIJING)
    )
    if day == date.max:
        return start, datetime.max.replace(tzinfo=UTC)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=BEIJING)
