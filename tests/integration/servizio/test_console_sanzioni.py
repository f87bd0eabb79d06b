"""The console's sanctions: the list, its filters and totals (Italian amounts), pages by key;
every transition the state machine allows, made from the page and audited with the person's
name; a forbidden one, a lost compare-and-set and a missing reason as clear Italian pages;
roles without the permission and a missing CSRF token get 403; `lettura` never sees the
pseudonym; an annulment reason with a script renders escaped in the page, the notice and
its PDF."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select
from supporto.api import (  # noqa: F401
    registro_api,
)
from supporto.console import (  # noqa: F401
    cliente,
    csrf,
    persone,
    senza_pausa,
)

from registro import stato_sanzioni
from registro.db import session_scope
from registro.models import Audit, Prenotazione, Sanzione
from registro.money import euro, format_euro_it
from servizio.console import sanzioni as sz

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _sanzioni(engine: Engine) -> list[Sanzione]:
    with session_scope(engine) as s:
        return list(s.exec(select(Sanzione).order_by(Sanzione.id)).all())  # type: ignore[arg-type]


def _una(engine: Engine, tipo: str) -> Sanzione:
    return next(x for x in _sanzioni(engine) if x.tipo == tipo)


def _numeri(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<th scope="row"><a href="/console/sanzioni/(\d+)">',
                                       html)]


def _cambia(c: TestClient, id_sanzione: int, stato: str, motivo: str = "",
            da: str | None = None) -> object:
    pagina = c.get(f"/console/sanzioni/{id_sanzione}")
    visto = da or re.search(r'name="da" value="([^"]+)"', pagina.text).group(1)  # type: ignore[union-attr]
    return c.post(f"/console/sanzioni/{id_sanzione}/stato",
                  data={"csrf": csrf(pagina.text), "da": visto, "stato": stato,
                        "motivo": motivo}, follow_redirects=False)


def _audit(engine: Engine, id_sanzione: int) -> list[Audit]:
    with session_scope(engine) as s:
        return list(s.exec(select(Audit).where(  # type: ignore[arg-type]
            Audit.risorsa == "sanzione", Audit.riferimento == str(id_sanzione))
            .order_by(Audit.id)).all())


def test_list_totals_and_filters(cliente: Callable[[str], TestClient],
                                 registro_api: Engine) -> None:
    tutte = _sanzioni(registro_api)
    assert {"bonum", "malum"} <= {x.tipo for x in tutte}
    c = cliente("lettura")
    html = c.get("/console/sanzioni").text
    assert sorted(_numeri(html)) == [x.id for x in tutte]
    assert re.search(rf'id="conteggio">{len(tutte)} sanzion', html)
    for tipo in {x.tipo for x in tutte}:
        cent = sum(x.importo_cent for x in tutte if x.tipo == tipo)
        righe = re.search(rf'<th scope="row">{tipo.replace("_", " ")}</th><td>totale</td>'
                          r'<td class="numero">(\d+)</td><td class="numero">([^<]+)</td>',
                          html)
        assert righe, tipo
        assert int(righe.group(1)) == sum(1 for x in tutte if x.tipo == tipo)
        assert righe.group(2) == format_euro_it(cent)
    assert "€ 25,82" in html
    # lettura: read-only, no pseudonym, no notice
    assert "Cambia lo stato" not in c.get(f"/console/sanzioni/{tutte[0].id}").text
    # filters
    malum = c.get("/console/sanzioni?tipo=malum").text
    assert _numeri(malum) == [x.id for x in tutte if x.tipo == "malum"]
    assert "Nessuna sanzione con questi filtri" in c.get("/console/sanzioni?stato=pagato").text
    with session_scope(registro_api) as s:
        sedi = {x.id: s.get(Prenotazione, x.id_prenotazione).codice_sede  # type: ignore[union-attr]
                for x in tutte}
    per_sede = c.get("/console/sanzioni?sede=S002").text
    assert sorted(_numeri(per_sede)) == sorted(i for i, sede in sedi.items() if sede == "S002")
    giorno = tutte[0].data_emissione
    dentro = c.get(f"/console/sanzioni?dal={giorno}&al={giorno}").text
    assert sorted(_numeri(dentro)) == [x.id for x in tutte if x.data_emissione == giorno]
    fuori = c.get(f"/console/sanzioni?al={giorno.replace(year=giorno.year - 1)}").text
    assert _numeri(fuori) == []
    errata = c.get("/console/sanzioni?dal=15/03/2026&tipo=nessuno")
    assert errata.status_code == 422
    assert "non valida: usare il formato AAAA-MM-GG" in errata.text
    assert "Tipo sconosciuto" in errata.text


def test_pages_by_key_return_every_record_once(cliente: Callable[[str], TestClient],
                                               registro_api: Engine,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sz, "PER_PAGINA", 1)
    c = cliente("direzione")
    visti: list[int] = []
    url: str | None = "/console/sanzioni"
    while url:
        html = c.get(url.replace("&amp;", "&")).text
        visti += _numeri(html)
        m = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = m.group(1) if m else None
    assert visti == sorted((x.id for x in _sanzioni(registro_api)), reverse=True)
    assert len(visti) >= 2


def test_every_permitted_transition_audited_with_the_name(
        cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    c = cliente("upt")
    malum, bonum = _una(registro_api, "malum"), _una(registro_api, "bonum")
    assert malum.id is not None and bonum.id is not None
    percorsi = [(malum.id, "notificato", ""), (malum.id, "contestato", "il cittadino scrive"),
                (malum.id, "emesso", "contestazione respinta"), (malum.id, "notificato", ""),
                (malum.id, "pagato", ""),
                (bonum.id, "contestato", ""), (bonum.id, "annullato", "emesso per errore")]
    for id_sanzione, stato, motivo in percorsi:
        r = _cambia(c, id_sanzione, stato, motivo)
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]
        pagina = c.get(r.headers["location"]).text  # type: ignore[attr-defined]
        assert f"la sanzione ora è «{stato}»" in pagina
        assert f'id="stato-attuale">{stato}<' in pagina
    for id_sanzione in (malum.id, bonum.id):
        for a in _audit(registro_api, id_sanzione):
            assert a.utente == "p-upt" and a.ruolo == "upt"
            assert a.azione == f"console stato sanzione {id_sanzione}"
    assert [stato_sanzioni.sanzione_dict(_una(registro_api, t))["stato"]
            for t in ("malum", "bonum")] == ["pagato", "annullato"]
    assert len(_audit(registro_api, malum.id)) == 5
    pagina = c.get(f"/console/sanzioni/{malum.id}").text
    assert "è finale" in pagina and "Cambia lo stato" not in pagina
    storia = pagina.split('id="storia"', 1)[1].split("</table>", 1)[0]
    assert storia.count("p-upt (upt)") == 5 and "contestazione respinta" in storia
    # the direzione may too
    d = cliente("direzione")
    rimborso = next(x for x in _sanzioni(registro_api) if x.tipo not in ("bonum", "malum")
                    and x.stato == "emesso")
    assert _cambia(d, rimborso.id or 0, "notificato").status_code == 303  # type: ignore[attr-defined]
    assert _audit(registro_api, rimborso.id or 0)[-1].utente == "p-direzione"


def test_forbidden_transition_missing_reason_and_lost_race_are_clear(
        cliente: Callable[[str], TestClient], registro_api: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = cliente("upt")
    malum = _una(registro_api, "malum")
    assert malum.id is not None
    r = _cambia(c, malum.id, "pagato")
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert "transizione non ammessa: da &#39;emesso&#39; a &#39;pagato&#39;" in r.text  # type: ignore[attr-defined]
    r = _cambia(c, malum.id, "annullato", "   ")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "per annullare una sanzione il motivo è obbligatorio" in r.text  # type: ignore[attr-defined]
    assert 'href="#motivo"' in r.text  # type: ignore[attr-defined]
    r = _cambia(c, malum.id, "")
    assert r.status_code == 422 and "Scegliere il nuovo stato" in r.text  # type: ignore[attr-defined]
    r = _cambia(c, malum.id, "chiuso")
    assert r.status_code == 422 and "Stato sconosciuto" in r.text  # type: ignore[attr-defined]
    # someone else moved it after the page was opened
    assert _cambia(cliente("direzione"), malum.id, "notificato").status_code == 303  # type: ignore[attr-defined]
    r = _cambia(c, malum.id, "annullato", "motivo", da="emesso")
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert "modificata da un&#39;altra persona nel frattempo" in r.text  # type: ignore[attr-defined]
    # the compare-and-set itself lost (the row changed between the read and the write)
    originale = stato_sanzioni.cambia_se_stato

    def perde(session: object, riga: object, letto: str, valori: dict[str, object], *,
              descrizione: str) -> None:
        originale(session, riga, "contestato", valori,  # type: ignore[arg-type]
                  descrizione=descrizione)

    monkeypatch.setattr(stato_sanzioni, "cambia_se_stato", perde)
    r = _cambia(c, malum.id, "pagato")
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert "modificata da un&#39;altra richiesta nel frattempo" in r.text  # type: ignore[attr-defined]
    assert _una(registro_api, "malum").stato == "notificato"
    assert len(_audit(registro_api, malum.id)) == 1


def test_simultaneous_changes_one_wins_the_others_read_why(
        cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    """Six requests from pages that all showed `emesso`, released together: the state
    machine's compare-and-set lets one through; the others get the 409 page, none a 500."""
    c = cliente("upt")
    bonum = _una(registro_api, "bonum")
    token = csrf(c.get(f"/console/sanzioni/{bonum.id}").text)
    destinazioni = [("notificato", ""), ("annullato", "emesso due volte")]
    barriera = threading.Barrier(6)

    def uno(i: int) -> object:
        stato, motivo = destinazioni[i % 2]
        barriera.wait()
        return c.post(f"/console/sanzioni/{bonum.id}/stato",
                      data={"csrf": token, "da": "emesso", "stato": stato, "motivo": motivo},
                      follow_redirects=False)

    with ThreadPoolExecutor(6) as pool:
        risposte = list(pool.map(uno, range(6)))
    codici = sorted(r.status_code for r in risposte)  # type: ignore[attr-defined]
    assert codici == [303, 409, 409, 409, 409, 409], codici
    for r in risposte:
        if r.status_code == 409:  # type: ignore[attr-defined]
            assert "Cambio non eseguito" in r.text and "nel frattempo" in r.text  # type: ignore[attr-defined]
    assert len(_audit(registro_api, bonum.id or 0)) == 1


