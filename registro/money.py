"""Exact money: the register stores integer cents; Decimal euro at every edge, never floats."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def euro(cents: int | None) -> Decimal:
    """Cents as a Decimal amount in euro with two places (None counts as zero)."""
    return (Decimal(cents or 0) / 100).quantize(CENT)


def cents(amount: Decimal | str | int) -> int:
    """A euro amount (Decimal or its text, `,` or `.` as decimal mark) as integer cents."""
    value = Decimal(str(amount).strip().replace(",", "."))
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_euro(cents_value: int | None) -> str:
    """'25.82': decimal point, two places, as the CSV contracts want."""
    return f"{euro(cents_value):.2f}"


def format_euro_it(cents_value: int | None) -> str:
    """'€ 1.234,56': how an Italian reader expects an amount in a summary."""
    intero, frazione = f"{euro(cents_value):.2f}".split(".")
    gruppi = f"{int(intero):,}".replace(",", ".")
    return f"€ {gruppi},{frazione}"
