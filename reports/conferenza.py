"""`registro report conferenza`: the periodic report to the Conferenza dei Sindaci (Carta §4.3).

One HTML page and its PDF (tagged, PDF/UA-1) plus the CSV tables behind every figure:
compliance by branca, by site and by priority class; the ten services furthest from the
target; the trend against the previous period of the same length; planned-admission waits
per ward; bonum, malum and reports-not-collected records issued (count and euro) and their
trend; breaches without a motivazione at the end of the period; the citizens' reports to
the Ufficio di Pubblica Tutela and their outcomes (Carta §3.3 C, reports.tutela); a short
methodology.

Aggregates only. Compliance cells over fewer bookings than `soglia_pubblicazione` are
published as "dati insufficienti" (registro.soppressione, the site's rule); counts of
breaches between 1 and the threshold are emptied likewise.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine

from registro import colonnare, db, statistiche
from registro.csvsafe import scrivi_csv
from registro.formato import MANCANTE, giorni, numero, percentuale
from registro.letture import leggi_ricoveri
from registro.money import format_euro, format_euro_it
from registro.ordine import derivati_ricoveri, fuori_ordine
from registro.periodo import Periodo
from registro.rules import deriva
from registro.settings import Settings
from registro.soppressione import DATI_INSUFFICIENTI, conformita, sopprimi, sopprimi_conteggio
from registro.standards import Profilo, carica_profilo
from reports import registro_sanzioni
from reports.calendario import precedente
from reports.monitoring import calcola_lista
from reports.registro_sanzioni import importi_per_evento, totali
from reports.stats import COLONNE_LETTE, nel_periodo, tabella_prestazioni
from reports.stats_ricoveri import tabella_ricoveri
from reports.tutela import tabelle_conferenza as tabelle_tutela

COLONNE_CONFORMITA = ["n", "entro_standard", "quota_entro_standard", "attesa_media",
                      "soppresso"]
TIPI_SANZIONE = ("bonum", "malum", "referto_non_ritirato")
"""The records the Conferenza sees: what the authority paid for its failures, what the
citizens were charged for theirs (no-shows, late cancellations, reports not collected).
Refunds of tickets are the citizen's own money back, not sanctions."""
ETICHETTE_SANZIONE = {"bonum": "bonum", "malum": "malum",
                      "referto_non_ritirato": "referti non ritirati"}


@dataclass
class Conferenza:
    periodo: Periodo
    precedente: Periodo
    profilo: str
    soglia: int
    n: int
    entro: int
    quota: float | None
    quota_precedente: float | None
    tabelle: dict[str, pl.DataFrame] = field(default_factory=dict)
    sanzioni: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    superamenti_totali: dict[str, int] = field(default_factory=dict)
    andamento: list[tuple[str, str, str]] = field(default_factory=list)
    """The trend table as a person reads it (Italian numbers); `tabelle["andamento"]` keeps
    the CSV's machine form."""


def _in_garanzia(prenotazioni: pl.DataFrame, profilo: Profilo, periodo: Periodo
                 ) -> pl.LazyFrame:
    """The bookings made in the period (ex ante reading), in guarantee, with their wait."""
    return (deriva(prenotazioni.lazy().filter(nel_periodo("ex_ante", periodo)), profilo)
            .filter(pl.col("in_garanzia")))


def _con_branca(righe: pl.LazyFrame, catalogo: pl.DataFrame) -> pl.LazyFrame:
    """The catalog's branca beside each booking; "non indicata" for a missing branca or
    class, so that they count as a group of their own."""
    return righe.join(catalogo.lazy().rename({"codice": "codice_prestazione"}),
                      on="codice_prestazione", how="left"
                      ).with_columns(pl.col("branca").fill_null("non indicata"),
                                     pl.col("classe_priorita").fill_null("non indicata"))


