"""Money as integer fen, with exact decimal arithmetic and half-up rounding.

Use this module whenever an amount is computed, rounded, split or shown. Amounts are plain ``int`` fen
(1 元 = 100 分); rates are ``Decimal``. Floats never touch money: ``to_fen`` refuses them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分
FEN_PER_YI = 10_000 * FEN_PER_WAN  # 1 亿元 = 10,000 万元
# Bounds that keep every stored or computed value inside 64-bit columns: 10^17 fen (1,000万亿元) is far above any
# real figure or parameter, and 10^9 is more than any count or rank.
MAX_FEN = 10**17
MAX_COUNT = 10**9
AMOUNT_SUFFIXES = (
    ("亿元", FEN_PER_YI),
    ("亿", FEN_PER_YI),
    ("万元", FEN_PER_WAN),
    ("万", FEN_PER_WAN),
    ("分", 1),
)


class MoneyError(ValueError):
    """An amount or rate that cannot be used as money."""


MAX_EXPONENT = 18  # |value| < 10^19 — beyond any amount in fen or any count this platform handles
MIN_EXPONENT = -24


def in_range(value: Decimal) -> bool:
    """Whether a finite decimal is of a size the platform handles (so 1E+999999 never reaches ``int()``)."""
    return value == 0 or MIN_EXPONENT <= value.adjusted() <= MAX_EXPONENT


class OutOfRange(MoneyError):
    """A number too large or too small for the platform (see ``in_range``)."""


def _sized(value: Decimal, shown: object) -> Decimal:
    """``value`` when it is finite and of a size the platform handles; ``MoneyError`` otherwise."""
    if not value.is_finite():
        raise MoneyError(f"不是有限数值：{shown!r}")
    if not in_range(value):
        raise OutOfRange(f"数值超出范围：{shown!r}")
    return value


def _parsed(text: str, shown: object) -> Decimal:
    try:
        return _sized(Decimal(text.strip()), shown)
    except InvalidOperation:
        raise MoneyError(f"不是有效的数值：{shown!r}") from None


def decimal_from_text(text: str) -> Decimal:
    """A number typed by a person ("1,234.5"), exactly; ``MoneyError`` (``OutOfRange`` for an absurd size)."""
    return _parsed(text.replace(",", "").replace("，", ""), text)


def fen_from_text(text: str) -> Decimal:
    """An amount typed as fen or with 万/万元/亿/亿元 (or 分), in fen — not yet checked to be whole."""
    for suffix, factor in AMOUNT_SUFFIXES:
        if text.endswith(suffix):
            return decimal_from_text(text[: -len(suffix)]) * factor
    return decimal_from_text(text)


def to_decimal(value: object) -> Decimal:
    """Read a rate or ratio exactly. Strings, ints and Decimals are accepted; floats are refused."""
    if isinstance(value, bool | float):
        raise MoneyError(f"拒绝使用浮点数表示比例或金额: {value!r}")
    if isinstance(value, Decimal):
        return _sized(value, value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return _parsed(value, value)
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


def fen_to_wan(fen: int) -> Decimal:
    """fen → 万元, exactly (``12_345_600`` → ``Decimal("12.3456")``), e.g. to fill a form field typed in 万元."""
    value = (Decimal(fen) / FEN_PER_WAN).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


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
