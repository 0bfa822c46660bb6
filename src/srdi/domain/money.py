"""Money as integer fen, with exact decimal arithmetic and half-up rounding.

Use this module whenever an amount is computed, rounded, split or shown. Amounts are plain ``int`` fen
(1 元 = 100 分); rates are ``Decimal``. Floats never touch money: ``to_fen`` refuses them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分


class MoneyError(ValueError):
    """An amount or rate that cannot be used as money."""


MAX_EXPONENT = 18  # |value| < 10^19 — beyond any amount in fen or any count this platform handles
MIN_EXPONENT = -24


def in_range(value: Decimal) -> bool:
    """Whether a finite decimal is of a size the platform handles (so 1E+999999 never reaches ``int()``)."""
    return value == 0 or MIN_EXPONENT <= value.adjusted() <= MAX_EXPONENT


def to_decimal(value: object) -> Decimal:
    """Read a rate or ratio exactly. Strings, ints and Decimals are accepted; floats are refused."""
    if isinstance(value, bool | float):
        raise MoneyError(f"拒绝使用浮点数表示比例或金额: {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"不是有限数值: {value!r}")
        if not in_range(value):
            raise MoneyError(f"数值超出范围: {value!r}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyError(f"不是有效的数值: {value!r}") from exc
        if not result.is_finite():
            raise MoneyError(f"不是有限数值: {value!r}")
        if not in_range(result):
            raise MoneyError(f"数值超出范围: {value!r}")
        return result
    raise MoneyError(f"不支持的数值类型: {type(value).__name__}")


def round_half_up(value: Decimal) -> int:
    """Round a fen amount given as Decimal to whole fen, halves away from zero (四舍五入)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apply_rate(base_fen: int, rate: Decimal) -> int:
    """``base × rate`` rounded half-up to the fen."""
    return round_half_up(Decimal(base_fen) * rate)


def cap(amount_fen: int, cap_fen: int | None) -> int:
    """The amount limited by a cap (``None`` means no cap). Caps apply after rounding."""
    return amount_fen if cap_fen is None else min(amount_fen, cap_fen)


def split_city_district(amount_fen: int, city_share: Decimal) -> tuple[int, int]:
    """Split an amount between the city and the district budgets.

    The district part is ``amount × (1 − city_share)`` rounded half-up; the city takes the remainder, so the
    two parts always add up to the amount, to the fen.
    """
    if not Decimal(0) <= city_share <= Decimal(1):
        raise MoneyError(f"市级分担比例必须在 0 与 1 之间: {city_share}")
    district = round_half_up(Decimal(amount_fen) * (Decimal(1) - city_share))
    return amount_fen - district, district


def wan_to_fen(wan: Decimal | int | str) -> int:
    """万元 → fen, exactly (refuses fractions of a fen)."""
    value = to_decimal(wan) * FEN_PER_WAN
    if value != value.to_integral_value():
        raise MoneyError(f"{wan} 万元不是整数分")
    return int(value)


def format_yuan(fen: int | None) -> str:
    """``123456`` → ``¥1,234.56``; ``None`` → ``—`` (unknown, never 0)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"


def format_wan(fen: int | None) -> str:
    """``1_000_000_00`` fen → ``100万元``; keeps up to 4 decimals of 万, trimmed."""
    if fen is None:
        return "—"
    value = Decimal(fen) / FEN_PER_WAN
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{text}万元"