def tabella_conformita(righe: pl.LazyFrame, per: list[str]) -> pl.DataFrame:
    """Per group: n in guarantee, how many within the target, their share (3 decimals, half
    up, exact from integers as in reports.stats) and the mean wait (1 decimal)."""
    attesa = pl.col("attesa_giorni").cast(pl.Int64)
    return (righe.group_by(per).agg(
        n=pl.len().cast(pl.Int64),
        entro_standard=(attesa <= pl.col("standard_giorni")).sum().cast(pl.Int64),
        somma=attesa.sum())
        .with_columns(quota_entro_standard=statistiche.quota(pl.col("entro_standard"), pl.col("n")),
                      attesa_media=statistiche.media(pl.col("somma"), pl.col("n")))
        .drop("somma").sort(per, nulls_last=True).collect())


def _quota(entro: int, n: int) -> float | None:
    if n == 0:
        return None
    return pl.select(statistiche.quota(pl.lit(entro), pl.lit(n))).item()


def _catalogo(engine: Engine) -> pl.DataFrame:
    return db.read_frame(engine, "SELECT codice, descrizione, branca FROM prestazione",
                         {"codice": pl.String(), "descrizione": pl.String(),
                          "branca": pl.String()})


def _nomi(engine: Engine, tabella: str) -> pl.DataFrame:
    return db.read_frame(engine, f"SELECT codice, nome FROM {tabella}",
                         {"codice": pl.String(), "nome": pl.String()})


def _sopprimi(df: pl.DataFrame, soglia: int) -> pl.DataFrame:
    return sopprimi(df, soglia=soglia, conteggio="n",
                    colonne=["entro_standard", "quota_entro_standard", "attesa_media"])


def sanzioni_nel_periodo(sanzioni: pl.DataFrame, periodo: Periodo) -> dict[str, tuple[int, int]]:
    """Count and cents of the live records whose fact happened in the period (the
    appointment, or the citizen's cancellation: reports.registro_sanzioni.data_evento), not
    those issued in it: the check issues them later, often in the next half-year."""

    t = totali(registro_sanzioni.nel_periodo(sanzioni, periodo.inizio, periodo.fine))
    return {k: t.get(k, (0, 0)) for k in TIPI_SANZIONE}


def _ricoveri_reparto(engine: Engine, profilo: Profilo, periodo: Periodo, soglia: int
                      ) -> pl.DataFrame:

    reparti = _nomi(engine, "reparto").rename({"codice": "codice_reparto"})
    return ricoveri_per_reparto(leggi_ricoveri(engine).lazy(), reparti, profilo=profilo,
                                periodo=periodo, soglia=soglia)


def ricoveri_per_reparto(lista: pl.LazyFrame, reparti: pl.DataFrame, *, profilo: Profilo,
                         periodo: Periodo, soglia: int) -> pl.DataFrame:
    """The report's table per ward: admissions of the period (n, mean, median, within the
    maximum, share), the list at the period's end and the admissions out of order; small
    cells suppressed. `reparti`: codice_reparto, nome."""
    ultimo = periodo.fine - timedelta(days=1)
    ammessi = derivati_ricoveri(lista, profilo, ultimo).filter(
        (pl.col("stato") == "ricoverato")
        & pl.col("data_ricovero").cast(pl.Date).is_between(
            pl.lit(periodo.inizio), pl.lit(periodo.fine), closed="left"))
    attesa = pl.col("attesa_giorni").cast(pl.Int64)
    conta = pl.len().cast(pl.Int64)
    stat = ammessi.group_by("codice_reparto").agg(
        n=conta, somma=attesa.sum(), attesa_mediana=statistiche.mediana(attesa),
        entro_standard=(attesa <= pl.col("attesa_massima")).sum().cast(pl.Int64),
    ).collect()
    tabella = tabella_ricoveri(lista, profilo=profilo, periodo=periodo,
                               fuori_ordine=fuori_ordine(lista))
    in_lista = tabella.group_by("codice_reparto").agg(
        in_attesa=pl.col("in_attesa").sum().cast(pl.Int64),
        fuori_ordine=pl.col("fuori_ordine").sum().cast(pl.Int64))
    df = (in_lista.join(stat, on="codice_reparto", how="full", coalesce=True)
          .join(reparti, on="codice_reparto", how="left")
          .with_columns(pl.col("n").fill_null(0))
          .select("codice_reparto", pl.col("nome").alias("reparto"), "n",
                  statistiche.media(pl.col("somma"), pl.col("n")).alias("attesa_media"),
                  "attesa_mediana", "entro_standard",
                  statistiche.quota(pl.col("entro_standard"), pl.col("n"))
                  .alias("quota_entro_standard"),
                  pl.col("in_attesa").fill_null(0), pl.col("fuori_ordine").fill_null(0))
          .sort("codice_reparto"))
    df = sopprimi(df, soglia=soglia, conteggio="n",
                  colonne=["attesa_media", "attesa_mediana", "entro_standard",
                           "quota_entro_standard"])
    return sopprimi_conteggio(df, soglia=soglia, colonne=["in_attesa", "fuori_ordine"])


