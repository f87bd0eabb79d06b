"""The monitoring list as the console pages it: filters from the URL, three orders, a keyset
cursor on the order's own key (`?dopo=`, never an OFFSET: a page boundary stays put when
items before it are recorded and leave), the CSV export streamed in slices, the XLSX one.

The list itself is `reports.monitoring.calcola_lista`, seconds of work at 100,000 items: it
is computed once per state of the register and kept (`ListaInMemoria`), every page then
filters, orders and cuts the kept frame (pure frame → frame steps, milliseconds)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar, cast

import polars as pl
import xlsxwriter
from sqlalchemy import Engine, text

from registro import colonnare
from registro.csvsafe import neutralizza
from registro.errors import ErroreUtente
from registro.motivazioni import vigenti
from registro.settings import Settings
from reports.monitoring import COLONNE, LISTE, NOMI, calcola_lista, urgenza
from servizio.console.service import OGGETTO_DELLA_LISTA

CHIAVE = ["_rango", "_urgenza", "_distanza", "id", "registro", "_termine"]
"""The default sort key, every part ascending and never null — the order of `calcola_lista`,
most urgent first: list in LISTE order, the class's urgency (reports.monitoring.urgenza), how
far past (or near) the threshold descending (stored negated), id, register, term (or
site/pathology). Unique per item, so it also breaks the ties of the other orders."""

ORDINI = {"urgenza": "dalla più urgente", "giorni": "per giorni, dal più alto",
          "data": "per data, dalla più vecchia"}
"""The orders a person may ask for (`?ordina=`), the first the default."""

CHIAVI = {"urgenza": CHIAVE, "giorni": ["_giorni", *CHIAVE], "data": ["_giorno", *CHIAVE]}
"""Each order's keyset key: a leading integer column, then the default key as tie-breaker."""

ULTIMO = 2**53
"""Where a missing value sorts (last), as an integer a JSON cursor carries exactly."""

PER_PAGINA = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Filtri:
    lista: str | None = None
    registro: str | None = None
    sede_o_reparto: str | None = None
    classe: str | None = None
    includi_motivati: bool = False
    dal: str | None = None
    """The item's date (`dal`, the first day past the threshold) from this day, as entered:
    parsed by `filtra`, so a wrong date comes back on the page with its message."""
    al: str | None = None
    ordina: str = "urgenza"

    def come_query(self) -> dict[str, str]:
        """The filters as URL parameters (empty ones and the default order left out):
        bookmarkable."""
        q = {"lista": self.lista, "registro": self.registro,
             "sede_o_reparto": self.sede_o_reparto, "classe": self.classe,
             "includi_motivati": "1" if self.includi_motivati else None,
             "dal": self.dal, "al": self.al,
             "ordina": self.ordina if self.ordina != "urgenza" else None}
        return {k: v for k, v in q.items() if v}


def data_filtro(testo: str | None, campo: str) -> date | None:
    """A date typed in a filter: ISO (what a date field sends) or Italian GG/MM/AAAA."""
    if not testo or not testo.strip():
        return None
    pulito = testo.strip()
    for formato in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(pulito, formato).date()
        except ValueError:
            continue
    raise ErroreUtente(f"data non valida nel filtro «{campo}»: {pulito!r} "
                       "(usare il formato GG/MM/AAAA, per esempio 05/03/2026)")


def con_chiave(lista: pl.DataFrame) -> pl.DataFrame:
    """The list ordered by CHIAVE, the columns of every order's key added."""
    distanza = (pl.when(pl.col("soglia").is_null()).then(pl.col("giorni"))
                .otherwise(pl.col("giorni") - pl.col("soglia")))
    return lista.with_columns(
        _rango=pl.col("lista").replace_strict(LISTE, list(range(len(LISTE))),
                                              return_dtype=pl.Int64),
        _urgenza=urgenza(),
        _distanza=(-distanza).fill_null(0).cast(pl.Int64),
        _termine=pl.col("codice_sede_o_patologia").fill_null(""),
        _giorni=(-pl.col("giorni")).fill_null(ULTIMO).cast(pl.Int64),
        _giorno=pl.col("dal").cast(pl.Int32).cast(pl.Int64).fill_null(ULTIMO),
    ).sort(CHIAVE)


