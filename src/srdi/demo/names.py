"""Company names and 统一社会信用代码 for demo enterprises, unique by construction.

USCCs: ``91`` (enterprise, company) + the district code + a 9-character organisation code + the GB 32100
check character. Enterprises founded before 2015 get an old-style organisation code (8 digits and the
GB 11714 check character); later ones get the ``MA`` form. The organisation code is an affine bijection of
the enterprise's ``eid`` (offset by the seed), so codes never repeat within one generated set.

Names: 杭州 + a two-character trade name (字号) + an industry word + 有限公司. When a name repeats, the later
enterprise (by ``eid``) gets a middle word (杭州恒达高科精密机械有限公司); if it still repeats, a numbered
suffix. Both steps run in ``eid`` order, so an enterprise's name does not depend on how many follow it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from srdi.demo.vocab import NAME_MIDDLES
from srdi.domain.uscc import CHARSET, WEIGHTS

_GB11714_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_DIGITS_MOD = 10**8
_MA_MOD = 31**6
_DIGITS_MUL = 73_939_133  # coprime with 10**8
_MA_MUL = 387_420_489  # 3**18, coprime with 31**6
MAX_ENTERPRISES = _DIGITS_MOD

_CHARSET_BYTES = np.frombuffer(CHARSET.encode("ascii"), dtype=np.uint8)
_ALNUM_VALUE = np.full(128, -1, dtype=np.int64)  # GB 11714: digits keep their value, A–Z are 10–35
for _i, _ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _ALNUM_VALUE[ord(_ch)] = _i
_GB32100_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _ch in enumerate(CHARSET):
    _GB32100_VALUE[ord(_ch)] = _i


def _gb11714_check(chars: np.ndarray) -> np.ndarray:
    """Check characters (as ASCII codes) for rows of 8 ASCII codes."""
    total = (_ALNUM_VALUE[chars] * _GB11714_WEIGHTS).sum(axis=1)
    c = 11 - total % 11
    return np.where(c == 10, ord("X"), np.where(c == 11, ord("0"), ord("0") + c)).astype(np.uint8)


def uscc_codes(
    eids: np.ndarray, districts: np.ndarray, old_style: np.ndarray, offsets: tuple[int, int]
) -> np.ndarray:
    """GB 32100-valid codes (``<U18`` array) for enterprises; ``offsets`` come from the seed."""
    n = len(eids)
    if n and int(eids.max()) >= MAX_ENTERPRISES:
        raise ValueError(f"演示数据最多生成 {MAX_ENTERPRISES} 家企业")
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, 0] = ord("9")
    out[:, 1] = ord("1")
    out[:, 2:8] = np.frombuffer("".join(districts.tolist()).encode("ascii"), dtype=np.uint8).reshape(n, 6)
    e = eids.astype(np.int64)
    # old style: 8 digits + check
    x = (e * _DIGITS_MUL + offsets[0]) % _DIGITS_MOD
    digits = np.empty((n, 8), dtype=np.uint8)
    for k in range(7, -1, -1):
        digits[:, k] = ord("0") + x % 10
        x //= 10
    # MA form: "MA" + 6 characters of the GB 32100 set + check
    y = (e * _MA_MUL + offsets[1]) % _MA_MOD
    ma = np.empty((n, 8), dtype=np.uint8)
    ma[:, 0] = ord("M")
    ma[:, 1] = ord("A")
    for k in range(7, 1, -1):
        ma[:, k] = _CHARSET_BYTES[y % 31]
        y //= 31
    org = np.where(old_style[:, None], digits, ma)
    out[:, 8:16] = org
    out[:, 16] = _gb11714_check(org)
    total = (_GB32100_VALUE[out[:, :17]] * np.array(WEIGHTS, dtype=np.int64)).sum(axis=1)
    out[:, 17] = _CHARSET_BYTES[(31 - total % 31) % 31]
    return out.view("S18").ravel().astype("U18")


def unique_names(trade: pl.Series, word: pl.Series) -> pl.Series:
    """杭州{trade}{word}有限公司, made unique in row order (rows must be in ``eid`` order)."""
    df = pl.DataFrame({"trade": trade, "word": word}).with_columns(
        name=pl.concat_str(pl.lit("杭州"), "trade", "word", pl.lit("有限公司"))
    )
    middles = pl.Series(NAME_MIDDLES)
    m = len(NAME_MIDDLES)
    df = df.with_columns(dup=pl.int_range(pl.len()).over("name"))
    dup = df["dup"].to_numpy()
    first = middles.gather(np.maximum(dup - 1, 0) % m)
    second = middles.gather(((np.maximum(dup - 1, 0) // m) + np.maximum(dup - 1, 0)) % m)
    df = df.with_columns(first=first, second=second).with_columns(
        name=pl.when(pl.col("dup") == 0)
        .then(pl.col("name"))
        .when(pl.col("dup") <= m)
        .then(pl.concat_str(pl.lit("杭州"), "trade", "first", "word", pl.lit("有限公司")))
        .otherwise(pl.concat_str(pl.lit("杭州"), "trade", "first", "second", "word", pl.lit("有限公司")))
    )
    # Whatever still repeats gets a numbered suffix; no other name has brackets, so this is final.
    df = df.with_columns(dup=pl.int_range(pl.len()).over("name")).with_columns(
        name=pl.when(pl.col("dup") == 0)
        .then(pl.col("name"))
        .otherwise(pl.concat_str("name", pl.lit("（"), (pl.col("dup") + 1).cast(pl.String), pl.lit("）")))
    )
    return df["name"]
