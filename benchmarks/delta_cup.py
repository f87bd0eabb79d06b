"""A nightly CUP delta for measuring the incremental check (docs/scala.md, "il percorso
notturno"): new bookings plus newer versions of a sample of the base export's bookings.

    .venv/bin/python benchmarks/delta_cup.py --base cup.csv --nuove-frazione 0.01 \
        --aggiornate-frazione 0.005 --seed 2 --out delta.csv

- new rows: synthetic bookings of the same year (`cup.synthetic`, another seed), their ids
  renumbered `D<seed>-…` so that they never collide with the base's `P<anno>-…`;
- updated rows: a random sample of the base with the appointment (and the report's
  collection, when there is one) moved three days later, and `aggiornato_il` one day after
  the base's latest, so that the ingest takes them as newer versions.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import polars as pl

from cup.synthetic import genera_prenotazioni


def _sposta(colonna: str, giorni: int, formato: str) -> pl.Expr:
    return (pl.col(colonna).str.to_datetime(strict=False) + pl.duration(days=giorni)
            ).dt.strftime(formato)


def delta(base: pl.DataFrame, nuove_frazione: float, aggiornate_frazione: float, seed: int
          ) -> pl.DataFrame:
    anno = base.select(pl.col("data_prenotazione").str.slice(0, 4).cast(pl.Int32).max()).item()
    ultimo = base.select(pl.col("aggiornato_il").str.to_datetime(strict=False).max()).item()
    dopo = f"{ultimo + timedelta(days=1):%Y-%m-%dT%H:%M}"

    n_nuove = round(base.height * nuove_frazione)
    nuove = genera_prenotazioni(n_nuove, seed=seed + 1000, anno=anno).with_columns(
        id_prenotazione=pl.lit(f"D{seed}-") + pl.int_range(pl.len()).cast(pl.String)
        .str.zfill(7)) if n_nuove else base.clear()

    n_agg = round(base.height * aggiornate_frazione)
    aggiornate = base.sample(n_agg, seed=seed).with_columns(
        data_appuntamento=_sposta("data_appuntamento", 3, "%Y-%m-%dT%H:%M"),
        data_ritiro_referto=_sposta("data_ritiro_referto", 3, "%Y-%m-%d"),
        aggiornato_il=pl.lit(dopo),
    )
    return pl.concat([nuove.select(base.columns), aggiornate.select(base.columns)])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", type=Path, required=True)
    p.add_argument("--nuove-frazione", type=float, default=0.01)
    p.add_argument("--aggiornate-frazione", type=float, default=0.005)
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    base = pl.read_csv(a.base, infer_schema=False)
    esito = delta(base, a.nuove_frazione, a.aggiornate_frazione, a.seed)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    esito.write_csv(a.out, null_value="")
    print(f"{a.out}: {esito.height} righe")


if __name__ == "__main__":
    main()