def ordinata(lista: pl.DataFrame, ordina: str) -> pl.DataFrame:
    """A list from `con_chiave` in the order `ordina` (one of ORDINI)."""
    if ordina not in CHIAVI:
        raise ErroreUtente(f"ordinamento sconosciuto: {ordina!r} "
                           f"(ammessi: {', '.join(ORDINI)})")
    return lista if ordina == "urgenza" else lista.sort(CHIAVI[ordina])


def filtra(lista: pl.DataFrame, f: Filtri) -> pl.DataFrame:
    """The rows that pass the filters, the order kept; motivated items only when asked."""
    condizioni: list[pl.Expr] = []
    if not f.includi_motivati:
        condizioni.append(~pl.col("motivato"))
    if f.lista:
        if f.lista not in LISTE:
            raise ErroreUtente(f"lista sconosciuta: {f.lista!r}")
        condizioni.append(pl.col("lista") == f.lista)
    if f.registro:
        condizioni.append(pl.col("registro") == f.registro)
    if f.sede_o_reparto:
        codice = f.sede_o_reparto.strip()
        condizioni.append(
            ((pl.col("registro") == "prestazioni")
             & (pl.col("codice_sede_o_patologia") == codice))
            | ((pl.col("registro") == "ricoveri")
               & (pl.col("codice_reparto_o_prestazione") == codice)))
    if f.classe:
        condizioni.append(pl.col("classe_priorita") == f.classe)
    dal, al = data_filtro(f.dal, "dal"), data_filtro(f.al, "al")
    if dal and al and dal > al:
        raise ErroreUtente("la data «dal» è successiva alla data «al»: nessuna voce può "
                           "cadere tra le due")
    if dal:
        condizioni.append(pl.col("dal") >= dal)
    if al:
        condizioni.append(pl.col("dal") <= al)
    return lista.filter(*condizioni) if condizioni else lista


def cursore(riga: dict[str, Any], ordina: str = "urgenza") -> str:
    valori = [ordina, *(riga[c] for c in CHIAVI[ordina])]
    return base64.urlsafe_b64encode(json.dumps(valori).encode()).decode().rstrip("=")


