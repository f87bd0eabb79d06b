"""The console's monitoring list on a synthetic register: every order walked page by page
returns each item once, in the order an oracle gets by sorting the whole list; the date
filters; the XLSX export (a formula-like value stays text); the kept list forgets an item
as soon as a motivazione is recorded, from the console or elsewhere, and sees a new ingest."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from supporto.console import csrf
from supporto.console_sintetico import (  # noqa: F401
    FORMULA,
    chiave_voce,
    entra,
    registro_sintetico,
    tutte_le_pagine,
    voci_della_pagina,
)
from supporto.prenotazioni import riga, scrivi_export

from cup.ingest import ingest
from registro import motivazioni
from registro.settings import Settings
from reports.monitoring import calcola_lista
from servizio.console import lista as ls

pytestmark = pytest.mark.postgres


def _lista(engine: Engine, settings: Settings) -> pl.DataFrame:
    return calcola_lista(engine=engine, settings=settings, oggi=date.today())


def _oracolo(lista: pl.DataFrame, ordina: str) -> list[str]:
    """The whole list in the order asked, sorted here from calcola_lista's own order (most
    urgent first), which breaks the ties."""
    if ordina == "giorni":
        lista = lista.sort("giorni", descending=True, nulls_last=True, maintain_order=True)
    elif ordina == "data":
        lista = lista.sort("dal", nulls_last=True, maintain_order=True)
    return [chiave_voce(r) for r in lista.iter_rows(named=True)]


@pytest.mark.parametrize("ordina", ["urgenza", "giorni", "data"])
def test_every_order_pages_through_the_whole_list_once(
        entra: Callable[[str], TestClient], registro_sintetico: Engine, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, ordina: str) -> None:
    monkeypatch.setattr(ls, "PER_PAGINA", 40)
    attesi = _oracolo(_lista(registro_sintetico, settings), ordina)
    assert len(attesi) > 200
    visti, pagine = tutte_le_pagine(entra("direzione"), f"/console/monitoraggio?ordina={ordina}")
    assert pagine == -(-len(attesi) // 40)
    assert len(visti) == len(set(visti))
    assert visti == attesi


def test_order_and_filters_together_keep_the_keyset_right(
        entra: Callable[[str], TestClient], registro_sintetico: Engine, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls, "PER_PAGINA", 7)
    lista = _lista(registro_sintetico, settings).filter(
        (pl.col("registro") == "prestazioni") & (pl.col("dal") >= date(2025, 6, 1))
        & (pl.col("dal") <= date(2025, 9, 30)))
    assert lista.height > 14
    visti, _ = tutte_le_pagine(
        entra("direzione"),
        "/console/monitoraggio?registro=prestazioni&dal=01/06/2025&al=2025-09-30&ordina=data")
    assert visti == _oracolo(lista, "data")


def test_date_filters(entra: Callable[[str], TestClient], registro_sintetico: Engine,
                      settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls, "PER_PAGINA", 5)
    c = entra("lettura")
    lista = _lista(registro_sintetico, settings)
    dal, al = date(2025, 10, 1), date(2025, 10, 31)
    n_dal = lista.filter(pl.col("dal") >= dal).height
    n_tra = lista.filter(pl.col("dal").is_between(dal, al)).height
    n_al = lista.filter(pl.col("dal") <= al).height
    assert 0 < n_tra < n_dal < lista.height and n_tra < n_al < lista.height

    def conteggio(query: str) -> int:
        html = c.get(f"/console/monitoraggio?{query}").text
        m = re.search(r'id="conteggio">([\d.]+) voc', html)
        assert m, html[:300]
        return int(m.group(1).replace(".", ""))

    assert conteggio("dal=2025-10-01") == n_dal
    assert conteggio("al=2025-10-31") == n_al
    assert conteggio("dal=2025-10-01&al=2025-10-31") == n_tra
    assert conteggio("dal=01/10/2025&al=31/10/2025") == n_tra  # the Italian way too
    assert 'value="2025-10-01"' in c.get("/console/monitoraggio?dal=01/10/2025").text
    pagina = c.get("/console/monitoraggio?dal=2025-10-01&al=2025-10-31").text
    assert 'value="2025-10-01"' in pagina and 'value="2025-10-31"' in pagina
    # the links carry the filters on
    assert "dal=2025-10-01" in re.search(r'<a href="([^"]+)" rel="next">', pagina).group(1)  # type: ignore[union-attr]
    sbagliata = c.get("/console/monitoraggio?dal=31-13-2025")
    assert sbagliata.status_code == 422 and "data non valida nel filtro «dal»" in sbagliata.text
    rovescia = c.get("/console/monitoraggio?dal=2025-10-31&al=2025-10-01")
    assert rovescia.status_code == 422 and "successiva" in rovescia.text
    assert c.get("/console/monitoraggio?ordina=a_caso").status_code == 422
    # a cursor of another order is refused in words, not with a 500
    pagina_giorni = c.get("/console/monitoraggio?ordina=giorni").text
    dopo = re.search(r"dopo=([^\"&]+)", pagina_giorni).group(1)  # type: ignore[union-attr]
    altro = c.get(f"/console/monitoraggio?ordina=data&dopo={dopo}")
    assert altro.status_code == 422 and "cursore di pagina non valido" in altro.text


def _celle(xlsx: bytes) -> tuple[list[str], str]:
    """The shared strings and the sheet's XML of an XLSX (read with the standard library)."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        condivise = z.read("xl/sharedStrings.xml").decode()
        foglio = z.read("xl/worksheets/sheet1.xml").decode()
    return re.findall(r"<t(?: [^>]*)?>([^<]*)</t>", condivise), foglio


