"""Pubblica tutela in the reports: the semestral tutela section of the Conferenza dei Sindaci
report (Carta §3.3 C: "semestralmente, le segnalazioni pervenute, nonché le determinazioni
dell'U.R.P. ... trasmesse ... alla Conferenza dei Sindaci") and the Direttore Sanitario's
`tutela_in_ritardo` list.

Aggregates only, and never the citizen's contact: the segnalazioni are read without it (the
contact table is not even joined).

The section, for a period P (the report's):
- `tutela.csv`, one row per (dimensione, voce): the reports *received* in P counted by kind
  (`tipo`), channel (`canale`), service (`servizio`, "non indicato" when empty) and outcome
  (`esito`) as it stood on P's last day: the outcome that stands (the riesame's once
  concluded), `in_riesame` while a riesame is open, `in_istruttoria` before any reply.
  Kinds, channels and outcomes are listed even at zero. Counts by service between 1 and
  `soglia_pubblicazione` − 1 are emptied (a small unit's complaints can point at a person);
  the authority-wide totals are published as they are, like the bonum and malum counts.
- `tutela_riepilogo.csv`, one row per indicator: reports received, of which filed late
  (Art. 3); replies *given* in P (at once or by letter) — the determinazioni of the period,
  whenever the report arrived —, of which at once; the median days from receipt to reply,
  the share of replies within the reply term, the share of replied reports that met every
  term of the regolamento on the way; riesami asked and concluded in P; reports with an
  overdue term on P's last day. Days are counted as the setting `tutela_calendario` says.
  The median and the shares over fewer than `soglia_pubblicazione` replies are
  "dati insufficienti" (emptied, `soppresso` true).
Steps dated after P's last day are not seen (regole.al_giorno): a later run for the same
period gives the same figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine

from registro import db
from registro.periodo import Periodo
from registro.settings import Settings
from registro.soppressione import sopprimi_conteggio
from registro.tutela import regole
from registro.types import CANALI_SEGNALAZIONE, ESITI_SEGNALAZIONE, TIPI_SEGNALAZIONE

COLONNE_SEGNALAZIONE: dict[str, pl.DataType] = {
    "id": pl.Int64(), "canale": pl.String(), "tipo": pl.String(), "servizio": pl.String(),
    "ricevuta_il": pl.Date(), "data_conoscenza": pl.Date(), "stato": pl.String(),
    "esito": pl.String(), "esito_riesame": pl.String(), "esito_commissione": pl.String(),
    "presentata_da": pl.String(), "urgente": pl.Boolean(),
    **{c: pl.Date() for c in regole.COLONNA_DATA.values() if c != "ricevuta_il"},
}
"""What the reports read of a segnalazione: no contact, no free text."""

ESITI_REPORT = (*ESITI_SEGNALAZIONE, "in_riesame", "in_istruttoria")
DIMENSIONI = ("tipo", "canale", "servizio", "esito")
NON_INDICATO = "non indicato"
SCHEMA_CONTEGGI: dict[str, pl.DataType] = {"dimensione": pl.String(), "voce": pl.String(),
                                           "n": pl.Int64()}
SCHEMA_RIEPILOGO: dict[str, pl.DataType] = {"indicatore": pl.String(),
                                            "descrizione": pl.String(),
                                            "valore": pl.String(), "soppresso": pl.Boolean()}


def leggi_segnalazioni(engine: Engine) -> pl.DataFrame:
    colonne = ", ".join(COLONNE_SEGNALAZIONE)
    return db.read_frame(engine, f"SELECT {colonne} FROM segnalazione ORDER BY id",
                         COLONNE_SEGNALAZIONE)


# --- the semestral section ------------------------------------------------------------------

def _nel(d: date | None, periodo: Periodo) -> bool:
    return d is not None and periodo.inizio <= d < periodo.fine


def _derivate(segnalazioni: pl.DataFrame, termini: regole.Termini, periodo: Periodo
              ) -> pl.DataFrame:
    """One row per segnalazione received by the period's end, as it stood then, with what
    the rules derive (the working-day calendar is Python: computed per row here, aggregated
    by polars after)."""
    ultimo = periodo.fine - timedelta(days=1)
    righe: list[dict[str, Any]] = []
    for s in segnalazioni.filter(pl.col("ricevuta_il") <= ultimo).iter_rows(named=True):
        v = regole.al_giorno(s, ultimo)
        risposta = regole.data_risposta(v)
        scad = regole.scadenze(v, termini)
        termine_risposta = next(x for x in scad if x.termine == "risposta")
        if v["stato"] == "riesame":
            esito = "in_riesame"
        else:
            esito = regole.esito_finale(v) or "in_istruttoria"
        righe.append({
            "ricevuta_nel_periodo": _nel(v["ricevuta_il"], periodo),
            "tipo": v["tipo"], "canale": v["canale"],
            "servizio": v["servizio"] or NON_INDICATO, "esito": esito,
            "tardiva": regole.tardiva(v, termini),
            "risposta_nel_periodo": _nel(risposta, periodo),
            "immediata": _nel(v["risolta_il"], periodo),
            "giorni_risposta": (termini.giorni_tra(v["ricevuta_il"], risposta)
                                if risposta is not None else None),
            "risposta_nei_termini": bool(termine_risposta.nei_termini),
            "tutti_nei_termini": all(x.nei_termini for x in scad),
            "riesame_chiesto": _nel(v["riesame_il"], periodo),
            "riesame_concluso": _nel(v["riesame_concluso_il"], periodo),
            "in_ritardo": bool(regole.in_ritardo(v, termini, ultimo)),
        })
    return pl.DataFrame(righe, schema={
        "ricevuta_nel_periodo": pl.Boolean(), "tipo": pl.String(), "canale": pl.String(),
        "servizio": pl.String(), "esito": pl.String(), "tardiva": pl.Boolean(),
        "risposta_nel_periodo": pl.Boolean(), "immediata": pl.Boolean(),
        "giorni_risposta": pl.Int64(), "risposta_nei_termini": pl.Boolean(),
        "tutti_nei_termini": pl.Boolean(), "riesame_chiesto": pl.Boolean(),
        "riesame_concluso": pl.Boolean(), "in_ritardo": pl.Boolean()}, orient="row")


def _quota(k: int, n: int) -> str:
    """k/n to 3 decimals, half up, exact from the integers."""
    millesimi = (2000 * k + n) // (2 * n)
    return f"{millesimi // 1000}.{millesimi % 1000:03d}"


def conteggi(derivate: pl.DataFrame, *, soglia: int) -> pl.DataFrame:
    """`tutela.csv`: received in the period, by kind, channel, service and outcome."""
    ricevute = derivate.lazy().filter(pl.col("ricevuta_nel_periodo"))
    fissi = {"tipo": TIPI_SEGNALAZIONE, "canale": CANALI_SEGNALAZIONE, "esito": ESITI_REPORT}
    pezzi = []
    for dimensione in DIMENSIONI:
        conta = (ricevute.group_by(dimensione).agg(n=pl.len().cast(pl.Int64))
                 .rename({dimensione: "voce"}))
        if dimensione in fissi:
            voci = pl.LazyFrame({"voce": list(fissi[dimensione])},
                                schema={"voce": pl.String()})
            conta = (voci.join(conta, on="voce", how="left", maintain_order="left")
                     .with_columns(pl.col("n").fill_null(0)))
        else:
            conta = sopprimi_conteggio(conta.sort("voce").collect(), soglia=soglia,
                                       colonne=["n"]).lazy()
        pezzi.append(conta.select(pl.lit(dimensione).alias("dimensione"), "voce", "n"))
    return pl.concat(pezzi).collect().cast(SCHEMA_CONTEGGI)  # type: ignore[arg-type]


def riepilogo(derivate: pl.DataFrame, *, termini: regole.Termini, soglia: int
              ) -> pl.DataFrame:
    """`tutela_riepilogo.csv`: the indicators, as text (counts, a median with one decimal,
    shares with three)."""
    tot = derivate.select(
        ricevute=pl.col("ricevuta_nel_periodo").sum(),
        tardive=(pl.col("ricevuta_nel_periodo") & pl.col("tardiva")).sum(),
        risposte=pl.col("risposta_nel_periodo").sum(),
        immediate=pl.col("immediata").sum(),
        mediana=pl.col("giorni_risposta").filter(pl.col("risposta_nel_periodo")).median(),
        nei_termini=(pl.col("risposta_nel_periodo") & pl.col("risposta_nei_termini")).sum(),
        tutti=(pl.col("risposta_nel_periodo") & pl.col("tutti_nei_termini")).sum(),
        riesami_chiesti=pl.col("riesame_chiesto").sum(),
        riesami_conclusi=pl.col("riesame_concluso").sum(),
        in_ritardo=pl.col("in_ritardo").sum(),
    ).row(0, named=True)
    n = int(tot["risposte"] or 0)
    pochi = n < soglia
    unita = termini.unita

    def riga(indicatore: str, descrizione: str, valore: str | None, soppresso: bool = False
             ) -> dict[str, Any]:
        return {"indicatore": indicatore, "descrizione": descrizione,
                "valore": None if soppresso else valore, "soppresso": soppresso}

    mediana = None if tot["mediana"] is None else f"{float(tot['mediana']):.1f}"
    return pl.DataFrame([
        riga("ricevute", "Segnalazioni ricevute nel periodo", str(int(tot["ricevute"] or 0))),
        riga("tardive", "di cui presentate oltre i "
             f"{termini.ritardo_segnalazione} {unita} dalla conoscenza del fatto (art. 3)",
             str(int(tot["tardive"] or 0))),
        riga("risposte", "Risposte date nel periodo (immediate o con lettera)", str(n)),
        riga("risposte_immediate", "di cui soluzioni immediate",
             str(int(tot["immediate"] or 0))),
        riga("mediana_giorni_risposta",
             f"Mediana dei giorni dal ricevimento alla risposta ({unita})", mediana, pochi),
        riga("quota_risposta_nei_termini",
             f"Quota di risposte entro {termini.risposta} {unita} dal ricevimento",
             _quota(int(tot["nei_termini"]), n) if n else None, pochi),
        riga("quota_tutti_i_termini",
             "Quota di risposte con tutti i termini del regolamento rispettati "
             f"(trasmissione {termini.trasmissione}, informazione dei servizi "
             f"{termini.informazione_servizi}, loro risposta {termini.risposta_servizi}, "
             f"risposta {termini.risposta} {unita})",
             _quota(int(tot["tutti"]), n) if n else None, pochi),
        riga("riesami_chiesti", "Riesami chiesti nel periodo (Difensore Civico)",
             str(int(tot["riesami_chiesti"] or 0))),
        riga("riesami_conclusi", "Riesami conclusi nel periodo",
             str(int(tot["riesami_conclusi"] or 0))),
        riga("in_ritardo_fine_periodo",
             "Segnalazioni con un termine scaduto l'ultimo giorno del periodo",
             str(int(tot["in_ritardo"] or 0))),
    ], schema=SCHEMA_RIEPILOGO, orient="row")


def sezione(segnalazioni: pl.DataFrame, *, termini: regole.Termini, periodo: Periodo,
            soglia: int) -> dict[str, pl.DataFrame]:
    """The two tables of the section, named as their CSV files."""
    derivate = _derivate(segnalazioni, termini, periodo)
    return {"tutela": conteggi(derivate, soglia=soglia),
            "tutela_riepilogo": riepilogo(derivate, termini=termini, soglia=soglia)}


def tabelle_conferenza(*, engine: Engine, settings: Settings, periodo: Periodo
                       ) -> dict[str, pl.DataFrame]:
    return sezione(leggi_segnalazioni(engine), termini=regole.Termini.da_impostazioni(settings),
                   periodo=periodo, soglia=settings.soglia_pubblicazione)
