"""The console's monitoring list: motivazioni for one item and for many leave the list (and
`calcola_lista` agrees), a script in a motivazione renders escaped, keyset pages return every
item exactly once, the detail pages and the CSV."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.api import (  # noqa: F401
    registro_api,
)
from supporto.console import (  # noqa: F401
    cliente,
    csrf,
    persone,
    senza_pausa,
)

from registro.settings import Settings
from reports.monitoring import calcola_lista
from servizio.console import lista as ls

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _voci(html: str) -> list[str]:
    return re.findall(r'name="voce" value="([^"]+)"', html)


def _motiva(c: TestClient, voci: list[str], testo: str) -> None:
    pagina = c.get("/console/monitoraggio")
    r = c.post("/console/monitoraggio/motivazioni",
               data={"csrf": csrf(pagina.text), "testo": testo, "voce": voci,
                     "ritorno": "/console/monitoraggio"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def _in_lista(engine: Engine, settings: Settings) -> set[str]:
    lista = calcola_lista(engine=engine, settings=settings, oggi=date.today())
    return {f"{r['registro']}|{r['id']}" for r in lista.iter_rows(named=True)}


def test_one_and_bulk_motivazione_leave_the_list(cliente: Callable[[str], TestClient],
                                                  registro_api: Engine,
                                                  settings: Settings) -> None:
    c = cliente("direzione")
    voci = _voci(c.get("/console/monitoraggio").text)
    assert len(voci) >= 3, voci
    chiave = [v.split("|")[0] + "|" + v.split("|")[2] for v in voci]
    assert set(chiave) <= _in_lista(registro_api, settings)
    _motiva(c, voci[:1], XSS)
    rimaste = _voci(c.get("/console/monitoraggio").text)
    assert voci[0] not in rimaste
    _motiva(c, voci[1:3], "Carenza di personale nel periodo estivo")
    rimaste = _voci(c.get("/console/monitoraggio").text)
    assert not set(voci[:3]) & set(rimaste)
    assert not set(chiave[:3]) & _in_lista(registro_api, settings)
    # the motivazione shows on the item's page, escaped, with its author
    registro, _, ident = voci[0].split("|")
    percorso = "prenotazioni" if registro == "prestazioni" else "ricoveri"
    scheda = c.get(f"/console/{percorso}/{ident}").text
    assert "<script>alert" not in scheda and "&lt;script&gt;alert" in scheda
    assert "p-direzione" in scheda
    # and the list with the motivated items shows them so
    tutte = c.get("/console/monitoraggio?includi_motivati=1").text
    assert "motivata" in tutte


def test_empty_text_or_no_selection_is_an_error_kept_on_the_page(
        cliente: Callable[[str], TestClient]) -> None:
    c = cliente("direzione")
    pagina = c.get("/console/monitoraggio")
    r = c.post("/console/monitoraggio/motivazioni",
               data={"csrf": csrf(pagina.text), "testo": "  ", "voce": _voci(pagina.text)[:1]})
    assert r.status_code == 422 and 'href="#testo"' in r.text
    r = c.post("/console/monitoraggio/motivazioni",
               data={"csrf": csrf(pagina.text), "testo": "un testo"})
    assert r.status_code == 422 and "Selezionare almeno una voce" in r.text
    assert "un testo" in r.text  # the entered value is kept


def test_keyset_pages_return_every_item_once(cliente: Callable[[str], TestClient],
                                             registro_api: Engine, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls, "PER_PAGINA", 2)
    c = cliente("direzione")
    visti: list[str] = []
    url: str | None = "/console/monitoraggio"
    pagine = 0
    while url:
        html = c.get(url.replace("&amp;", "&")).text
        visti += re.findall(r'<th scope="row"><a href="/console/\w+/([^"]+)"', html)
        m = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = m.group(1) if m else None
        pagine += 1
    attesi = calcola_lista(engine=registro_api, settings=settings, oggi=date.today())
    attesi = attesi.filter(attesi["registro"] != "tutela")
    assert pagine >= 2
    assert sorted(visti) == sorted(attesi["id"].to_list())


def test_filters_count_and_csv(cliente: Callable[[str], TestClient], registro_api: Engine,
                               settings: Settings) -> None:
    c = cliente("direzione")
    lista = calcola_lista(engine=registro_api, settings=settings, oggi=date.today())
    n = lista.filter(lista["registro"] == "ricoveri").height
    html = c.get("/console/monitoraggio?registro=ricoveri").text
    assert re.search(rf'id="conteggio">{n} voc', html)
    r = c.get("/console/monitoraggio.csv?registro=ricoveri")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    righe = r.text.strip().splitlines()
    assert righe[0].startswith("lista,registro,id") and len(righe) == n + 1


def test_detail_pages_and_lettura_sees_no_assistito(cliente: Callable[[str], TestClient]
                                                    ) -> None:
    d = cliente("direzione")
    pagina = d.get("/console/prenotazioni/VECCHIA")
    assert pagina.status_code == 200
    assert pagina.text.count("<tr><td>") >= 2  # two versions received
    assert "Assistito" in pagina.text
    assert d.get("/console/prenotazioni/NESSUNA").status_code == 404
    lettura = cliente("lettura")
    assert "Assistito" not in lettura.get("/console/prenotazioni/VECCHIA").text
    impostazioni = lettura.get("/console/impostazioni").text
    assert "€ 25,82" in impostazioni
    assert "Ticket massimo per prestazione" in impostazioni and "€ 36,15" in impostazioni



def test_settings_page_lists_the_holidays_in_force(cliente: Callable[[str], TestClient]
                                                   ) -> None:
    """The holidays the working-day terms skip, this year and next: Christmas, New Year's
    Day and Easter Monday (it moves every year), each once."""
    from datetime import date, timedelta

    from public_site.formato import data_it
    from registro.festivi import pasqua

    pagina = cliente("lettura").get("/console/impostazioni").text
    for anno in (date.today().year, date.today().year + 1):
        elenco = pagina.split(f'id="festivi-{anno}"')[1].split("</ul>")[0]
        for giorno in (date(anno, 12, 25), date(anno, 1, 1),
                       pasqua(anno) + timedelta(days=1)):
            assert elenco.count(f"<li>{data_it(giorno)}</li>") == 1, (giorno, elenco)
        assert elenco.count("<li>") == 12  # the national holidays, no patron set