def con_nomi(df: pl.DataFrame, catalogo: pl.DataFrame, sedi: pl.DataFrame) -> pl.DataFrame:
    """`descrizione_prestazione` and `nome_sede` after the columns a table already has (its
    readers keep reading them where they were). `sedi`: codice_sede, sede."""
    return (df.join(catalogo.select(codice_prestazione="codice",
                                    descrizione_prestazione="descrizione"),
                    on="codice_prestazione", how="left", maintain_order="left")
            .join(sedi.rename({"sede": "nome_sede"}), on="codice_sede", how="left",
                  maintain_order="left"))


def calcola(*, engine: Engine, settings: Settings, periodo: Periodo) -> Conferenza:

    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    prima = precedente(periodo)
    soglia = settings.soglia_pubblicazione
    prenotazioni = colonnare.prenotazioni(engine, settings, colonne=COLONNE_LETTE).collect()
    catalogo = _catalogo(engine)
    sedi = _nomi(engine, "sede").rename({"codice": "codice_sede", "nome": "sede"})

    ora, prec = (_con_branca(_in_garanzia(prenotazioni, profilo, p), catalogo)
                 for p in (periodo, prima))
    totale = tabella_conformita(ora.with_columns(tutto=pl.lit(1)), ["tutto"])
    totale_prec = tabella_conformita(prec.with_columns(tutto=pl.lit(1)), ["tutto"])
    n = int(totale["n"].sum())
    entro = int(totale["entro_standard"].sum())
    n_prec = int(totale_prec["n"].sum())
    entro_prec = int(totale_prec["entro_standard"].sum())

    tabelle: dict[str, pl.DataFrame] = {}
    branca = tabella_conformita(ora, ["branca"])
    branca_prec = tabella_conformita(prec, ["branca"]).select(
        "branca", n_precedente="n", quota_precedente="quota_entro_standard")
    branca = _sopprimi(branca, soglia).join(
        sopprimi(branca_prec, soglia=soglia, conteggio="n_precedente",
                 colonne=["quota_precedente"], flag="soppresso_precedente"),
        on="branca", how="left")
    tabelle["conformita_branca"] = branca.with_columns(
        variazione_punti=((pl.col("quota_entro_standard") - pl.col("quota_precedente")) * 100)
        .round(1))
    tabelle["conformita_sede"] = _sopprimi(
        tabella_conformita(ora, ["codice_sede"]).join(sedi, on="codice_sede", how="left")
        .select("codice_sede", "sede", *COLONNE_CONFORMITA[:-1]), soglia)
    tabelle["conformita_classe"] = _sopprimi(tabella_conformita(ora, ["classe_priorita"]),
                                             soglia)
    peggiori = (tabella_conformita(ora, ["codice_prestazione"])
                .filter(pl.col("n") >= soglia)
                .sort(["quota_entro_standard", "n", "codice_prestazione"],
                      descending=[False, True, False])
                .head(10)
                .join(catalogo.rename({"codice": "codice_prestazione"}),
                      on="codice_prestazione", how="left", maintain_order="left"))
    tabelle["peggiori_prestazioni"] = peggiori.select(
        pl.int_range(1, pl.len() + 1).alias("posizione"), "codice_prestazione",
        "descrizione", "branca", "n", "entro_standard", "quota_entro_standard",
        "attesa_media")
    tabelle["tempi_attesa"] = con_nomi(sopprimi(
        tabella_prestazioni(prenotazioni.lazy(), profilo=profilo, periodo=periodo),
        soglia=soglia, conteggio="n",
        colonne=["attesa_media", "attesa_mediana", "attesa_p90", "quota_entro_standard",
                 "quota_fuori_ordine"]),
        catalogo, sedi)
    tabelle["ricoveri_reparto"] = _ricoveri_reparto(engine, profilo, periodo, soglia)
    # the bookings are not read again: freed before the monitoring list is built (at 5 M
    # bookings both at once took 3 GB)
    del prenotazioni, ora, prec

    sanzioni = importi_per_evento(engine)
    per_periodo = {periodo.etichetta: sanzioni_nel_periodo(sanzioni, periodo),
                   prima.etichetta: sanzioni_nel_periodo(sanzioni, prima)}
    tabelle["sanzioni"] = pl.DataFrame(
        [{"tipo": t, "periodo": p, "numero": v[t][0], "importo_euro": format_euro(v[t][1])}
         for t in TIPI_SANZIONE for p, v in ((prima.etichetta, per_periodo[prima.etichetta]),
                                            (periodo.etichetta,
                                             per_periodo[periodo.etichetta]))],
        schema={"tipo": pl.String, "periodo": pl.String, "numero": pl.Int64,
                "importo_euro": pl.String})

    ultimo = periodo.fine - timedelta(days=1)
    lista = calcola_lista(engine=engine, settings=settings, oggi=ultimo,
                          liste=["superamento_senza_motivazione"]).filter(
        (pl.col("lista") == "superamento_senza_motivazione") & (pl.col("dal") <= ultimo))
    superamenti = (lista.group_by("registro", "codice_reparto_o_prestazione")
                   .agg(n=pl.len().cast(pl.Int64))
                   .sort(["registro", "n", "codice_reparto_o_prestazione"],
                         descending=[False, True, False])
                   .rename({"codice_reparto_o_prestazione": "codice"}))
    nomi_unita = pl.concat([
        catalogo.select(registro=pl.lit("prestazioni"), codice="codice", nome="descrizione"),
        _nomi(engine, "reparto").select(registro=pl.lit("ricoveri"), codice="codice",
                                        nome="nome")])
    tabelle["superamenti_senza_motivazione"] = sopprimi_conteggio(
        superamenti.join(nomi_unita, on=["registro", "codice"], how="left",
                         maintain_order="left"), soglia=soglia, colonne=["n"])
    tabelle.update(tabelle_tutela(engine=engine, settings=settings, periodo=periodo))
    totali_sup = {r: int(lista.filter(pl.col("registro") == r).height)
                  for r in ("prestazioni", "ricoveri")}

    tabelle["andamento"] = pl.DataFrame({
        "indicatore": ["prenotazioni in garanzia", "entro lo standard",
                       "quota entro lo standard", "bonum (numero)", "bonum (euro)",
                       "malum (numero)", "malum (euro)", "referti non ritirati (numero)",
                       "referti non ritirati (euro)"],
        "periodo_precedente": [str(n_prec), str(entro_prec), _testo(_quota(entro_prec, n_prec)),
                               *_sanz_testo(per_periodo[prima.etichetta])],
        "periodo": [str(n), str(entro), _testo(_quota(entro, n)),
                    *_sanz_testo(per_periodo[periodo.etichetta])],
    })
    vp, vo = per_periodo[prima.etichetta], per_periodo[periodo.etichetta]
    andamento_it = [
        ("prenotazioni in garanzia", numero(n_prec), numero(n)),
        ("entro lo standard", numero(entro_prec), numero(entro)),
        ("quota entro lo standard", percento(_quota(entro_prec, n_prec)),
         percento(_quota(entro, n))),
    ]
    for t in TIPI_SANZIONE:
        andamento_it += [(f"{ETICHETTE_SANZIONE[t]} (numero)", numero(vp[t][0]), numero(vo[t][0])),
                         (f"{ETICHETTE_SANZIONE[t]} (euro)", format_euro_it(vp[t][1]),
                          format_euro_it(vo[t][1]))]
    return Conferenza(periodo=periodo, precedente=prima, profilo=profilo.nome, soglia=soglia,
                      n=n, entro=entro, quota=_quota(entro, n),
                      quota_precedente=_quota(entro_prec, n_prec), tabelle=tabelle,
                      sanzioni=per_periodo, superamenti_totali=totali_sup,
                      andamento=andamento_it)


