"""The nightly path of `registro check`: after a CUP delta, re-derive only what the delta and
the passing of time can have changed, and leave the register exactly as a full check would.

What makes a booking's outcome differ from the last check's:

- **its version changed.** The ingest resets every derived column, `verificata_il`
  included, on insert and update (cup.ingest `derivati`), and every check stamps each
  booking it derives: `verificata_il IS NULL` is the delta, new and updated bookings alike
  (a partial index holds exactly those rows, migration 0016: read without a table scan).
- **the reference date moved.** Derived fields do not read `oggi`, sanctions do
  (registro.sanzioni): a no-show or late cancellation counts once its appointment's date is
  on or before `oggi`, a report not collected once `oggi` is past the appointment's date +
  `termine_ritiro_referto_giorni`. Moving from the last reference date P to O ≥ P changes
  exactly the bookings with appointment date in (P, O] or in [P − term, O − term): those are
  reconciled again. A reference date *before* the last one means a full check.
- **the settings, the profile or the catalog changed.** Everything the derivation reads
  besides the bookings - the profile (with the local standards file's rules), the sanctions
  regime and amounts, the notice hours, the exempt causali, the working-day settings, the
  report term, and the catalog's types, periodicity and tariffs - goes into one fingerprint
  (`firma`); a different fingerprint means a full check.
- **another booking of its agenda changed.** `fuori_ordine` counts overtakes within one
  codice_prestazione × codice_sede: only the pairs with a changed booking are counted again
  (registro.ordine `fuori_ordine_dopo`: an unchanged booking's recorded count gains the new
  versions it overtook and loses the old versions it had overtaken, a new version is counted
  against its whole agenda), and the bookings whose count differs from the recorded one get
  it written (only the count: `Delta.solo_ordine`, unless the window below re-derives them).

The register as of the last check is its columnar mirror: the check wrote it, stamped with
the register's impronta, and the table `verifica` records that impronta. When the mirror
still carries it, mirror minus the delta's old versions plus the delta (read from the
database) is the register now, without reading a million rows back through the driver: the
agendas, the bookings whose date entered the window and the new mirror all come from it.
No such mirror (missing, rebuilt by a reader, damaged: `verifica.copia_sha256` keeps the
digest of the dataset the check wrote, its files' paths and SHA-256, and only those very
files are trusted), no record, another fingerprint: full check. The statistics printed (in
garanzia, superamenti, ...) are over the whole register either way.

The incremental check holds the whole register in memory (the mirror and the delta): it
runs only while the register fits one pass of the full check (`check_righe_per_passo`), so
that the check's memory stays bounded by that setting either way; a larger register is
checked in full, by passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine

from registro import colonnare, db
from registro.letture import SCHEMA_LETTURA, leggi_prenotazioni
from registro.ordine import fuori_ordine_dopo
from registro.rules import deriva, garanzia
from registro.sanzioni import RegimeSanzioni
from registro.settings import Settings
from registro.standards import Profilo

AGENDA = ["codice_prestazione", "codice_sede"]


@dataclass(frozen=True)
class Ultima:
    """What the last check recorded (table `verifica`)."""

    riferimento: date
    firma: str
    impronta: str
    copia_sha256: str | None


def firma(engine: Engine, settings: Settings, profilo: Profilo, regime: RegimeSanzioni, *,
          conn: object) -> str:
    """The fingerprint of everything the derivation and the sanctions read besides the
    bookings (see the module's docstring); sets sorted, so that it is the same in every
    process."""
    h = hashlib.sha256()
    h.update(repr((profilo.nome, profilo.specialistica, profilo.ricoveri,
                   sorted(profilo.classi_fuori_garanzia),
                   profilo.periodiche_fuori_garanzia)).encode())
    if settings.standard_locali is not None:
        h.update(Path(settings.standard_locali).read_bytes())
    campi = asdict(regime)
    campi["causali_esenti"] = regime.esenti_normalizzate()
    h.update(repr(sorted(campi.items())).encode())
    catalogo = db.read_frame(
        engine, "SELECT codice, tipo, periodica, tariffa_cent FROM prestazione ORDER BY codice",
        {"codice": pl.String(), "tipo": pl.String(), "periodica": pl.Boolean(),
         "tariffa_cent": pl.Int64()}, conn=conn)
    for riga in catalogo.iter_rows():
        h.update(repr(riga).encode())
    return h.hexdigest()


def ultima(engine: Engine, *, conn: object) -> Ultima | None:
    righe = db.read_frame(
        engine, "SELECT CAST(riferimento AS VARCHAR(10)) AS riferimento, firma, impronta, "
                "copia_sha256 FROM verifica WHERE id = 1",
        {"riferimento": pl.String(), "firma": pl.String(), "impronta": pl.String(),
         "copia_sha256": pl.String()},
        conn=conn)
    if righe.height == 0:
        return None
    r = righe.row(0, named=True)
    return Ultima(date.fromisoformat(r["riferimento"][:10]), r["firma"], r["impronta"],
                  r["copia_sha256"])


def registra(conn: object, oggi: date, firma_: str, impronta: str, quando: datetime,
             copia_sha256: str | None) -> None:
    """Record this check (same transaction as its writes), with the digest of the mirror
    it is about to put in place (`colonnare.digest`; None: it wrote none)."""
    sha = f"'{copia_sha256}'" if copia_sha256 else "NULL"
    db.execute(conn, "DELETE FROM verifica")
    db.execute(conn, "INSERT INTO verifica (id, riferimento, firma, impronta, copia_sha256, "
                     f"completata_il) VALUES (1, '{oggi.isoformat()}', '{firma_}', "
                     f"'{impronta}', {sha}, '{quando:%Y-%m-%d %H:%M:%S.%f}')")


def registra_copia(engine: Engine, conn: object, quando: datetime, copia_sha256: str
                   ) -> bool:
    """The digest of the mirror of the check recorded at `quando` (the incremental check
    commits before its mirror is encoded: registro.check `_registra_copia`); False when the
    record is another check's by now (nothing written). The caller commits."""
    istante = f"'{quando:%Y-%m-%d %H:%M:%S.%f}'"
    db.execute(conn, f"UPDATE verifica SET copia_sha256 = '{copia_sha256}' WHERE id = 1 "
                     f"AND completata_il = {istante}")
    # read back in the same transaction (SQLite's driver gives no row count)
    nostro = db.read_frame(
        engine, "SELECT COUNT(*) AS n FROM verifica WHERE id = 1 AND completata_il = "
                f"{istante} AND copia_sha256 = '{copia_sha256}'", {"n": pl.Int64()},
        conn=conn)
    return bool(nostro["n"].item() == 1)


def base(engine: Engine, settings: Settings, ultima_: Ultima | None, firma_: str, oggi: date
         ) -> colonnare.Letta | None:
    """The register as of the last check (its mirror, and the version of it read), when an
    incremental check is safe; None when a full check is needed."""
    if (ultima_ is None or ultima_.firma != firma_ or oggi < ultima_.riferimento
            or ultima_.copia_sha256 is None):
        return None
    # The very dataset the last check wrote, not one a reader rebuilt since under the same
    # impronta (a reader that read the database while that check was running would have
    # written the values before it): anything else, a full check.
    return colonnare.leggi_se(settings, ultima_.impronta, settings.check_righe_per_passo,
                              ultima_.copia_sha256)


@dataclass
class Delta:
    """The register now (`attuale`, SCHEMA_LETTURA with the recounted `fuori_ordine`) and
    the bookings to re-derive and reconcile (`ricalcolo`, a subset of its rows)."""

    attuale: pl.DataFrame
    ricalcolo: pl.DataFrame
    solo_ordine: pl.DataFrame
    """The unchanged bookings outside the window whose `fuori_ordine` alone moved
    (`id_prenotazione`, `fuori_ordine`, in key order): nothing else of theirs can differ
    (their version, the settings and the sanctions' window did not move, and neither the
    other derived fields nor the sanctions read `fuori_ordine`), so they skip the derivation
    and the reconciliation and get only their count written: about a third of a nightly
    delta's re-derived bookings at 1 M."""
    nuove: int
    anni_toccati: set[int | None]
    """The years (of `data_prenotazione`, the mirror's partitions) holding a row that is not
    in the last check's mirror as it was, or was there and is no more: only these partitions
    of the mirror are written again (colonnare.Scrittore.aggiorna)."""


def delta(engine: Engine, vecchio: pl.DataFrame, profilo: Profilo, regime: RegimeSanzioni,
          precedente: date, oggi: date, *, conn: object) -> Delta:
    """Fold the ingested delta into the last check's picture and say what to re-derive."""
    anno = pl.col("data_prenotazione").dt.year()
    # by year (stable: within a year, in the order read), so that the register now is a few
    # runs of one year each and the mirror's partitions are slices of it (colonnare)
    cambiate = leggi_prenotazioni(engine, "p.verificata_il IS NULL", conn=conn).sort(
        anno, nulls_last=True, maintain_order=True)
    vecchio = vecchio.select(pl.col(c).cast(t) for c, t in SCHEMA_LETTURA.items())
    cambiata = vecchio["id_prenotazione"].is_in(cambiate["id_prenotazione"].implode())
    prima = vecchio.filter(cambiata)
    invariate = vecchio.filter(~cambiata)
    del vecchio

    # only the pairs with a changed booking are counted again (registro.ordine)
    in_garanzia = garanzia(cambiate.lazy(), profilo).select("in_garanzia").collect()
    conteggi, nuovi = fuori_ordine_dopo(invariate, prima,
                                        cambiate.with_columns(in_garanzia.to_series()))
    contato = conteggi.ne_missing(invariate["fuori_ordine"])
    n_invariate = invariate.height
    attuale = pl.concat([invariate.with_columns(conteggi),
                         cambiate.with_columns(nuovi)])
    del invariate

    # the bookings whose sanctions the move of the reference date can have changed
    giorno = pl.col("data_appuntamento").cast(pl.Date)
    termine = timedelta(days=regime.termine_ritiro_referto_giorni)
    finestra = (((giorno > precedente) & (giorno <= oggi))
                | ((giorno >= precedente - termine) & (giorno < oggi - termine))).fill_null(False)
    # the changed bookings and the window are derived again; the unchanged ones whose count
    # moved, outside the window, only get their count written
    diverse = pl.concat([contato, pl.Series(np.ones(cambiate.height, dtype=bool))])
    cambiata_ora = pl.concat([pl.Series(np.zeros(n_invariate, dtype=bool)),
                              pl.Series(np.ones(cambiate.height, dtype=bool))])
    ricalcolo = attuale.filter(pl.lit(cambiata_ora) | finestra)
    solo_ordine = attuale.filter(pl.lit(diverse) & ~(pl.lit(cambiata_ora) | finestra)).select(
        "id_prenotazione", "fuori_ordine").sort("id_prenotazione")
    # the mirror's years whose rows differ: the old versions' and the changed rows'
    # (the rows picked first: the year of a million timestamps is not free)
    anni = pl.concat([prima["data_prenotazione"],
                      attuale["data_prenotazione"].filter(diverse)]).dt.year().unique()
    return Delta(attuale=attuale, ricalcolo=ricalcolo, solo_ordine=solo_ordine,
                 nuove=cambiate.height,
                 anni_toccati=set(anni.to_list()))


def totali(attuale: pl.DataFrame, profilo: Profilo) -> dict[str, int]:
    """The summary's counts over the whole register, as a full check reports them."""
    riga = deriva(attuale.lazy(), profilo).select(
        in_garanzia=pl.col("in_garanzia").sum(),
        superamenti=pl.col("superamento").sum(),
        prenotazioni_fuori_ordine=(pl.col("fuori_ordine").fill_null(0) > 0).sum(),
    ).collect().row(0, named=True)
    return {k: int(v or 0) for k, v in riga.items()}
