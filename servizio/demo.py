"""`registro demo`: the whole main job on synthetic data, on an embedded SQLite register.

Composition layer (like the CLI): synthetic CUP export and planned-admission list for one
ASL-year -> init -> ingest -> check -> statistics -> monitoring list -> sanctions listing
-> public site -> the three periodic reports (archived, not sent), with synthetic
segnalazioni to the Ufficio di Pubblica Tutela recorded after the check,
then a short summary of what a Direttore Sanitario would look at and where the outputs are.
The reference date is the last day of the demo year, so waits in progress are those of
31 December.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import polars as pl
from rich.console import Console
from sqlalchemy import Engine

from cup.catalogo import (
    catalogo_nazionale,
    importa_catalogo,
    importa_reparti,
    importa_sedi,
    reparti_demo,
)
from cup.ingest import ingest
from cup.synthetic import SEDI, scrivi_csv
from cup.synthetic_ricoveri import scrivi_csv_ricoveri
from cup.synthetic_tutela import genera_segnalazioni
from public_site.build import build_site
from registro import colonnare
from registro.check import check
from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
from registro.db import make_engine, migrate, transazione
from registro.formato import intero
from registro.letture import leggi_ricoveri
from registro.money import format_euro_it
from registro.ordine import fuori_ordine
from registro.periodo import Periodo
from registro.settings import load_settings
from registro.standards import carica_profilo
from reports.monitoring import calcola_lista, scrivi_lista
from reports.registro_sanzioni import elenco_sanzioni, scrivi_sanzioni, totali
from reports.service import esegui
from reports.stats import scrivi_tabella, tabella_prestazioni
from reports.stats_ricoveri import scrivi_tabella_ricoveri, tabella_ricoveri
from servizio.console.permessi import RUOLI
from servizio.console.service import crea_utente
from servizio.console.sicurezza import password_generata


def esegui_demo(out_dir: Path, *, rows: int, seed: int, console: Console,
                passo: Callable[[str], AbstractContextManager[None]]) -> dict[str, object]:
    t0 = time.perf_counter()
    anno = 2025
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "registro.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # The data folder (archive, key) beside the register: the default, so that later
    # commands on demo/registro.db find the same key.
    settings = load_settings(db_url=f"sqlite:///{db_path}")
    engine = make_engine(settings.db_url)

    export = out_dir / f"cup_{anno}.csv"
    lista_ricoveri = out_dir / f"ricoveri_{anno}.csv"
    al = date(anno, 12, 31)
    with passo(f"1/7 export CUP sintetico ({intero(rows)} prenotazioni) e lista dei ricoveri"):
        scrivi_csv(export, rows=rows, seed=seed, anno=anno)
        scrivi_csv_ricoveri(lista_ricoveri, rows=max(rows // 15, 100), seed=seed, anno=anno)
    with passo("2/7 schema e catalogo"):
        migrate(engine)
        importa_catalogo(catalogo_nazionale(), engine=engine)
        sedi_csv = out_dir / "sedi.csv"
        scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune", "indirizzo"],
                                        orient="row"), sedi_csv)
        importa_sedi(sedi_csv, engine=engine)
        importa_reparti(reparti_demo(), engine=engine)
    with passo("3/7 ingest"):
        esito = ingest(export, engine=engine, settings=settings)
        esito_ric = ingest(lista_ricoveri, engine=engine, settings=settings,
                           registro="ricoveri")
    with passo("4/7 verifica, bonum e malum, ordine cronologico"):
        verifica = check(engine=engine, settings=settings, oggi=al)
        n_segnalazioni = genera_segnalazioni(engine=engine, settings=settings, anno=anno,
                                             oggi=al, seed=seed)
    with passo("5/7 tabelle dei tempi di attesa"):
        pren = colonnare.prenotazioni(engine, settings)
        periodo = Periodo.parse(str(anno))
        tabelle = {}
        for profilo in ("carta1995", "pngla"):
            for lettura in ("ex_ante", "ex_post"):
                t = tabella_prestazioni(pren, profilo=carica_profilo(profilo),
                                        periodo=periodo, lettura=lettura)
                tabelle[(profilo, lettura)] = scrivi_tabella(
                    t, out_dir / f"tempi_attesa_{anno}_{profilo}_{lettura}.csv", "csv")
        lista = leggi_ricoveri(engine).lazy()
        ric_path = scrivi_tabella_ricoveri(
            tabella_ricoveri(lista, profilo=carica_profilo(settings.profilo), periodo=periodo,
                             fuori_ordine=fuori_ordine(lista)),
            out_dir / f"ricoveri_{anno}.tabella.csv", "csv")
        monitoraggio = calcola_lista(engine=engine, settings=settings, oggi=al)
        mon_path = scrivi_lista(monitoraggio, out_dir / "monitoraggio.csv", "csv")
        sanz = elenco_sanzioni(engine)
        sanz_path = scrivi_sanzioni(sanz, out_dir / "sanzioni.csv", "csv")
    with passo("6/7 sito pubblico"):
        sito = build_site(engine=engine, settings=settings, out=out_dir / "sito",
                          periodo=periodo, oggi=al)
    with passo("7/7 report: Conferenza dei Sindaci, Osservatorio, Direzione"):
        cartella_report = out_dir / "report"
        for tipo, p in (("conferenza", f"{anno}-H2"), ("osservatorio", f"{anno}-Q4")):
            esegui(engine=engine, settings=settings, tipo=tipo, periodo=p,
                   out=cartella_report / tipo, consegnare=False)
        esegui(engine=engine, settings=settings, tipo="direzione", al=al,
               out=cartella_report / "direzione", consegnare=False)
    tot = totali(sanz)
    secondi = time.perf_counter() - t0

    def riga(tipo: str) -> str:
        n, c = tot.get(tipo, (0, 0))
        return f"{intero(n)} per {format_euro_it(c)}"

    console.print(f"\n[bold]registro demo[/] — {settings.ente}, anno {anno} ({secondi:.0f} s)")
    console.print(f"  prenotazioni: {intero(esito.righe)} lette, "
                  f"{intero(esito.accettate)} nel registro, "
                  f"{intero(esito.scartate)} scartate")
    console.print(f"  in garanzia: {intero(verifica.in_garanzia)}; superamenti dello standard "
                  f"(da motivare): {intero(verifica.superamenti)}")
    console.print(f"  bonum: {riga('bonum')}; rimborsi ticket: {riga('rimborso_ticket')}")
    console.print(f"  malum: {riga('malum')}; rimborsi della differenza: "
                  f"{riga('rimborso_differenza')}")
    console.print(f"  referti non ritirati: {riga('referto_non_ritirato')}; prenotazioni "
                  "ancora «prenotata» dopo l'appuntamento: "
                  f"{intero(verifica.stato_non_aggiornato)}")
    per_lista = {(lista, registro): n for lista, registro, n in
                 monitoraggio.group_by("lista", "registro").len().iter_rows()}

    def voci(lista: str, registro: str | None = None) -> int:
        return sum(n for (lst, reg), n in per_lista.items()
                   if lst == lista and registro in (None, reg))

    console.print("  prenotazioni fuori ordine (§5.1): "
                  f"{intero(verifica.prenotazioni_fuori_ordine)} "
                  "ne hanno scavalcata almeno una")
    console.print(f"  ricoveri programmati: {intero(esito_ric.accettate)} in lista; "
                  f"{intero(verifica.superamenti_ricoveri)} oltre l'attesa massima, "
                  f"{intero(verifica.fuori_ordine)} ricoveri fuori ordine")
    console.print("  Direttore Sanitario, da esaminare: "
                  f"{intero(voci('superamento_senza_motivazione'))} superamenti senza motivazione, "
                  f"{intero(voci('fuori_ordine_senza_motivazione', 'prestazioni'))} prenotazioni e "
                  f"{intero(voci('fuori_ordine_senza_motivazione', 'ricoveri'))} ricoveri fuori "
                  f"ordine senza motivazione, {intero(voci('in_scadenza'))} ricoveri in scadenza")
    console.print(f"  Ufficio di Pubblica Tutela: {intero(n_segnalazioni)} segnalazioni "
                  "sintetiche; "
                  f"{intero(voci('tutela_in_ritardo'))} termini del regolamento scaduti "
                  "(lista tutela_in_ritardo)")
    console.print(f"  registro: {db_path}")
    console.print(f"  tabelle: {tabelle[('carta1995', 'ex_ante')]} (e le altre tre letture)")
    console.print(f"  ricoveri: {ric_path}")
    console.print(f"  lista di monitoraggio: {mon_path}")
    console.print(f"  sanzioni: {sanz_path}")
    console.print(f"  sito pubblico: {sito.index}")
    console.print(f"  report (Conferenza dei Sindaci, Osservatorio, Direzione): "
                  f"{cartella_report}")
    if esito.scartate:
        console.print(f"  scarti: {esito.file_scarti}")
    persone = utenti_console(engine)
    console.print("\n[bold]console web[/]: registro --db " + settings.db_url + " serve, poi "
                  "http://127.0.0.1:8000/console/ con una di queste utenze (password generate "
                  "ora, mostrate solo qui):")
    for nome, ruolo, password in persone:
        console.print(f"  {ruolo:<10} nome [bold]{nome}[/]  password [bold]{password}[/]",
                      highlight=False)
    return {"esito": esito.as_dict(), "verifica": verifica.as_dict(), "secondi": secondi,
            "utenti_console": [(n, r) for n, r, _ in persone]}


def utenti_console(engine: Engine) -> list[tuple[str, str, str]]:
    """One console person per role in the demo register, each with a generated password:
    (name, role, password). The passwords exist in clear only in this return value."""

    persone = [(f"demo-{ruolo}", ruolo, password_generata()) for ruolo in RUOLI]
    with transazione(engine) as session:
        for nome, ruolo, password in persone:
            crea_utente(session=session, nome=nome, ruolo=ruolo, password=password)
    return persone