def test_roles_without_permission_and_missing_csrf_get_403(
        cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    malum = _una(registro_api, "malum")
    for ruolo in ("cup", "lettura"):
        c = cliente(ruolo)
        pagina = c.get(f"/console/sanzioni/{malum.id}")
        assert pagina.status_code == 200 and "Cambia lo stato" not in pagina.text
        r = c.post(f"/console/sanzioni/{malum.id}/stato",
                   data={"csrf": csrf(pagina.text), "da": "emesso", "stato": "notificato"})
        assert r.status_code == 403 and "non consente" in r.text
    lettura = cliente("lettura")
    with session_scope(registro_api) as s:
        assistito = s.get(Prenotazione, malum.id_prenotazione).id_assistito  # type: ignore[union-attr]
    pagina = lettura.get(f"/console/sanzioni/{malum.id}").text
    assert "Assistito" not in pagina and assistito not in pagina
    assert lettura.get(f"/console/sanzioni/{malum.id}/avviso").status_code == 403
    assert lettura.get(f"/console/sanzioni/{malum.id}/avviso.pdf").status_code == 403
    upt = cliente("upt")
    assert assistito in upt.get(f"/console/sanzioni/{malum.id}").text
    r = upt.post(f"/console/sanzioni/{malum.id}/stato",
                 data={"da": "emesso", "stato": "notificato"})
    assert r.status_code == 403 and "token CSRF" in r.text
    assert _una(registro_api, "malum").stato == "emesso" and _audit(registro_api,
                                                                    malum.id or 0) == []
    prenotazione = upt.get(f"/console/prenotazioni/{malum.id_prenotazione}").text
    assert f'href="/console/sanzioni/{malum.id}"' in prenotazione
    assert f'href="/console/prenotazioni/{malum.id_prenotazione}"' in \
        upt.get(f"/console/sanzioni/{malum.id}").text
    assert upt.get("/console/sanzioni/999999").status_code == 404
    assert upt.get("/console/sanzioni/abc").status_code == 404


def test_xss_in_a_reason_is_escaped_in_page_notice_and_pdf(
        cliente: Callable[[str], TestClient], registro_api: Engine, tmp_path: Path) -> None:
    c = cliente("upt")
    malum = _una(registro_api, "malum")
    assert malum.id is not None
    assert _cambia(c, malum.id, "annullato", XSS).status_code == 303  # type: ignore[attr-defined]
    for percorso in (f"/console/sanzioni/{malum.id}", f"/console/sanzioni/{malum.id}/avviso"):
        html = c.get(percorso).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    r = c.get(f"/console/sanzioni/{malum.id}/avviso.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    file = tmp_path / "avviso.pdf"
    file.write_bytes(r.content)
    testo = subprocess.run(["pdftotext", "-layout", str(file), "-"], check=True,
                           capture_output=True, text=True).stdout
    testo = " ".join(testo.split())
    assert '<script>alert("x")</script>' in testo
    assert "è stato annullato" in testo and "Ufficio di Pubblica Tutela" in testo
    assert format_euro_it(malum.importo_cent) in testo and "5.6" in testo


def test_notice_of_a_malum_and_a_bonum(cliente: Callable[[str], TestClient],
                                       registro_api: Engine) -> None:
    c = cliente("cup")
    for tipo in ("malum", "bonum"):
        x = _una(registro_api, tipo)
        with session_scope(registro_api) as s:
            p = s.get(Prenotazione, x.id_prenotazione)
            assert p is not None
        html = c.get(f"/console/sanzioni/{x.id}/avviso")
        assert html.status_code == 200
        assert "style-src 'unsafe-inline'" in html.headers["content-security-policy"]
        assert p.id_assistito in html.text and p.codice_prestazione in html.text
        assert p.data_appuntamento.strftime("%d/%m/%Y") in html.text
        assert format_euro_it(x.importo_cent) in html.text
        assert "punto 5.6" in html.text and "Ufficio di Pubblica Tutela" in html.text
        assert euro(x.importo_cent) > Decimal("0")
    assert ("punto 5.3" in c.get(f"/console/sanzioni/{_una(registro_api, 'malum').id}/avviso")
            .text)
    altro = next((x for x in _sanzioni(registro_api) if x.tipo not in ("bonum", "malum")), None)
    assert altro is not None
    r = c.get(f"/console/sanzioni/{altro.id}/avviso")
    assert r.status_code == 409 and "solo per un bonum o un malum" in r.text
