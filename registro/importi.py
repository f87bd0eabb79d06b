"""What a citizen pays for a service, as the register must say it (Carta §5.1: "l'ammontare
della somma da pagare da parte dell'assistito a tariffa intera, per ticket proporzionale o
per quota fissa").

Three amounts: the catalog's full tariff; the ticket, which is the tariff up to the ceiling
`ticket_massimo`; the region's fixed quota per prescription (`quota_fissa_ricetta`), which
is a separate amount and only exists where it is above zero. A service whose catalog entry
has no tariff has neither tariff nor ticket: the register says so, it never guesses one.
Integer cents throughout (registro.money), so the site and the open data agree to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from registro.money import cents, euro


def ticket_cent(tariffa_cent: int | None, massimo: Decimal) -> int | None:
    """The ticket of one service: its tariff, up to `massimo`; None without a tariff."""
    if tariffa_cent is None:
        return None
    return min(tariffa_cent, cents(massimo))


def ticket_cent_expr(tariffa_cent: pl.Expr, massimo: Decimal) -> pl.Expr:
    """`ticket_cent` as a polars expression; a null tariff stays null (`min_horizontal`
    alone would skip the null and give the ceiling)."""
    tetto = pl.lit(cents(massimo), dtype=pl.Int64)
    return (pl.when(tariffa_cent.is_null()).then(pl.lit(None, dtype=pl.Int64))
            .when(tariffa_cent > tetto).then(tetto).otherwise(tariffa_cent).cast(pl.Int64))


def quota_fissa_cent(quota: Decimal) -> int | None:
    """The fixed quota per prescription in cents, None when the region sets none (zero)."""
    valore = cents(quota)
    return valore if valore > 0 else None


@dataclass(frozen=True)
class Importi:
    """The three amounts of one service in euro; None where there is nothing to show."""

    tariffa: Decimal | None
    ticket: Decimal | None
    quota_fissa: Decimal | None


def importi(tariffa_cent: int | None, *, ticket_massimo: Decimal,
            quota_fissa_ricetta: Decimal) -> Importi:
    ticket = ticket_cent(tariffa_cent, ticket_massimo)
    quota = quota_fissa_cent(quota_fissa_ricetta)
    return Importi(tariffa=euro(tariffa_cent) if tariffa_cent is not None else None,
                   ticket=euro(ticket) if ticket is not None else None,
                   quota_fissa=euro(quota) if quota is not None else None)
