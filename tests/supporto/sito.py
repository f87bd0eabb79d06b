"""Registers for the public-site tests: a synthetic ASL-year, or a few hand-made cells."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
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
from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
from registro.db import make_engine, migrate
from registro.settings import Settings, load_settings
from supporto.prenotazioni import riga, scrivi_export


def anagrafiche(engine: Engine, cartella: Path) -> None:
    """The national catalog, the synthetic ASL's sites and the demo wards."""
    importa_catalogo(catalogo_nazionale(), engine=engine)
    sedi = scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune",
                                                        "indirizzo"], orient="row"),
                              cartella / "sedi.csv")
    importa_sedi(sedi, engine=engine)
    importa_reparti(reparti_demo(), engine=engine)


def registro_sintetico(cartella: Path, *, prenotazioni: int, ricoveri: int,
                       anno: int = 2025) -> tuple[Engine, Settings]:
    """A SQLite register of one synthetic year (bookings and planned admissions)."""
    cartella.mkdir(parents=True, exist_ok=True)
    settings = load_settings(db_url=f"sqlite:///{cartella / 'registro.db'}",
                             data_dir=cartella / "dati", chiave_pseudonimi="chiave-di-prova",
                             url_privacy="https://www.example.org/privacy",
                             url_note_legali="https://www.example.org/note-legali",
                             accessibilita_email="accessibilita@example.org",
                             accessibilita_verificata_il="2026-01-10",
                             cup_telefono="800 000 000", cup_orari="dal lunedì al venerdì 8-18",
                             upt_telefono="0331 449707", upt_email="upt@example.org",
                             upt_indirizzo="Via Papa Giovanni Paolo II, Legnano",
                             upt_orari="dal lunedì al venerdì 9.30-12.30")
    engine = make_engine(settings.db_url)
    migrate(engine)
    anagrafiche(engine, cartella)
    ingest(scrivi_csv(cartella / "cup.csv", rows=prenotazioni, seed=7, anno=anno),
           engine=engine, settings=settings)
    ingest(scrivi_csv_ricoveri(cartella / "ricoveri.csv", rows=ricoveri, seed=7, anno=anno),
           engine=engine, settings=settings, registro="ricoveri")
    return engine, settings


# -- the golden site's register -------------------------------------------------------------

GOLDEN_PERIODO = "2026-Q1"
GOLDEN_OGGI = "2026-04-15"
"""The golden site's period and reference date: fixed, so the golden does not age."""
GOLDEN_GENERATO = "2026-04-16T06:05"
"""When the golden pages say they were generated (a real build says when it ran)."""

GOLDEN_CATALOGO = """codice,descrizione,tipo,branca,tariffa
89.7A.3,Prima visita cardiologica,visita,Cardiologia,22.50
87.37.1,Mammografia bilaterale,immagini,Radiologia,48.80
90.27.1,Glucosio,laboratorio,,1.17
89.52,Elettrocardiogramma,strumentale,Cardiologia,11.62
90.62.2,Emocromo,laboratorio,,
"""
# The catalog's amounts: a tariff below `ticket_massimo` (ticket = tariff), one above it
# (ticket = 36,15), one service without a tariff ("tariffa non indicata").
GOLDEN_SEDI = """codice,nome,comune,indirizzo
S001,Ospedale di Esempio,Esempio,Via dell'Ospedale 1
S002,Poliambulatorio Centro,Esempio,Piazza Grande 5
"""
GOLDEN_REPARTI = """codice,nome,presidio
08.01,Cardiologia,S001
09.01,Chirurgia generale,S001
"""
# (service, site, bookings, shortest wait in days): a cell well above the publication
# threshold, cells at it, one below it (suppressed), and one service with no bookings.
GOLDEN_CELLE = [("89.7A.3", "S001", 12, 1), ("89.7A.3", "S002", 6, 35),
                ("87.37.1", "S001", 7, 1), ("87.37.1", "S002", 3, 20),
                ("90.27.1", "S002", 7, 0)]
GOLDEN_PRIMA_DEL_PERIODO = [("89.52", "S001", "2025-12-10"), ("90.27.1", "S001", "2025-11-03")]
"""Bookings before the period: the site delivers the service (Carta §5.1 register) but has
no booking of it in the period ("nessuna prenotazione nel periodo")."""


