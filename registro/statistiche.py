"""The waiting-time statistics, defined once: every published number (the stats tables, the
ricoveri tables, the regional merge, the site's monthly trend, the Conferenza and
Osservatorio tables, the open data) is computed with these expressions, so a definition
cannot drift between two outputs. The plain-Python oracle in the tests follows the same
definitions (tests/supporto/oracoli/stats.py).

- mean: 1 decimal, rounded **half up** exactly from integers (2.25 → 2.3; never a float's
  accident: 20.45 is 20.5);
- median: the middle value, or the mean of the two middle values when n is even;
- p90: nearest rank, the ⌈0.9·n⌉-th smallest value, ⌈0.9·n⌉ = (9n + 9) // 10;
- share within target: 3 decimals, half up, exactly.

The expressions are aggregations (inside `group_by().agg`) over integer days, except
`arrotonda`, `media` and `quota`, which take the sums an aggregation produced.
"""

from __future__ import annotations

import polars as pl

DECIMALI_MEDIA = 1
DECIMALI_QUOTA = 3


def arrotonda(numeratore: pl.Expr, denominatore: pl.Expr, decimali: int) -> pl.Expr:
    """numeratore / denominatore (integers, denominatore > 0) rounded half away from zero to
    `decimali` places, exactly: floor((2·10^d·|num| + den) / (2·den)) / 10^d, with the sign.
    Null when the denominator is 0 or null (integer division by zero is null in polars)."""
    scala = 10**decimali
    num = numeratore.cast(pl.Int64)
    den = denominatore.cast(pl.Int64)
    unita = (2 * scala * num.abs() + den) // (2 * den)
    # Polars may divide by a literal as a multiplication by its inverse (207 * 0.1 =
    # 20.700000000000003): rounding the quotient gives back the nearest float, 20.7.
    return ((num.sign() * unita) / scala).round(decimali)


def media(somma: pl.Expr, n: pl.Expr) -> pl.Expr:
    """The mean wait from the group's sum and count."""
    return arrotonda(somma, n, DECIMALI_MEDIA)


def quota(entro: pl.Expr, n: pl.Expr) -> pl.Expr:
    """The share within target from the count within target and the count."""
    return arrotonda(entro, n, DECIMALI_QUOTA)


def rango_p90(n: pl.Expr) -> pl.Expr:
    """0-based rank of the nearest-rank p90 among n sorted values."""
    return (9 * n + 9) // 10 - 1


def mediana(giorni: pl.Expr) -> pl.Expr:
    """Aggregation: polars' median of integers is the mean of the two middle values (exact:
    both are small integers), found by selection without a full sort."""
    return giorni.cast(pl.Int64).median()


def p90(giorni: pl.Expr) -> pl.Expr:
    """Aggregation: the nearest-rank p90 (one sort per group)."""
    return giorni.cast(pl.Int64).sort().get(rango_p90(pl.len().cast(pl.Int64)))


def al_rango(giorni: pl.Expr, conta: pl.Expr, rango: pl.Expr) -> pl.Expr:
    """Aggregation over a histogram (one row per distinct value with its count): the value
    at 0-based `rango` of the population, i.e. the least value whose cumulative count
    exceeds it. The regional merge adds histograms, never raw bookings."""
    ordine = giorni.arg_sort()
    return giorni.gather(ordine).filter(conta.gather(ordine).cum_sum() > rango).first()


def mediana_da_conteggi(giorni: pl.Expr, conta: pl.Expr) -> pl.Expr:
    n = conta.sum()
    return (al_rango(giorni, conta, (n - 1) // 2) + al_rango(giorni, conta, n // 2)) / 2


def p90_da_conteggi(giorni: pl.Expr, conta: pl.Expr) -> pl.Expr:
    return al_rango(giorni, conta, rango_p90(conta.sum()))