def _testo(q: float | None) -> str:
    return "" if q is None else f"{q:.3f}"


def _sanz_testo(v: dict[str, tuple[int, int]]) -> list[str]:
    return [x for t in TIPI_SANZIONE for x in (str(v[t][0]), format_euro(v[t][1]))]


def percento(q: float | None) -> str:
    """0.784 → '78,4 %' (Italian decimal comma); missing → 'dati insufficienti'."""
    if q is None:
        return DATI_INSUFFICIENTI
    return percentuale(q)


def punti(v: float | None) -> str:
    """A change in percentage points with its sign: '+2,5', '−1,0', '0,0'; missing → '—'."""
    if v is None:
        return MANCANTE
    testo = numero(abs(v), 1)
    return testo if v == 0 else ("+" if v > 0 else "−") + testo


def grafico_barre(righe: list[dict[str, Any]], etichetta: str) -> dict[str, Any]:
    """The geometry of a bar chart whose labels are wrapped, never cut: each row as tall as
    its label's lines. Returns the chart's height and, per row, its top, label lines and
    share."""

    barre, y = [], 4
    for r in righe:
        linee = textwrap.wrap(str(r[etichetta] or ""), LARGHEZZA_ETICHETTA) or [""]
        alto = max(18, 12 * len(linee) + 6)
        barre.append({"y": y, "alto": alto, "linee": linee,
                      "quota": r.get("quota_entro_standard")})
        y += alto + 4
    return {"altezza": y + 4, "barre": barre}


