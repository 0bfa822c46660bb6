"""The IP inventory (exchange format 1.1 ``ip_items``) of one block of demo enterprises (vectorised).

Use ``ip_items`` from the generator. The inventory follows the enterprise's v1 IP counts: ``ip_class1`` Ⅰ类 items
(``ip_invention_patents`` of them invention patents, the rest the industry's other Ⅰ类 kind), of which
``ip_class1 − ip_class1_self_developed`` were transferred in, and ``ip_class2`` utility models, designs and
software copyrights. Most items are in force on the data's dates, held at rank 1 and applied with economic
benefit; a few lapsed early, are co-held further down or have an unknown field — what 2号 counts or not.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from srdi.demo.columns import frame, labels, with_nulls
from srdi.demo.enterprises import Latent
from srdi.demo.rng import day, sigmoid
from srdi.demo.vocab import INDUSTRIES, OTHER_CLASS1_IP, SOFTWARE
from srdi.domain.tables import IP_ITEM_SCHEMA

# The kinds generated and their term after grant in days (protection runs from filing, about two years before
# grant, one year for utility models and designs); 0: no end recorded (software copyright, new drug certificate).
KINDS: dict[str, int] = {
    "invention_patent": 6392,  # 20 years from filing
    "defense_patent": 6392,
    "ic_layout": 3287,  # 10 years
    "national_new_drug": 0,
    "tcm_protected_grade1": 3652,
    "utility_model": 3287,  # 10 years from filing
    "design": 5114,  # 15 years from filing
    "software_copyright": 0,
}
_CODE = {kind: i for i, kind in enumerate(KINDS)}
_TERM = np.array(list(KINDS.values()), dtype=np.int64)
# Ⅱ类 kinds and their mix per industry group (manufacturing, software, wholesale, other), cumulated.
_CLASS2_CODES = np.array([_CODE["utility_model"], _CODE["design"], _CODE["software_copyright"]])
_CLASS2_MIX = np.cumsum(
    [[0.70, 0.15, 0.15], [0.05, 0.02, 0.93], [0.45, 0.25, 0.30], [0.45, 0.10, 0.45]], axis=1
)
_LAPSED = 0.04  # share of items that lapsed before their term (annuities not paid)
_HISTORY_DAYS = 15 * 365  # items are granted in the last 15 years, more of them recently


def _other_class1(lat: Latent) -> np.ndarray:
    """The code of the Ⅰ类 kind other than invention patents each enterprise holds (by industry, else group)."""
    by_industry = np.array([_CODE[OTHER_CLASS1_IP.get(i.code, "invention_patent")] for i in INDUSTRIES])
    default = np.where(lat.group == SOFTWARE, _CODE["ic_layout"], _CODE["defense_patent"])
    own = by_industry[lat.industry]
    out: np.ndarray = np.where(own != _CODE["invention_patent"], own, default)
    return out


def _kinds(rng: np.random.Generator, lat: Latent, owner: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Each item's kind code from its position in the enterprise's list: inventions, other Ⅰ类, then Ⅱ类."""
    ip = lat.ip
    class2 = _CLASS2_CODES[
        (rng.random(len(owner))[:, None] > _CLASS2_MIX[lat.group[owner]]).sum(axis=1).clip(0, 2)
    ]
    out: np.ndarray = np.where(
        pos < ip.invention[owner],
        _CODE["invention_patent"],
        np.where(pos < ip.class1[owner], _other_class1(lat)[owner], class2),
    )
    return out


def _granted(
    rng: np.random.Generator, lat: Latent, owner: np.ndarray, term: np.ndarray, as_of_year: int
) -> np.ndarray:
    """Grant days after the founding, within the last 15 years and the item's term (so that most are still in
    force), up to 30 June of as_of_year; more of them recently."""
    hi = day(f"{as_of_year}-06-30")
    window = np.where(term > 0, np.minimum(term - 365, _HISTORY_DAYS), _HISTORY_DAYS)
    lo = np.minimum(np.maximum(lat.founded[owner] + 180, hi - window), hi)
    granted: np.ndarray = lo + (np.sqrt(rng.random(len(owner))) * (hi - lo)).astype(np.int64)
    return granted


def _expires(rng: np.random.Generator, term: np.ndarray, granted: np.ndarray, as_of_year: int) -> Any:
    """End of protection (null where none is recorded); a few items lapsed before the data's last two years."""
    start = day(f"{as_of_year - 1}-01-01")
    room = start - granted - 365
    lapsed = (rng.random(len(term)) < _LAPSED) & (room > 0) & (term > 0)
    early = granted + 365 + (rng.random(len(term)) * np.maximum(room, 1)).astype(np.int64)
    return with_nulls(np.where(lapsed, early, granted + term), (term == 0) & ~lapsed)


def _transferred(rng: np.random.Generator, lat: Latent, owner: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Ⅰ类 items not developed in house were transferred in (a run of them from a random start); a few Ⅱ类 too."""
    ip = lat.ip
    start = (rng.random(len(lat.eid)) * 10_000).astype(np.int64)[owner]
    turn = (pos + start) % np.maximum(ip.class1[owner], 1)
    out: np.ndarray = np.where(
        pos < ip.class1[owner], turn >= ip.self_developed[owner], rng.random(len(owner)) < 0.03
    )
    return out


def ip_items(rng: np.random.Generator, lat: Latent, known: np.ndarray, as_of_year: int) -> pl.DataFrame:
    """The IP inventory of the enterprises whose inventory is known, ordered by enterprise and grant date."""
    total = np.where(known, lat.ip.class1 + lat.ip.class2, 0)
    owner = np.repeat(np.arange(len(lat.eid)), total)
    pos = np.arange(len(owner)) - (np.cumsum(total) - total)[owner]  # position within the enterprise's list
    kind = _kinds(rng, lat, owner, pos)
    granted = _granted(rng, lat, owner, _TERM[kind], as_of_year)
    transferred = _transferred(rng, lat, owner, pos)
    order = np.argsort(owner * 100_000 + granted, kind="stable")  # each list by date (days < 100,000)
    owner, kind, granted, transferred = owner[order], kind[order], granted[order], transferred[order]
    m = len(owner)
    rank = 1 + (rng.random(m)[:, None] > np.array([0.90, 0.96, 0.985, 0.995])).sum(axis=1)
    part = {
        "eid": lat.eid[owner],
        "kind": labels(list(KINDS), kind),
        "granted_on": with_nulls(granted, rng.random(m) < 0.003),
        "expires_on": _expires(rng, _TERM[kind], granted, as_of_year),
        "transferred_in": with_nulls(transferred, rng.random(m) < 0.005),
        "holder_rank": with_nulls(rank, rng.random(m) < 0.01),
        "applied_with_benefit": with_nulls(
            rng.random(m) < sigmoid(2.0 + 0.5 * lat.q[owner]), rng.random(m) < 0.02
        ),
    }
    return frame(part, IP_ITEM_SCHEMA).select(list(IP_ITEM_SCHEMA))