def _decodifica(testo: str, ordina: str) -> list[Any]:
    try:
        valori = json.loads(base64.urlsafe_b64decode(testo + "=" * (-len(testo) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ErroreUtente("cursore di pagina non valido") from exc
    chiave = CHIAVI[ordina]
    interi = len(chiave) - 3
    if not (isinstance(valori, list) and len(valori) == len(chiave) + 1
            and valori[0] == ordina
            and all(isinstance(v, int) and not isinstance(v, bool)
                    for v in valori[1:1 + interi])
            and all(isinstance(v, str) for v in valori[1 + interi:])):
        raise ErroreUtente("cursore di pagina non valido (o di un altro ordinamento): "
                           "tornare alla prima pagina")
    return valori[1:]


def _dopo(chiave: list[str], valori: list[Any]) -> pl.Expr:
    """Rows whose key is strictly after `valori`, lexicographically."""
    espressione: pl.Expr | None = None
    for colonna, valore in reversed(list(zip(chiave, valori, strict=True))):
        maggiore = pl.col(colonna) > pl.lit(valore)
        espressione = maggiore if espressione is None else (
            maggiore | ((pl.col(colonna) == pl.lit(valore)) & espressione))
    assert espressione is not None
    return espressione


def pagina(ordinata: pl.DataFrame, *, dopo: str | None, per_pagina: int = PER_PAGINA,
           ordina: str = "urgenza") -> tuple[list[dict[str, Any]], str | None]:
    """One page of a list already in the order `ordina` (`ordinata`): the rows after the
    cursor `dopo`, and the cursor of the next page (None on the last)."""
    resto = (ordinata.filter(_dopo(CHIAVI[ordina], _decodifica(dopo, ordina))) if dopo
             else ordinata)
    righe = resto.head(per_pagina + 1).to_dicts()
    prossimo = cursore(righe[per_pagina - 1], ordina) if len(righe) > per_pagina else None
    return righe[:per_pagina], prossimo


def csv_a_pezzi(lista: pl.DataFrame, righe_per_pezzo: int = 10_000) -> Iterator[bytes]:
    """The list as CSV (COLONNE, formulas neutralised, UTF-8), slice by slice: the response
    starts at once and never holds the whole text."""
    tabella = neutralizza(lista.select(COLONNE))
    for inizio in range(0, max(tabella.height, 1), righe_per_pezzo):
        buf = io.BytesIO()
        tabella.slice(inizio, righe_per_pezzo).write_csv(buf, include_header=inizio == 0)
        yield buf.getvalue()


def xlsx(lista: pl.DataFrame) -> bytes:
    """The list as an Excel workbook, the CSV's columns (COLONNE, then NOMI). Every text is
    written as a text cell, never as a formula, a number or a link: a value such as
    `=1+1` or `=HYPERLINK(…)` from a CUP file is shown, not evaluated."""
    buf = io.BytesIO()
    libro = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    foglio = libro.add_worksheet("monitoraggio")
    formato_data = libro.add_format({"num_format": "dd/mm/yyyy"})
    grassetto = libro.add_format({"bold": True})
    colonne = [*COLONNE, *NOMI]
    for j, nome in enumerate(colonne):
        foglio.write_string(0, j, nome, grassetto)
    for i, riga in enumerate(lista.select(colonne).iter_rows(), start=1):
        for j, valore in enumerate(riga):
            if valore is None:
                continue
            if isinstance(valore, bool):
                foglio.write_boolean(i, j, valore)
            elif isinstance(valore, int):
                foglio.write_number(i, j, valore)
            elif isinstance(valore, date):
                foglio.write_datetime(i, j, datetime.combine(valore, datetime.min.time()),
                                      formato_data)
            else:
                foglio.write_string(i, j, str(valore))
    foglio.freeze_panes(1, 0)
    libro.close()
    return buf.getvalue()


# --- the list kept between requests ------------------------------------------------------------

RISORSE_SENZA_EFFETTO = ("sessione_console", "utente_console", "utente_api", "sanzione",
                         "motivazione")
"""Audited writes that change nothing the list reads (motivazioni are followed apart)."""


def impronta_lista(engine: Engine, settings: Settings, oggi: date) -> str:
    """What the list depends on, besides its motivazioni, in a few tiny queries: the day, the
    bookings and the catalog (the columnar mirror's own impronta), every ingest and check
    run, every audited write that may touch an input (a segnalazione's step, an edited
    row), the segnalazioni, the names of sites, wards and services, the local targets."""
    h = hashlib.sha256()
    h.update(oggi.isoformat().encode())
    h.update(colonnare.impronta(engine).encode())
    esclusi = ", ".join(f"'{r}'" for r in RISORSE_SENZA_EFFETTO)
    domande = [
        "SELECT COUNT(*), MAX(id), MAX(finito_il) FROM ingest_run",
        "SELECT COUNT(*), MAX(id) FROM esecuzione",
        f"SELECT id FROM audit WHERE risorsa NOT IN ({esclusi}) ORDER BY id DESC LIMIT 1",
        "SELECT COUNT(*), MAX(aggiornata_il) FROM segnalazione",
        "SELECT COUNT(*), MAX(id) FROM segnalazione_passo",
        "SELECT codice, nome FROM sede ORDER BY codice",
        "SELECT codice, nome FROM reparto ORDER BY codice",
        "SELECT codice, descrizione FROM prestazione ORDER BY codice",
    ]
    with engine.connect() as c:
        for domanda in domande:
            for riga in c.execute(text(domanda)).all():
                h.update(("\x1e".join(str(v) for v in riga) + "\x1f").encode())
    locali = settings.standard_locali
    if locali is not None:
        h.update(str(locali.stat().st_mtime_ns if locali.exists() else None).encode())
    return h.hexdigest()


def impronta_motivazioni(engine: Engine) -> tuple[int, int | None]:
    """Motivazioni are only ever added: their count and last id tell a new one at once."""
    with engine.connect() as c:
        n, ultima = c.execute(text("SELECT COUNT(*), MAX(id) FROM motivazione")).one()
    return int(n), (int(ultima) if ultima is not None else None)


def con_motivato(lista: pl.DataFrame, motivazioni: pl.DataFrame) -> pl.DataFrame:
    """`motivato` set again from the motivazioni in force (`registro.motivazioni.vigenti`),
    as `reports.monitoring` sets it: matched on (registro, id, oggetto), the oggetto the one
    each list answers for (OGGETTO_DELLA_LISTA); the other lists are never motivated."""
    oggetto = pl.col("lista").replace_strict(
        OGGETTO_DELLA_LISTA, default=None, return_dtype=pl.String)
    chiavi = (motivazioni.select("registro", "id", "oggetto").unique()
              .with_columns(_motivata=pl.lit(True)))
    return (lista.with_columns(_oggetto=oggetto)
            .join(chiavi, left_on=["registro", "id", "_oggetto"],
                  right_on=["registro", "id", "oggetto"], how="left", maintain_order="left")
            .with_columns(motivato=pl.col("_motivata").fill_null(False))
            .drop("_oggetto", "_motivata"))


@dataclass
class _Stato:
    impronta: str
    motivazioni: tuple[int, int | None]
    completa: pl.DataFrame
    """The whole list, motivated items included, with the keys (`con_chiave`)."""
    ordini: dict[str, pl.DataFrame] = field(default_factory=dict)
    altri: dict[Hashable, Any] = field(default_factory=dict)
    """Other results computed from the same state of the register (`ricordato`)."""


class ListaInMemoria:
    """The monitoring list of one register, kept while the register does not change.

    Every request compares the impronte (a few tiny queries): a new ingest, check, segnalazione
    step, edited site, ward or service, or a new day recomputes the whole list; a new
    motivazione only sets `motivato` again from the motivazioni in force (so a motivated item
    leaves the list at the next request, without recomputing the rest). One computation at a
    time: requests arriving meanwhile wait for it instead of repeating it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stato: _Stato | None = None

    def _attuale(self, engine: Engine, settings: Settings, oggi: date) -> _Stato:
        impronta = impronta_lista(engine, settings, oggi)
        motivazioni = impronta_motivazioni(engine)
        stato = self._stato
        if stato is None or stato.impronta != impronta:
            completa = con_chiave(calcola_lista(engine=engine, settings=settings, oggi=oggi,
                                                includi_motivati=True))
            stato = _Stato(impronta, motivazioni, completa)
        elif stato.motivazioni != motivazioni:
            stato = _Stato(impronta, motivazioni,
                           con_motivato(stato.completa, vigenti(engine)), altri=stato.altri)
        self._stato = stato
        return stato

    def ordinata(self, engine: Engine, settings: Settings, oggi: date,
                 ordina: str = "urgenza") -> pl.DataFrame:
        """The whole list as of now (motivated items included, `filtra` leaves them out) in
        the order `ordina`, with its key columns."""
        if ordina not in CHIAVI:
            raise ErroreUtente(f"ordinamento sconosciuto: {ordina!r} "
                               f"(ammessi: {', '.join(ORDINI)})")
        with self._lock:
            stato = self._attuale(engine, settings, oggi)
            if ordina not in stato.ordini:
                stato.ordini[ordina] = ordinata(stato.completa, ordina)
            return stato.ordini[ordina]

    def ricordato(self, engine: Engine, settings: Settings, oggi: date, chiave: Hashable,
                  calcolo: Callable[[], T]) -> T:
        """`calcolo()`'s result, computed once per state of the register's inputs but the
        motivazioni (the impronta of `impronta_lista`): for what reads the same inputs
        as the list and no motivazione, such as the dashboard's shares."""
        with self._lock:
            stato = self._attuale(engine, settings, oggi)
            if chiave not in stato.altri:
                stato.altri[chiave] = calcolo()
            return cast(T, stato.altri[chiave])


_CACHE_LOCK = threading.Lock()


def in_memoria(stato_app: Any) -> ListaInMemoria:
    """The application's kept list (one per app, so one per register and settings)."""
    with _CACHE_LOCK:
        cache = getattr(stato_app, "lista_monitoraggio", None)
        if cache is None:
            cache = ListaInMemoria()
            stato_app.lista_monitoraggio = cache
        return cache

