"""The planned-admission list goes in with the same guarantees as the bookings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from cup.catalogo import importa_reparti
from cup.ingest import ingest
from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.models import Reparto, Ricovero, RicoveroStoria, Scarto
from registro.motivazioni import registra
from registro.schede import dettaglio_ricovero
from registro.settings import Settings

HEADER = ("id_ricovero,data_inserimento,codice_reparto,codice_patologia,"
          "descrizione_patologia,classe_priorita,stato,data_ricovero,id_assistito,aggiornato_il")


def _lista(path: Path, *righe: str) -> Path:
    path.write_text("\n".join([HEADER, *righe]) + "\n", encoding="utf-8")
    return path


def test_ricoveri_ingest_rejects_versions_idempotence(engine: Engine, settings: Settings,
                                                      tmp_path: Path) -> None:
    reparti = tmp_path / "reparti.csv"
    reparti.write_text("codice,nome,presidio\n36.01,Ortopedia e traumatologia,S001\n",
                       encoding="utf-8")
    assert importa_reparti(reparti, engine=engine).aggiunte == 1
    lista = _lista(
        tmp_path / "lista.csv",
        "R1,2026-01-10T09:00,36.01,81.51,Protesi d'anca,C,in_attesa,,A1,2026-01-10T09:00",
        "R2,2026-01-11T09:00,36.01,81.51,Protesi d'anca,C,ricoverato,2026-03-01,A2,",
        "R3,2026-01-12T09:00,09.01,53.00,Ernia inguinale,E,in_attesa,,A3,",          # class
        "R4,2026-01-12T09:00,09.01,53.00,Ernia inguinale,B,ricoverato,,A4,",          # no date
        "R5,2026-02-12T09:00,09.01,53.00,Ernia inguinale,B,ricoverato,2026-02-01,A5,",  # before
    )
    esito = ingest(lista, engine=engine, settings=settings, registro="ricoveri")
    assert (esito.righe, esito.accettate, esito.scartate, esito.sedi_nuove) == (5, 2, 3, 0)
    with session_scope(engine) as s:
        motivi = {x.riga: (x.campo, x.motivo) for x in s.exec(select(Scarto)).all()}
    assert motivi[4][0] == "classe_priorita"
    assert motivi[5] == ("data_ricovero", "data_ricovero obbligatoria quando lo stato è ricoverato")
    assert motivi[6] == ("data_ricovero", "ricovero precedente all'inserimento in lista")

    again = ingest(lista, engine=engine, settings=settings, registro="ricoveri")
    assert (again.invariate, again.nuove) == (2, 0)

    aggiornata = _lista(
        tmp_path / "lista2.csv",
        "R1,2026-01-10T09:00,36.01,81.51,Protesi d'anca,C,ricoverato,2026-04-01,A1,"
        "2026-04-01T08:00",
        "R3,2026-01-12T09:00,09.01,53.00,Ernia inguinale,B,in_attesa,,A3,")
    esito = ingest(aggiornata, engine=engine, settings=settings, registro="ricoveri")
    assert (esito.aggiornate, esito.nuove, esito.sedi_nuove) == (1, 1, 1)
    with session_scope(engine) as s:
        r1 = s.get(Ricovero, "R1")
        assert r1 is not None and r1.stato == "ricoverato"
        assert len(s.exec(select(RicoveroStoria).where(RicoveroStoria.id_ricovero == "R1"))
                   .all()) == 1  # the superseded version; the current one is r1
        versioni = dettaglio_ricovero(session=s, engine=engine, id_ricovero="R1")["storia"]
        assert [v["stato"] for v in versioni] == ["in_attesa", "ricoverato"]
        nuovo = s.get(Reparto, "09.01")
        assert nuovo is not None and nuovo.da_completare


def test_motivazione_supersedes_never_edits(engine: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    ingest(_lista(tmp_path / "l.csv",
                  "R1,2025-01-10T09:00,36.01,81.51,Protesi,A,in_attesa,,A1,"),
           engine=engine, settings=settings, registro="ricoveri")
    with session_scope(engine) as s:
        prima = registra(session=s, registro="ricoveri", riferimento="R1",
                         testo="sala operatoria chiusa", autore="DS")
        seconda = registra(session=s, registro="ricoveri", riferimento="R1",
                           testo="sala operatoria chiusa per guasto", autore="DS")
        assert prima.oggetto == seconda.oggetto == "superamento"
        assert seconda.sostituisce_id == prima.id
        with pytest.raises(ErroreUtente, match="non presente"):
            registra(session=s, registro="ricoveri", riferimento="R9", testo="x", autore="DS")
        with pytest.raises(ErroreUtente, match="vuoto"):
            registra(session=s, registro="ricoveri", riferimento="R1", testo="  ", autore="DS")
