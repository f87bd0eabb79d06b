"""The Direttore Sanitario's monitoring list (DESIGN.md "Rules": Breach, Chronological order).

One row per item, columns COLONNE, most urgent first:

- `superamento_senza_motivazione`: a booking (registro `prestazioni`) or a list entry
  (registro `ricoveri`, waiting or admitted) past its target with no motivazione for the
  breach; `giorni` the wait, `soglia` the target, `dal` the first day past it
  (date of booking / insertion + target + 1);
- `fuori_ordine_senza_motivazione`: an admission out of chronological order with no
  motivazione for it, one row per admission; `giorni` the number of entries it overtook,
  `soglia` null, `dal` the admission date; likewise a booking (registro `prestazioni`) that
  overtook bookings of its agenda booked before it (Carta §5.1, `registro.ordine`),
  `giorni` the number overtaken, `dal` its appointment's day;
- `in_scadenza`: an entry still waiting, not yet past its maximum, with at most
  `giorni_preavviso` days left; `dal` the first day it will be past it;
- `tutela_in_ritardo` (registro `tutela`): a term of the Regolamento di Pubblica Tutela
  still open and past its due date, one row per term (`ritardi` below): `id` the
  segnalazione, `termine` the term, `servizio` its service, `giorni` the days since the
  term started, `soglia` its days, `dal` the first day past it; never `motivato` (the
  remedy is the step, not a reason). The service and the term are also in
  `codice_reparto_o_prestazione` and `codice_sede_o_patologia`, where the first version of
  the list put them and where existing scripts read them;
- `stato_non_aggiornato` (registro `prestazioni`): a booking still `prenotata` after its
  appointment's day: the CUP has not said whether it was delivered, cancelled or missed,
  so nothing can be issued for it (Carta §5.6 sanctions only what happened); `giorni` the
  days since the appointment, `soglia` null, `dal` the day after it; never `motivato`
  (the remedy is the CUP's update, not a reason).

A motivazione is matched on (registro, id, oggetto): `superamento` for a breach (and for an
entry nearing its maximum: a reason recorded in advance), `fuori_ordine` for an overtake.
Motivazioni are never edited, a new one supersedes the old: any one recorded makes the item
motivated. By default motivated items are left out; `includi_motivati=True` keeps them with
`motivato = true`, for audit.

Most urgent first: sorted by list (in the order above), then by the urgency of the priority
class (URGENZA: U, B, D, P for the bookings, A, B, C, D for the admissions, none last), then
by how far past — or how near — the threshold (`giorni − soglia` descending; for the
overtakes `giorni` descending), then id, then registro (then the term, for two overdue terms
of one segnalazione).

`calcola_lista` puts the names beside the codes (NOMI, after COLONNE: the operators' scripts
read COLONNE where they are): the service's description, and the site's or the ward's name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import Engine

from registro import colonnare, db
from registro.check import ricoveri_verificati, stato_non_aggiornato
from registro.csvsafe import RIGHE_PER_FETTA, scrivi_a_pezzi
from registro.motivazioni import vigenti
from registro.ordine import con_fuori_ordine, conta_fuori_ordine
from registro.rules import deriva
from registro.settings import Settings
from registro.standards import carica_profilo
from registro.tutela import regole
from reports.stats import COLONNE_LETTE, scrivi_tabella
from reports.tutela import leggi_segnalazioni

COLONNE = ["lista", "registro", "id", "codice_reparto_o_prestazione", "codice_sede_o_patologia",
           "classe_priorita", "giorni", "soglia", "dal", "motivato", "termine", "servizio"]
"""The first ten are a contract (operators' scripts read them, also by position); `termine`
and `servizio` came after, for the `tutela_in_ritardo` rows, and are null on the others."""

SCHEMA = pl.Schema({
    "lista": pl.String, "registro": pl.String, "id": pl.String,
    "codice_reparto_o_prestazione": pl.String, "codice_sede_o_patologia": pl.String,
    "classe_priorita": pl.String, "giorni": pl.Int64, "soglia": pl.Int64, "dal": pl.Date,
    "motivato": pl.Boolean, "termine": pl.String, "servizio": pl.String,
})

NOMI = ["descrizione_prestazione", "nome_sede_o_reparto"]

URGENZA = {"prestazioni": ["U", "B", "D", "P"], "ricoveri": ["A", "B", "C", "D"]}
"""The priority classes of each register, most urgent first (DM 2010 and PNGLA 2019-2021 for
the bookings, the planned-admission classes for the wards)."""

LISTE = ["superamento_senza_motivazione", "fuori_ordine_senza_motivazione", "in_scadenza",
         "tutela_in_ritardo", "stato_non_aggiornato"]


def _motivati(motivazioni: pl.DataFrame, registro: str, oggetto: str) -> pl.DataFrame:
    """Ids with at least one motivazione for (registro, oggetto), as a one-column frame."""
    return (motivazioni.lazy()
            .filter((pl.col("registro") == registro) & (pl.col("oggetto") == oggetto))
            .select(pl.col("id").cast(pl.String)).unique().collect()
            .with_columns(motivato=pl.lit(True)))


def _con_motivato(df: pl.DataFrame, motivati: pl.DataFrame) -> pl.DataFrame:
    return (df.join(motivati, on="id", how="left")
            .with_columns(pl.col("motivato").fill_null(False)))


def _contro_attesa_massima(ricoveri: pl.DataFrame, lista: str) -> pl.DataFrame:
    """Admissions as rows of `lista` measured against their maximum wait (the breaches and
    those about to breach): the wait so far, the maximum, the day it runs out."""
    return ricoveri.select(
        lista=pl.lit(lista), registro=pl.lit("ricoveri"), id=pl.col("id_ricovero"),
        codice_reparto_o_prestazione=pl.col("codice_reparto"),
        codice_sede_o_patologia=pl.col("codice_patologia"),
        classe_priorita=pl.col("classe_priorita"),
        giorni=pl.col("attesa_giorni"), soglia=pl.col("attesa_massima"),
        dal=_dopo(pl.col("data_inserimento"), pl.col("attesa_massima")),
    )


def _dopo(giorno: pl.Expr, giorni: pl.Expr) -> pl.Expr:
    """The first day past a target of `giorni` days counted from `giorno`."""
    return giorno.cast(pl.Date) + pl.duration(days=giorni.cast(pl.Int64) + 1)


def lista_monitoraggio(*, prenotazioni: pl.DataFrame, ricoveri: pl.DataFrame,
                       fuori_ordine: pl.DataFrame, motivazioni: pl.DataFrame, oggi: date,
                       giorni_preavviso: int = 14,
                       includi_motivati: bool = False,
                       tutela: pl.DataFrame | None = None) -> pl.DataFrame:
    """The monitoring list as of `oggi` (the ricoveri frame's waits are those of that day:
    `registro.ordine.derivati_ricoveri(…, oggi)`, so `oggi` itself is not read again here);
    columns COLONNE, dtypes SCHEMA. `tutela`: the `tutela_in_ritardo` rows as of the same
    day (`ritardi` below), already in these columns.

    The lists one after the other, each sorted on its own (`una_lista`): the list's rank is
    the first sort key, so this is the order of one sort of the whole, without holding the
    whole list twice (at 5 M bookings a 4.5 M-entry list)."""
    return pl.concat([una_lista(nome, prenotazioni=prenotazioni, ricoveri=ricoveri,
                                fuori_ordine=fuori_ordine, motivazioni=motivazioni, oggi=oggi,
                                giorni_preavviso=giorni_preavviso,
                                includi_motivati=includi_motivati, tutela=tutela)
                      for nome in LISTE])


def _pezzi(nome: str, *, prenotazioni: pl.DataFrame, ricoveri: pl.DataFrame,
           fuori_ordine: pl.DataFrame, motivazioni: pl.DataFrame, oggi: date,
           giorni_preavviso: int, tutela: pl.DataFrame | None) -> list[pl.DataFrame]:
    """The rows of the list `nome` (one of LISTE), per register, in their own columns."""
    pezzi: list[pl.DataFrame] = []
    if nome == LISTE[0]:
        pren = prenotazioni.filter(pl.col("superamento").fill_null(False)).select(
            lista=pl.lit(LISTE[0]), registro=pl.lit("prestazioni"),
            id=pl.col("id_prenotazione"),
            codice_reparto_o_prestazione=pl.col("codice_prestazione"),
            codice_sede_o_patologia=pl.col("codice_sede"),
            classe_priorita=pl.col("classe_priorita"),
            giorni=pl.col("attesa_giorni"), soglia=pl.col("standard_giorni"),
            dal=_dopo(pl.col("data_prenotazione"), pl.col("standard_giorni")),
        )
        pezzi.append(_con_motivato(pren, _motivati(motivazioni, "prestazioni", "superamento")))
        ric = _contro_attesa_massima(
            ricoveri.filter(pl.col("superamento").fill_null(False)), LISTE[0])
        pezzi.append(_con_motivato(ric, _motivati(motivazioni, "ricoveri", "superamento")))
    elif nome == LISTE[1]:
        fuori = ricoveri.join(conta_fuori_ordine(fuori_ordine), on="id_ricovero",
                              how="inner").select(
            lista=pl.lit(LISTE[1]), registro=pl.lit("ricoveri"), id=pl.col("id_ricovero"),
            codice_reparto_o_prestazione=pl.col("codice_reparto"),
            codice_sede_o_patologia=pl.col("codice_patologia"),
            classe_priorita=pl.col("classe_priorita"),
            giorni=pl.col("n_scavalcati"), soglia=pl.lit(None, dtype=pl.Int64),
            dal=pl.col("data_ricovero").cast(pl.Date),
        )
        pezzi.append(_con_motivato(fuori, _motivati(motivazioni, "ricoveri", "fuori_ordine")))
        if "fuori_ordine" in prenotazioni.columns:
            scavalchi = prenotazioni.filter(pl.col("fuori_ordine").fill_null(0) > 0).select(
                lista=pl.lit(LISTE[1]), registro=pl.lit("prestazioni"),
                id=pl.col("id_prenotazione"),
                codice_reparto_o_prestazione=pl.col("codice_prestazione"),
                codice_sede_o_patologia=pl.col("codice_sede"),
                classe_priorita=pl.col("classe_priorita"),
                giorni=pl.col("fuori_ordine"), soglia=pl.lit(None, dtype=pl.Int64),
                dal=pl.col("data_appuntamento").cast(pl.Date),
            )
            pezzi.append(_con_motivato(scavalchi,
                                       _motivati(motivazioni, "prestazioni", "fuori_ordine")))
    elif nome == LISTE[2]:
        margine = pl.col("attesa_massima") - pl.col("attesa_giorni")
        scadenza = _contro_attesa_massima(ricoveri.filter(
            (pl.col("stato") == "in_attesa") & (margine >= 0) & (margine <= giorni_preavviso)
        ), LISTE[2])
        pezzi.append(_con_motivato(scadenza, _motivati(motivazioni, "ricoveri", "superamento")))
    elif nome == LISTE[3]:
        if tutela is not None:
            pezzi.append(tutela)
    elif nome == LISTE[4]:
        appuntamento = pl.col("data_appuntamento").cast(pl.Date)
        if {"stato", "data_appuntamento"} <= set(prenotazioni.columns):  # (breaches only)
            pezzi.append(prenotazioni.filter(stato_non_aggiornato(pl.lit(oggi))).select(
                lista=pl.lit(LISTE[4]), registro=pl.lit("prestazioni"),
                id=pl.col("id_prenotazione"),
                codice_reparto_o_prestazione=pl.col("codice_prestazione"),
                codice_sede_o_patologia=pl.col("codice_sede"),
                classe_priorita=pl.col("classe_priorita"),
                giorni=(pl.lit(oggi) - appuntamento).dt.total_days(),
                soglia=pl.lit(None, dtype=pl.Int64),
                dal=appuntamento + pl.duration(days=1), motivato=pl.lit(False),
            ))
    else:
        raise ValueError(f"lista sconosciuta: {nome!r} (ammesse: {', '.join(LISTE)})")
    return pezzi


def una_lista(nome: str, *, prenotazioni: pl.DataFrame, ricoveri: pl.DataFrame,
              fuori_ordine: pl.DataFrame, motivazioni: pl.DataFrame, oggi: date,
              giorni_preavviso: int = 14, includi_motivati: bool = False,
              tutela: pl.DataFrame | None = None) -> pl.DataFrame:
    """The list `nome` alone (arguments as `lista_monitoraggio`), sorted: what a writer
    that goes list by list computes, writes and lets go before the next one."""
    pezzi = _pezzi(nome, prenotazioni=prenotazioni, ricoveri=ricoveri,
                   fuori_ordine=fuori_ordine, motivazioni=motivazioni, oggi=oggi,
                   giorni_preavviso=giorni_preavviso, tutela=tutela)
    lista = pl.concat([p.select((pl.col(c) if c in p.columns else pl.lit(None)).cast(t).alias(c)
                                for c, t in SCHEMA.items()) for p in pezzi]
                      or [pl.DataFrame(schema=SCHEMA)])
    del pezzi
    if not includi_motivati:
        lista = lista.filter(~pl.col("motivato"))
    distanza = pl.when(pl.col("soglia").is_null()).then(pl.col("giorni")
                                                         ).otherwise(pl.col("giorni")
                                                                     - pl.col("soglia"))
    # the order as a permutation, then one gather of the columns (sorting the frame itself
    # carried all of them through the sort); the list's rank, the first key of the whole
    # list's order, is the same for every row here
    ordine = lista.select(
        pl.arg_sort_by([urgenza(), distanza, pl.col("id"), pl.col("registro"),
                        pl.col("codice_sede_o_patologia")],
                       descending=[False, True, False, False, False],
                       nulls_last=True)).to_series()
    return lista[ordine]


def urgenza() -> pl.Expr:
    """The class's place in URGENZA for its register (0 the most urgent); no class last."""
    fuori = len(URGENZA["prestazioni"])
    per_registro = [
        pl.when(pl.col("registro") == registro).then(
            pl.col("classe_priorita").replace_strict(classi, list(range(len(classi))),
                                                     default=fuori, return_dtype=pl.Int64))
        for registro, classi in URGENZA.items()]
    return pl.coalesce(*per_registro, pl.lit(fuori, dtype=pl.Int64)).fill_null(fuori)


LETTE_DALLE_LISTE = ["id_prenotazione", "codice_prestazione", "codice_sede", "classe_priorita",
                     "data_prenotazione", "data_appuntamento", "stato", "attesa_giorni",
                     "standard_giorni", "superamento", "fuori_ordine"]
"""The columns of the derived bookings `lista_monitoraggio` reads."""


def in_una_lista(oggi: date, liste: Collection[str] = tuple(LISTE)) -> pl.Expr:
    """The bookings `lista_monitoraggio` can put in `liste` as of `oggi` (a breach, an
    overtake, a state not updated): what `calcola_lista` keeps of the register before
    building the lists."""
    predicati = {LISTE[0]: pl.col("superamento").fill_null(False),
                 LISTE[1]: pl.col("fuori_ordine").fill_null(0) > 0,
                 LISTE[4]: stato_non_aggiornato(pl.lit(oggi))}
    return pl.any_horizontal(pl.lit(False), *(p for lista, p in predicati.items()
                                              if lista in liste))


def _ingressi(engine: Engine, settings: Settings, oggi: date, liste: Collection[str]
              ) -> dict[str, object]:
    """What `una_lista` reads, from the register as it is now (keyword arguments)."""
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    # Of the register only the columns the lists read, the codes dictionary-coded (the lists
    # cast them to text, SCHEMA), and only the bookings that can enter a list: at 5 M
    # bookings the whole derived register took 4 GB before a single row was listed.
    letti = colonnare.prenotazioni(engine, settings, colonne=["id_prenotazione", *COLONNE_LETTE],
                                   codici_categorici=True)
    prenotazioni = deriva(con_fuori_ordine(letti, profilo), profilo).filter(
        in_una_lista(oggi, liste)).select(LETTE_DALLE_LISTE).collect()
    del letti
    ricoveri, coppie = ricoveri_verificati(engine, settings, oggi)
    return {"prenotazioni": prenotazioni, "ricoveri": ricoveri, "fuori_ordine": coppie,
            "motivazioni": vigenti(engine), "oggi": oggi,
            "giorni_preavviso": settings.giorni_in_scadenza,
            "tutela": calcola_ritardi(engine=engine, settings=settings, oggi=oggi)}


def liste_una_per_volta(*, engine: Engine, settings: Settings, oggi: date,
                        includi_motivati: bool = False,
                        liste: Collection[str] = tuple(LISTE)
                        ) -> Iterator[tuple[str, pl.DataFrame]]:
    """(name, list) for each of `liste` in LISTE order, each sorted and with NOMI: the list
    as `calcola_lista` returns it, one list at a time. A writer that writes each and lets
    it go before asking for the next holds one list, never the whole: at 5 M bookings the
    overtakes alone are 2.8 M of the 4.5 M entries, and holding the whole list, its sort and
    its names kept `registro monitoring` above 2 GiB. The generator keeps no reference to a
    list it has yielded."""
    ingressi = _ingressi(engine, settings, oggi, liste)
    nomi = nomi_dei_codici(engine)
    for nome in LISTE:
        if nome in liste:
            yield nome, con_nomi(una_lista(nome, includi_motivati=includi_motivati,
                                           **ingressi),  # type: ignore[arg-type]
                                 engine, nomi=nomi)


def vuota() -> pl.DataFrame:
    """The list with no entry: COLONNE with SCHEMA's types, then NOMI as text."""
    return pl.DataFrame(schema={**SCHEMA, **dict.fromkeys(NOMI, pl.String)})


def calcola_lista(*, engine: Engine, settings: Settings, oggi: date,
                  includi_motivati: bool = False,
                  liste: Collection[str] = tuple(LISTE)) -> pl.DataFrame:
    """The list from the register as it is now: the rules are re-applied as of `oggi`, so the
    list never depends on when `registro check` last ran. `liste`: only those lists (the
    Conferenza's report reads the breaches alone, not millions of overtakes). The whole list
    in one frame, for the console and the API; a command that writes it to a file goes
    through `liste_una_per_volta` and `scrivi_liste`, which never hold it whole."""
    return pl.concat([vuota(), *(lista for _, lista in liste_una_per_volta(
        engine=engine, settings=settings, oggi=oggi, includi_motivati=includi_motivati,
        liste=liste))])


Nomi = dict[str, tuple[pl.Series, pl.Series]]
"""For each kind of code ("prestazione", "sede", "reparto") its codes and their names."""


def nomi_dei_codici(engine: Engine) -> Nomi:
    """The names of the services, sites and wards, read once for all the lists."""
    testo = {"codice": pl.String(), "nome": pl.String()}
    nomi: Nomi = {}
    for tipo, sql in (("prestazione", "SELECT codice, descrizione AS nome FROM prestazione"),
                      ("sede", "SELECT codice, nome FROM sede"),
                      ("reparto", "SELECT codice, nome FROM reparto")):
        df = db.read_frame(engine, sql, testo).unique("codice", keep="first",
                                                      maintain_order=True)
        nomi[tipo] = (df["codice"], df["nome"])
    return nomi


def con_nomi(lista: pl.DataFrame, engine: Engine, *, nomi: Nomi | None = None
             ) -> pl.DataFrame:
    """NOMI after COLONNE, the order kept: the service's description for a booking; the
    site's name for a booking, the ward's for an admission. A look-up of each code in the
    few hundred names (`replace_strict`), not a join of the list with each table: the three
    joins each copied the whole list (at 5 M bookings, 4.5 M entries)."""
    nomi = nomi_dei_codici(engine) if nomi is None else nomi

    def nome(tipo: str, colonna: str, registro: str) -> pl.Expr:
        codici, testi = nomi[tipo]
        return pl.when(pl.col("registro") == registro).then(
            pl.col(colonna).replace_strict(codici, testi, default=None,
                                           return_dtype=pl.String))

    return lista.select(
        *COLONNE,
        descrizione_prestazione=nome("prestazione", "codice_reparto_o_prestazione",
                                     "prestazioni"),
        nome_sede_o_reparto=pl.coalesce(
            nome("sede", "codice_sede_o_patologia", "prestazioni"),
            nome("reparto", "codice_reparto_o_prestazione", "ricoveri")))


def scrivi_lista(df: pl.DataFrame, path: Path, formato: Literal["csv", "json"]) -> Path:
    return scrivi_tabella(df, path, formato, colonne=[*COLONNE, *NOMI])


def scrivi_liste(liste: Iterable[pl.DataFrame], path: Path, formato: Literal["csv", "json"],
                 *, righe_per_fetta: int = RIGHE_PER_FETTA) -> Path:
    """The lists one after the other into one file, the bytes `scrivi_lista` writes for
    their concatenation; each list is written in slices and let go before the next is
    computed (`registro.csvsafe.scrivi_a_pezzi`)."""
    colonne = [*COLONNE, *NOMI]
    return scrivi_a_pezzi(liste, path, formato, schema=vuota().select(colonne).schema,
                          righe_per_fetta=righe_per_fetta)


# --- the Pubblica tutela's terms past due (`tutela_in_ritardo`) -------------------------------

def ritardi(segnalazioni: pl.DataFrame, *, termini: regole.Termini, oggi: date
            ) -> pl.DataFrame:
    """`tutela_in_ritardo`: one row per term still open and past its due date on `oggi`
    (reports.monitoring columns): `id` the segnalazione, `termine` the term (trasmissione,
    informazione_servizi, risposta_servizi, risposta), `servizio` the service (both also in
    `codice_sede_o_patologia` and `codice_reparto_o_prestazione`, as they always were),
    `giorni` the days elapsed since the term started and
    `soglia` its days (counted as the setting says, like an attesa against its standard),
    `dal` the first day past the due date."""
    righe = []
    for s in segnalazioni.filter(pl.col("ricevuta_il") <= oggi).iter_rows(named=True):
        vista = regole.al_giorno(s, oggi)
        for x in regole.in_ritardo(vista, termini, oggi):
            righe.append({"lista": "tutela_in_ritardo", "registro": "tutela", "id": str(s["id"]),
                          "codice_reparto_o_prestazione": s["servizio"],
                          "codice_sede_o_patologia": x.termine, "classe_priorita": None,
                          "giorni": termini.giorni_tra(x.dal, oggi), "soglia": x.giorni,
                          "dal": x.scade_il + timedelta(days=1), "motivato": False,
                          "termine": x.termine, "servizio": s["servizio"]})
    return pl.DataFrame(righe, schema=SCHEMA, orient="row")


def calcola_ritardi(*, engine: Engine, settings: Settings, oggi: date) -> pl.DataFrame:
    return ritardi(leggi_segnalazioni(engine), termini=regole.Termini.da_impostazioni(settings),
                   oggi=oggi)