def test_xlsx_export_same_rows_as_csv_and_formulas_stay_text(
        entra: Callable[[str], TestClient], registro_sintetico: Engine,
        settings: Settings) -> None:
    c = entra("direzione")
    query = "registro=prestazioni&lista=superamento_senza_motivazione&dal=2025-11-01"
    r = c.get(f"/console/monitoraggio.xlsx?{query}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "monitoraggio_" in r.headers["content-disposition"]
    testi, foglio = _celle(r.content)
    assert "<f>" not in foglio and "<f " not in foglio  # no formula anywhere
    assert FORMULA in testi  # the id is there, as text
    attesi = _lista(registro_sintetico, settings).filter(
        (pl.col("registro") == "prestazioni")
        & (pl.col("lista") == "superamento_senza_motivazione")
        & (pl.col("dal") >= date(2025, 11, 1)))
    righe = re.findall(r"<row ", foglio)
    assert len(righe) == attesi.height + 1  # header + items
    assert testi[:3] == ["lista", "registro", "id"]
    assert set(attesi["id"].to_list()) <= set(testi)
    csv = c.get(f"/console/monitoraggio.csv?{query}").text.strip().splitlines()
    assert len(csv) == len(righe)
    # a wrong filter: the error in words, no file
    errore = c.get("/console/monitoraggio.xlsx?dal=ieri")
    assert errore.status_code == 422 and "data non valida" in errore.text
    # lettura may not export
    assert entra("lettura").get(f"/console/monitoraggio.xlsx?{query}").status_code == 403


def test_a_motivazione_takes_the_item_out_of_the_kept_list_at_once(
        entra: Callable[[str], TestClient], registro_sintetico: Engine, settings: Settings,
        tmp_path: Path) -> None:
    c = entra("direzione")
    pagina = c.get("/console/monitoraggio?lista=superamento_senza_motivazione").text
    voce = re.findall(r'name="voce" value="([^"]+)"', pagina)[0]
    registro, _, ident = voce.split("|")
    r = c.post("/console/monitoraggio/motivazioni",
               data={"csrf": csrf(pagina), "testo": "Guasto del tomografo", "voce": [voce],
                     "ritorno": "/console/monitoraggio?lista=superamento_senza_motivazione"},
               follow_redirects=True)
    assert r.status_code == 200 and "1 motivazione registrata" in r.text
    chiavi = {v.split("|")[2] for v in voci_della_pagina(r.text)}
    assert ident not in chiavi
    # another person's page (same server, same kept list) agrees, and so does the register
    altra = entra("lettura")
    tutte = c.get("/console/monitoraggio.csv?lista=superamento_senza_motivazione").text
    assert f",{ident}," not in tutte
    rimasta = _lista(registro_sintetico, settings).filter(
        (pl.col("lista") == "superamento_senza_motivazione") & (pl.col("id") == ident))
    assert rimasta.height == 0
    assert "motivata" in altra.get(
        f"/console/monitoraggio?lista=superamento_senza_motivazione&includi_motivati=1"
        f"&registro={registro}").text
    # a motivazione recorded elsewhere (the API, the CLI) is seen at the next request too
    seconda = voci_della_pagina(altra.get(
        "/console/monitoraggio?lista=superamento_senza_motivazione").text)[0]
    with Session(registro_sintetico) as session:
        motivazioni.registra(session=session, registro=seconda.split("|")[1],
                             riferimento=seconda.split("|")[2], testo="Ferie del reparto",
                             autore="script", quando=datetime.now())
    assert seconda not in voci_della_pagina(altra.get(
        "/console/monitoraggio?lista=superamento_senza_motivazione").text)
    # and a new ingest brings its breach in at once
    ingest(scrivi_export(tmp_path / "nuova.csv", [
        riga("NUOVA-OLTRE", data_prenotazione="2025-12-01T10:00",
             data_appuntamento="2025-12-29T09:00", classe_priorita="D")]),
        engine=registro_sintetico, settings=settings)
    assert "NUOVA-OLTRE" in c.get("/console/monitoraggio.csv").text
