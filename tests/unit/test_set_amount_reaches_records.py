"""What an offers run sees once the bureau sets an unset amount: for any approved changes (dates and values) to
81号 第6条's ratio, a technology transaction is granted exactly when the change approved last among those covering
its date gives a value, the amount is that ratio of the transaction, and the trace cites that change's version
(``versions_used``); with no covering change it stays ``amount_unset`` and cites only the baseline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import make_uscc

from srdi.domain.exchange import parse_profile
from srdi.domain.policy.contract import records_by_enterprise
from srdi.domain.policy.engine import entitle
from srdi.domain.policy.layering import BASELINE, ParameterEntry, apply_entries, versions_used
from srdi.domain.policy.loader import load_packs
from srdi.domain.tables import tables_from_profiles

RATIO = "hz81.6.tech_transaction_ratio"
EVENT_DAY = date(2025, 3, 10)
TRADED = 123_456_789
START = date(2024, 1, 27)
PACKS = load_packs()
TABLES = tables_from_profiles(
    [
        parse_profile(
            {
                "uscc": make_uscc("330106"),
                "name": "杭州性质测试有限公司",
                "district": "330106",
                "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
                "events": [
                    {
                        "kind": "tech_transaction",
                        "year": 2025,
                        "amount_fen": TRADED,
                        "date": EVENT_DAY.isoformat(),
                    }
                ],
            }
        )
    ]
)


@st.composite
def entries(draw: st.DrawFn) -> list[ParameterEntry]:
    out = []
    for n in range(draw(st.integers(0, 4))):
        start = START + timedelta(days=draw(st.integers(0, 700)))
        length = draw(st.none() | st.integers(0, 400))
        ratio = Decimal(draw(st.integers(1, 300))) / 1000
        end = None if length is None else start + timedelta(days=length)
        out.append(ParameterEntry(RATIO, start, end, ratio, f"PV{n + 1}", f"文件{n + 1}"))
    return out


def _record(packs):  # type: ignore[no-untyped-def]
    records = records_by_enterprise(entitle(TABLES, packs))[0]
    return next(r for r in records if r["measure"] == "hz81.6")


@settings(max_examples=60, deadline=None)
@given(entries())
def test_the_last_approved_change_covering_the_event_decides(changes: list[ParameterEntry]) -> None:
    record = _record(apply_entries(PACKS, changes))
    covering = [e for e in changes if e.start <= EVENT_DAY and (e.end is None or e.end >= EVENT_DAY)]
    if not covering:
        assert record["status"] == "amount_unset" and record["amount_fen"] is None
        assert versions_used(record) == [BASELINE]
        return
    decisive = covering[-1]  # entries are applied in approval order: the later decision wins
    expected = int((Decimal(TRADED) * decisive.value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert record["status"] == "granted" and record["amount_fen"] == expected
    assert versions_used(record) == [decisive.version]