def numero_testo(valore: str) -> str:
    """A number kept as text in a table ('12', '4.5') printed the Italian way."""
    return numero(float(valore), 1) if "." in valore else numero(int(valore))


LARGHEZZA_ETICHETTA = 34
"""Characters per line of a chart's label (10 pt DejaVu Sans in the 200-pixel label column)."""


def _ambiente() -> Any:
    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["percento"] = percento
    env.filters["euro_it"] = format_euro_it
    env.filters["numero"] = numero
    env.filters["giorni"] = lambda v: DATI_INSUFFICIENTI if v is None else giorni(v)
    env.filters["punti"] = punti
    env.filters["numero_testo"] = numero_testo
    env.globals["grafico_barre"] = grafico_barre
    env.globals["ETICHETTE_SANZIONE"] = ETICHETTE_SANZIONE
    env.globals["DATI_INSUFFICIENTI"] = DATI_INSUFFICIENTI
    env.globals["conformita"] = conformita
    return env


def html(c: Conferenza, *, settings: Settings, generato_il: datetime) -> str:
    righe = {k: v.to_dicts() for k, v in c.tabelle.items()}
    return str(_ambiente().get_template("conferenza.html").render(
        c=c, t=righe, ente=settings.ente, generato_il=generato_il))


def scrivi_pdf(testo_html: str, path: Path) -> Path:
    """The PDF of the same HTML, tagged (PDF/UA-1): headings, tables and the language are
    in its structure, for screen readers."""
    from weasyprint import HTML  # ~1 s to import: paid only when a PDF is written

    HTML(string=testo_html, base_url=str(path.parent)).write_pdf(
        path, pdf_variant="pdf/ua-1")
    return path


def genera(*, engine: Engine, settings: Settings, periodo: Periodo, cartella: Path
           ) -> list[Path]:
    """Write conferenza.html, conferenza.pdf and the CSV tables into `cartella`."""
    c = calcola(engine=engine, settings=settings, periodo=periodo)
    scritti = [scrivi_csv(df, cartella / f"{nome}.csv") for nome, df in c.tabelle.items()]
    testo = html(c, settings=settings, generato_il=datetime.now().replace(microsecond=0))
    pagina = cartella / "conferenza.html"
    pagina.write_text(testo, encoding="utf-8")
    scritti += [pagina, scrivi_pdf(testo, cartella / "conferenza.pdf")]
    return scritti