def registro_golden(cartella: Path, db_url: str) -> tuple[Engine, Settings]:
    """The small fixed register of the golden site: four services, two sites, two wards, a
    quarter of bookings and admissions made by formula (no randomness, no clock)."""
    cartella.mkdir(parents=True, exist_ok=True)
    settings = load_settings(db_url=db_url, data_dir=cartella / "dati",
                             chiave_pseudonimi="chiave-di-prova", ente="ASL di esempio",
                             url_privacy="https://www.example.org/privacy",
                             url_note_legali="https://www.example.org/note-legali",
                             accessibilita_email="accessibilita@example.org",
                             accessibilita_verificata_il="2026-03-31",
                             cup_telefono="800 000 000", cup_orari="dal lunedì al venerdì 8-18",
                             upt_telefono="0331 000000", upt_email="upt@example.org",
                             upt_indirizzo="Via dell'Ospedale 1, Esempio",
                             upt_orari="dal lunedì al venerdì 9.30-12.30")
    engine = make_engine(settings.db_url)
    migrate(engine)
    for nome, testo, importa in (("catalogo.csv", GOLDEN_CATALOGO, importa_catalogo),
                                 ("sedi.csv", GOLDEN_SEDI, importa_sedi),
                                 ("reparti.csv", GOLDEN_REPARTI, importa_reparti)):
        (cartella / nome).write_text(testo, encoding="utf-8")
        importa(cartella / nome, engine=engine)

    inizio, oggi = date(2026, 1, 5), date.fromisoformat(GOLDEN_OGGI)
    righe, k = [], 0
    for codice, sede, n, minima in GOLDEN_CELLE:
        for i in range(n):
            k += 1
            prenotata = inizio + timedelta(days=(i * 9 + k) % 84)
            appuntamento = prenotata + timedelta(days=minima + (i * 5) % 17)
            righe.append(riga(
                f"G{k:04d}", codice_prestazione=codice, codice_sede=sede,
                data_prenotazione=f"{prenotata.isoformat()}T09:00",
                data_appuntamento=f"{appuntamento.isoformat()}T10:30",
                tipo_accesso="controllo" if k % 11 == 0 else "primo",
                stato="erogata" if appuntamento < oggi else "prenotata",
                id_assistito=f"A{k:07d}"))
    for codice, sede, giorno in GOLDEN_PRIMA_DEL_PERIODO:
        k += 1
        righe.append(riga(f"G{k:04d}", codice_prestazione=codice, codice_sede=sede,
                          data_prenotazione=f"{giorno}T09:00",
                          data_appuntamento=f"{giorno}T11:00", stato="erogata",
                          id_assistito=f"A{k:07d}"))
    ingest(scrivi_export(cartella / "cup.csv", righe), engine=engine, settings=settings)

    lista = ["id_ricovero,data_inserimento,codice_reparto,codice_patologia,"
             "descrizione_patologia,classe_priorita,stato,data_ricovero,id_assistito,"
             "aggiornato_il"]
    for i in range(11):  # Cardiologia: 6 admitted in the quarter, 5 still waiting
        inserito = date(2025, 12, 20) + timedelta(days=i * 6)
        ricoverato = inserito + timedelta(days=20 + i * 4)
        stato, quando = ("ricoverato", ricoverato.isoformat()) if i < 6 else ("in_attesa", "")
        lista.append(f"R{i:03d},{inserito.isoformat()}T09:00,08.01,36.10,"
                     f"Angioplastica coronarica,B,{stato},{quando},B{i:07d},")
    for i in range(2):  # Chirurgia generale: too few to publish
        inserito = date(2026, 1, 10) + timedelta(days=i * 10)
        lista.append(f"C{i:03d},{inserito.isoformat()}T09:00,09.01,53.00,Ernia inguinale,C,"
                     f"ricoverato,{(inserito + timedelta(days=30)).isoformat()},"
                     f"C{i:07d},")
    (cartella / "ricoveri.csv").write_text("\n".join(lista) + "\n", encoding="utf-8")
    ingest(cartella / "ricoveri.csv", engine=engine, settings=settings, registro="ricoveri")
    return engine, settings
