"""The console's dashboard on a synthetic register: four server-drawn SVG charts, each an
image with its title and description, and beside each a table whose figures are the
dashboard's numbers (reports.cruscotto), in Italian formats; the description says the same."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.console_sintetico import entra, registro_sintetico  # noqa: F401

from public_site.formato import nome_mese
from registro.formato import numero, percentuale
from registro.periodo import Periodo
from registro.settings import Settings
from reports import cruscotto as cr
from reports.monitoring import calcola_lista

pytestmark = pytest.mark.postgres


def _tabella(html: str, didascalia: str) -> list[list[str]]:
    """The body rows of the table whose caption starts with `didascalia`, cells as text."""
    m = re.search(r"<caption[^>]*>" + re.escape(didascalia) + r".*?</caption>(.*?)</table>",
                  html, re.S)
    assert m, didascalia
    corpo = m.group(1).split("<tbody>")[1]
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", corpo, re.S)]


def _svg(html: str, ident: str) -> str:
    m = re.search(r'<svg role="img" aria-labelledby="' + ident + r'-titolo ' + ident
                  + r'-desc".*?</svg>', html, re.S)
    assert m, ident
    return m.group(0)


def test_charts_and_tables_show_the_dashboards_numbers(
        entra: Callable[[str], TestClient], registro_sintetico: Engine,
        settings: Settings) -> None:
    periodo = Periodo.parse("2025-Q4")
    dati = cr.calcola(engine=registro_sintetico, settings=settings,
                      lista=calcola_lista(engine=registro_sintetico, settings=settings,
                                          oggi=date.today()), periodo=periodo)
    assert dati is not None and dati.per_branca.height > 2 and dati.peggiori.height == 10
    html = entra("lettura").get("/console/?periodo=2025-Q4").text

    for ident in ("grafico-branca", "grafico-sede", "grafico-andamento", "grafico-peggiori"):
        svg = _svg(html, ident)
        assert f'<title id="{ident}-titolo">' in svg and f'<desc id="{ident}-desc">' in svg
        assert "<rect" in svg

    # by branca: the table's figures, and the chart's description, are the dashboard's
    righe = _tabella(html, "Quota entro lo standard per branca")
    desc = html_lib.unescape(re.search(r'<desc id="grafico-branca-desc">(.*?)</desc>',
                                       html, re.S).group(1))  # type: ignore[union-attr]
    assert len(righe) == dati.per_branca.height
    for cella, r in zip(righe, dati.per_branca.iter_rows(named=True), strict=True):
        assert cella[:4] == [r["branca"], numero(r["n"]), numero(r["entro_standard"]),
                             percentuale(r["quota_entro_standard"])]
        assert cella[4].startswith(percentuale(r["quota_precedente"]))
        assert f"{r['branca']}: periodo 2025-Q4 {percentuale(r['quota_entro_standard'])}" in desc

    # by site
    righe = _tabella(html, "Quota entro lo standard per sede")
    assert [c[1] for c in righe] == [numero(n) for n in dati.per_sede["n"]]
    assert [c[3] for c in righe] == [percentuale(q) for q in dati.per_sede["quota_entro_standard"]]

    # the monthly trend: twelve months ending with December 2025
    righe = _tabella(html, "Andamento mensile")
    assert [c[0] for c in righe] == [nome_mese(m) for m in dati.andamento["mese"]]
    assert righe[-1][0] == "dicembre 2025" and len(righe) == 12
    assert [c[1:] for c in righe] == [
        [numero(r["n"]), numero(r["entro_standard"]), percentuale(r["quota_entro_standard"])]
        for r in dati.andamento.iter_rows(named=True)]
    desc = html_lib.unescape(re.search(r'<desc id="grafico-andamento-desc">(.*?)</desc>',
                                       html, re.S).group(1))  # type: ignore[union-attr]
    primo = dati.andamento.row(0, named=True)
    assert f"{nome_mese(primo['mese'])}: {percentuale(primo['quota_entro_standard'])}" in desc

    # the ten worst services, lowest share first, each with enough bookings
    righe = _tabella(html, "Le dieci prestazioni più lontane")
    assert len(righe) == 10
    quote = dati.peggiori["quota_entro_standard"].to_list()
    assert quote == sorted(quote)
    assert min(dati.peggiori["n"]) >= settings.soglia_pubblicazione
    for cella, r in zip(righe, dati.peggiori.iter_rows(named=True), strict=True):
        assert cella[0].startswith(r["codice_prestazione"])
        assert cella[1:] == [numero(r["n"]), numero(r["entro_standard"]),
                             percentuale(r["quota_entro_standard"])]
    # Italian formats: a decimal comma, never a decimal point, in the shares
    assert re.search(r"\d+,\d %", html) and not re.search(r"\d+\.\d %", html)


def test_dashboard_counts_follow_the_kept_list(entra: Callable[[str], TestClient],
                                               registro_sintetico: Engine,
                                               settings: Settings) -> None:
    lista = calcola_lista(engine=registro_sintetico, settings=settings, oggi=date.today())
    html = entra("direzione").get("/console/").text
    n = lista.filter(lista["lista"] == "superamento_senza_motivazione").height
    assert re.search(rf'<span class="cifra">{re.escape(numero(n))}</span>\s*'
                     r'<a href="/console/monitoraggio\?lista=superamento_senza_motivazione">',
                     html)
    assert html.count('role="img"') == 4
