"""`registro report osservatorio`: the machine-readable return for the Osservatorio regionale.

One row per lettura × prestazione × sede × classe di priorità (ex ante and ex post), with the
statistics of `reports.stats.tabella_prestazioni` (same definitions, computed by it, one
priority class at a time when the profile's targets ignore the class) and the histogram of
the waits in whole days, `istogramma`, a compact JSON object {"giorni": count} over the
bookings in guarantee: summing the histograms of several authorities gives the exact n,
median, p90 and share within target of the merged population.

Files: `osservatorio.csv`, `osservatorio.json` (a list of objects, the same columns) and
`schema.json` (Frictionless Table Schema). Not suppressed: it is an institutional return of
aggregates, and suppression would make the regional merge inexact.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from registro import colonnare
from registro.csvsafe import scrivi_csv, scrivi_json
from registro.periodo import Periodo
from registro.rules import deriva
from registro.settings import Settings
from registro.standards import Profilo, carica_profilo
from reports.stats import CHIAVI, COLONNE_LETTE, Lettura, nel_periodo, tabella_prestazioni

LETTURE: tuple[Lettura, ...] = ("ex_ante", "ex_post")

CAMPI: list[tuple[str, str, str]] = [
    ("ente", "string", "L'azienda sanitaria che trasmette (impostazione `ente`)."),
    ("periodo", "string", "Periodo: AAAA, AAAA-H1/H2, AAAA-Q1..Q4 o AAAA-MM."),
    ("lettura", "string", "ex_ante: prenotazioni effettuate nel periodo, attesa fino alla "
                          "data assegnata; ex_post: prestazioni erogate nel periodo."),
    ("profilo", "string", "Profilo degli standard: carta1995 o pngla."),
    ("codice_prestazione", "string", "Codice del nomenclatore."),
    ("codice_sede", "string", "Codice della sede di erogazione."),
    ("classe_priorita", "string", "U, B, D, P; vuoto se non indicata."),
    ("n", "integer", "Prenotazioni in garanzia."),
    ("attesa_media", "number", "Attesa media in giorni, 1 decimale, arrotondata per eccesso "
                               "da 0,05."),
    ("attesa_mediana", "number", "Mediana (media dei due valori centrali se n è pari)."),
    ("attesa_p90", "integer", "90° percentile, rango più vicino: il ⌈0,9·n⌉-esimo valore."),
    ("standard_giorni", "integer", "Standard in giorni applicato al gruppo."),
    ("quota_entro_standard", "number", "Quota con attesa ≤ standard, 3 decimali."),
    ("n_fuori_garanzia", "integer", "Prenotazioni del gruppo fuori garanzia (controlli, "
                                    "scelte dell'utente, senza standard)."),
    ("istogramma", "string", "Oggetto JSON {\"giorni\": conteggio} delle attese in giorni "
                             "interi delle prenotazioni in garanzia; la somma dei conteggi "
                             "è n."),
]
COLONNE = [c for c, _, _ in CAMPI]
CHIAVE_PRIMARIA = ["periodo", "lettura", "codice_prestazione", "codice_sede",
                   "classe_priorita"]


def _per_classe(lf: pl.LazyFrame, profilo: Profilo, periodo: Periodo, lettura: Lettura
                ) -> pl.DataFrame:
    if profilo.per_classe:
        return tabella_prestazioni(lf, profilo=profilo, periodo=periodo, lettura=lettura)
    classi = lf.select(pl.col("classe_priorita").unique()).collect().to_series().to_list()
    pezzi = []
    for classe in sorted(classi, key=lambda c: (c is not None, c or "")):
        filtro = (pl.col("classe_priorita").is_null() if classe is None
                  else pl.col("classe_priorita") == classe)
        pezzi.append(tabella_prestazioni(lf.filter(filtro), profilo=profilo, periodo=periodo,
                                         lettura=lettura)
                     .with_columns(classe_priorita=pl.lit(classe, dtype=pl.String)))
    return pl.concat(pezzi) if pezzi else tabella_prestazioni(
        lf, profilo=profilo, periodo=periodo, lettura=lettura)


def _istogrammi(lf: pl.LazyFrame, profilo: Profilo, periodo: Periodo, lettura: Lettura
                ) -> pl.DataFrame:
    """{"giorni": conteggio} per group, days ascending: the text `json.dumps` would write
    with compact separators, built as strings by polars (no Python loop over the groups)."""
    coppia = pl.format('"{}":{}', "attesa_giorni", "conta")
    return (deriva(lf.filter(nel_periodo(lettura, periodo)), profilo)
            .filter(pl.col("in_garanzia"))
            .group_by(*CHIAVI, "attesa_giorni").agg(conta=pl.len())
            .group_by(CHIAVI)
            .agg(istogramma=pl.lit("{") + coppia.sort_by("attesa_giorni").str.join(",")
                 + pl.lit("}"))
            .select(*(pl.col(c).cast(pl.String) for c in CHIAVI), "istogramma")
            .collect())


def tabella(*, engine: Engine, settings: Settings, periodo: Periodo) -> pl.DataFrame:
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    return righe(colonnare.prenotazioni(engine, settings, colonne=COLONNE_LETTE),
                 profilo=profilo, periodo=periodo,
                 ente=settings.ente)


def righe(lf: pl.LazyFrame, *, profilo: Profilo, periodo: Periodo, ente: str) -> pl.DataFrame:
    """The return's rows from bookings carrying their catalog `tipo`."""
    pezzi = []
    for lettura in LETTURE:
        stat = _per_classe(lf, profilo, periodo, lettura)
        isto = _istogrammi(lf, profilo, periodo, lettura)
        pezzi.append(stat.join(isto, on=CHIAVI, how="left", nulls_equal=True).with_columns(
            ente=pl.lit(ente), lettura=pl.lit(lettura), profilo=pl.lit(profilo.nome),
            istogramma=pl.col("istogramma").fill_null("{}")))
    return pl.concat(pezzi).select(COLONNE).sort(
        ["lettura", *CHIAVI], nulls_last=False)


def schema() -> dict[str, object]:
    """The Frictionless Table Schema of osservatorio.csv / .json."""
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": "tempi-attesa-osservatorio",
        "title": "Tempi di attesa delle prestazioni specialistiche per l'Osservatorio "
                 "regionale",
        "fields": [{"name": n, "type": t, "description": d,
                    **({"constraints": {"required": True}}
                       if n in ("ente", "periodo", "lettura", "codice_prestazione",
                                "codice_sede", "n") else {})}
                   for n, t, d in CAMPI],
        "primaryKey": CHIAVE_PRIMARIA,
        "missingValues": [""],
    }


def genera(*, engine: Engine, settings: Settings, periodo: Periodo, cartella: Path
           ) -> list[Path]:
    df = tabella(engine=engine, settings=settings, periodo=periodo)
    cartella.mkdir(parents=True, exist_ok=True)
    schema_path = cartella / "schema.json"
    schema_path.write_text(json.dumps(schema(), ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
    return [scrivi_csv(df, cartella / "osservatorio.csv"),
            scrivi_json(df, cartella / "osservatorio.json"), schema_path]
