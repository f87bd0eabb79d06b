"""The console's Pubblica Tutela pages: the UPT registers a segnalazione and steps it, an
overdue term is shown in words, another role's page or action is a 403, a POST without the
CSRF token is a 403, a script in the oggetto renders escaped in the page and in the printed
documents, the contact is the UPT's alone (never `lettura`'s, nor the Direzione's)."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date, timedelta

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
from supporto.tutela import CONTATTO, FRAMMENTI_CONTATTO, audit, leggi

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
OGGI = date.today()


def _campi(**altri: str) -> dict[str, str]:
    assert CONTATTO.nome and CONTATTO.indirizzo and CONTATTO.telefono and CONTATTO.email
    return {"tipo": "reclamo", "canale": "telefono", "presentata_da": "parente",
            "oggetto": "Attesa oltre lo standard per la visita", "ricevuta_da": "sportello",
            "ricevuta_il": (OGGI - timedelta(days=40)).isoformat(),
            "data_conoscenza": (OGGI - timedelta(days=42)).isoformat(), "urgente": "1",
            "servizio": "Cardiologia", "nota": "ricevuta al telefono",
            "nome": CONTATTO.nome, "indirizzo": CONTATTO.indirizzo,
            "telefono": CONTATTO.telefono, "email": CONTATTO.email, **altri}


def _registra(c: TestClient, **altri: str) -> int:
    modulo = c.get("/console/segnalazioni/nuova")
    assert modulo.status_code == 200
    r = c.post("/console/segnalazioni/nuova", data={"csrf": csrf(modulo.text), **_campi(**altri)},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/console/segnalazioni/(\d+)\?registrata=1", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


def _passo(c: TestClient, n: int, **campi: str) -> object:
    pagina = c.get(f"/console/segnalazioni/{n}")
    return c.post(f"/console/segnalazioni/{n}/passi", data={"csrf": csrf(pagina.text), **campi},
                  follow_redirects=False)


def test_upt_registers_and_steps_a_segnalazione(cliente: Callable[[str], TestClient],
                                               registro_api: Engine) -> None:
    c = cliente("upt")
    n = _registra(c)
    s = leggi(registro_api, n)
    assert (s.tipo, s.canale, s.presentata_da, s.urgente, s.stato) == \
        ("reclamo", "telefono", "parente", True, "ricevuta")
    scheda = c.get(f"/console/segnalazioni/{n}?registrata=1").text
    assert "Segnalazione registrata." in scheda
    assert CONTATTO.nome and CONTATTO.nome in scheda  # the UPT sees the contact
    # the urgent transmission term (1 day) is long past: shown in words, not by colour
    assert "Termine scaduto:" in scheda and "istruttoria e trasmissione" in scheda
    # only the steps the regolamento allows from «ricevuta» are offered
    scelte = re.findall(r'<option value="(\w+)"', scheda.split('id="passo"')[1]
                        .split("</select>")[0])
    assert scelte == ["risolta", "trasmessa"]
    r = _passo(c, n, passo="trasmessa", data=(OGGI - timedelta(days=30)).isoformat(),
               nota="alla Direzione")
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert leggi(registro_api, n).stato == "trasmessa"
    scheda = c.get(f"/console/segnalazioni/{n}?passo_ok=1").text
    assert "Passo registrato." in scheda and "alla Direzione" in scheda
    assert "Prossimo termine:" in scheda
    # a step out of sequence: 409, the page says why, nothing written
    r = _passo(c, n, passo="riesame_concluso", esito="accolta")
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert "passo non ammesso" in r.text  # type: ignore[attr-defined]
    assert leggi(registro_api, n).stato == "trasmessa"
    # a bad date: 422 with an Italian message, the typed note kept
    r = _passo(c, n, passo="servizi_informati", data="ieri", nota="nota da non perdere")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "data non valida" in r.text and "nota da non perdere" in r.text  # type: ignore
    # every write audited with the person's name
    scritte = [a for a in audit(registro_api) if a.risorsa == "segnalazione"]
    assert [(a.utente, a.ruolo, a.azione) for a in scritte] == [
        ("p-upt", "upt", "console segnalazione nuova"),
        ("p-upt", "upt", f"console segnalazione passo {n}")]
    assert all(f not in (a.dopo or "") for a in scritte for f in FRAMMENTI_CONTATTO)


def test_bad_form_is_kept_with_italian_errors(cliente: Callable[[str], TestClient],
                                             registro_api: Engine) -> None:
    c = cliente("upt")
    modulo = c.get("/console/segnalazioni/nuova")
    r = c.post("/console/segnalazioni/nuova",
               data={"csrf": csrf(modulo.text), **_campi(oggetto="Oggetto da tenere",
                                                         ricevuta_il="31/02/2026",
                                                         canale="piccione")})
    assert r.status_code == 422
    assert "ricevuta_il: data non valida" in r.text and "canale: scegliere" in r.text
    assert "Oggetto da tenere" in r.text
    # the domain's refusal (a booking not in the register) shown the same way
    r = c.post("/console/segnalazioni/nuova",
               data={"csrf": csrf(modulo.text), **_campi(id_prenotazione="NESSUNA")})
    assert r.status_code == 422 and "non presente nel registro" in r.text
    assert not [a for a in audit(registro_api) if a.risorsa == "segnalazione"]


def test_overdue_list_and_filters(cliente: Callable[[str], TestClient]) -> None:
    c = cliente("upt")
    vecchia = _registra(c, oggetto="Vecchia e scaduta")
    nuova = _registra(c, oggetto="Appena arrivata", ricevuta_il=OGGI.isoformat(),
                      data_conoscenza="", urgente="")
    tutte = c.get("/console/segnalazioni").text
    assert "Vecchia e scaduta" in tutte and "Appena arrivata" in tutte
    riga_vecchia = tutte.split(f'/console/segnalazioni/{vecchia}"')[1].split("</tr>")[0]
    riga_nuova = tutte.split(f'/console/segnalazioni/{nuova}"')[1].split("</tr>")[0]
    assert "Termine scaduto" in riga_vecchia and "Termine scaduto" not in riga_nuova
    assert "entro il" in riga_nuova
    scadute = c.get("/console/segnalazioni", params={"in_ritardo": "1"}).text
    assert "Vecchia e scaduta" in scadute and "Appena arrivata" not in scadute
    per_canale = c.get("/console/segnalazioni", params={"canale": "email"}).text
    assert "Nessuna segnalazione" in per_canale
    r = c.get("/console/segnalazioni", params={"stato": "inventato"})
    assert r.status_code == 422 and "stato sconosciuto" in r.text


def test_roles_and_csrf(cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    upt = cliente("upt")
    n = _registra(upt)
    direzione, cup, lettura = cliente("direzione"), cliente("cup"), cliente("lettura")
    # the Direzione reads, without the contact, and cannot write or print
    assert direzione.get("/console/segnalazioni").status_code == 200
    scheda = direzione.get(f"/console/segnalazioni/{n}")
    assert scheda.status_code == 200 and "Registra il passo" not in scheda.text
    assert direzione.get("/console/segnalazioni/riepilogo").status_code == 200
    for c in (direzione, cup, lettura):
        assert c.get("/console/segnalazioni/nuova").status_code == 403
        assert c.get(f"/console/segnalazioni/{n}/documenti/scheda").status_code == 403
        r = c.post(f"/console/segnalazioni/{n}/passi",
                   data={"csrf": csrf(c.get("/console/").text), "passo": "trasmessa"})
        assert r.status_code == 403
        r = c.post("/console/segnalazioni/nuova",
                   data={"csrf": csrf(c.get("/console/").text), **_campi()})
        assert r.status_code == 403
    for c in (cup, lettura):
        assert c.get("/console/segnalazioni").status_code == 403
        assert c.get(f"/console/segnalazioni/{n}").status_code == 403
        assert 'href="/console/segnalazioni"' not in c.get("/console/").text
    # no CSRF token, or another one: 403 and nothing written
    r = upt.post("/console/segnalazioni/nuova", data=_campi())
    assert r.status_code == 403 and "CSRF" in r.text
    r = upt.post(f"/console/segnalazioni/{n}/passi", data={"passo": "trasmessa",
                                                           "csrf": "falso"})
    assert r.status_code == 403
    assert leggi(registro_api, n).stato == "ricevuta"
    assert len([a for a in audit(registro_api) if a.risorsa == "segnalazione"]) == 1


def test_contact_only_for_the_upt(cliente: Callable[[str], TestClient]) -> None:
    upt = cliente("upt")
    n = _registra(upt)
    assert CONTATTO.nome and CONTATTO.nome in upt.get(f"/console/segnalazioni/{n}").text
    for ruolo in ("direzione", "lettura"):
        c = cliente(ruolo)
        pagine = [c.get(f"/console/segnalazioni/{n}").text, c.get("/console/segnalazioni").text,
                  c.get("/console/").text, c.get("/console/monitoraggio").text]
        for testo in pagine:
            assert all(f not in testo for f in FRAMMENTI_CONTATTO), ruolo
    # nor in the UPT's own list
    elenco = upt.get("/console/segnalazioni").text
    assert all(f not in elenco for f in FRAMMENTI_CONTATTO)


def _testo_pdf(dati: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=dati, capture_output=True,
                          check=True).stdout.decode("utf-8")


def test_xss_in_the_oggetto_is_escaped_in_pages_and_documents(
        cliente: Callable[[str], TestClient]) -> None:
    c = cliente("upt")
    n = _registra(c, oggetto=XSS)
    for testo in (c.get(f"/console/segnalazioni/{n}").text, c.get("/console/segnalazioni").text,
                  c.get(f"/console/segnalazioni/{n}/documenti/scheda",
                        params={"formato": "html"}).text):
        assert "<script>alert" not in testo and "<img src=x" not in testo
        assert "&lt;script&gt;alert" in testo
    lettera = c.get(f"/console/segnalazioni/{n}/documenti/lettera")
    assert lettera.status_code == 409 and "non ha ancora una risposta" in lettera.text
    assert _passo(c, n, passo="risolta", esito="accolta",
                  nota=XSS).status_code == 303  # type: ignore[attr-defined]
    for documento in ("scheda", "lettera"):
        pdf = c.get(f"/console/segnalazioni/{n}/documenti/{documento}")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        testo = _testo_pdf(pdf.content)
        # drawn as text, the characters themselves: nothing was interpreted as markup
        assert '<script>alert("x")</script>' in testo.replace("\n", ""), documento
        assert "&lt;" not in testo
    assert c.get(f"/console/segnalazioni/{n}/documenti/altro").status_code == 404
    assert c.get("/console/segnalazioni/99999/documenti/scheda").status_code == 404
    assert c.get("/console/segnalazioni/99999").status_code == 404
    for cattivo in ("abc", "-1", "0", "99999999999"):
        r = c.get(f"/console/segnalazioni/{cattivo}")
        assert r.status_code == 404 and "Segnalazione non trovata" in r.text, cattivo


def test_semester_summary(cliente: Callable[[str], TestClient]) -> None:
    c = cliente("upt")
    _registra(c, ricevuta_il=OGGI.isoformat(), data_conoscenza="")
    pagina = c.get("/console/segnalazioni/riepilogo")
    assert pagina.status_code == 200
    semestre = f"{OGGI.year}-H{1 if OGGI.month <= 6 else 2}"
    assert semestre in pagina.text
    assert "Segnalazioni ricevute" in pagina.text
    r = c.get("/console/segnalazioni/riepilogo", params={"periodo": "2026-H3"})
    assert r.status_code == 422 and "periodo non valido" in r.text


def test_audit_rows_name_the_person(cliente: Callable[[str], TestClient],
                                    registro_api: Engine) -> None:
    c = cliente("upt")
    n = _registra(c)
    riga = [a for a in audit(registro_api) if a.risorsa == "segnalazione"][-1]
    assert riga.riferimento == str(n) and riga.utente == "p-upt"
    assert json.loads(riga.dopo or "{}")["contatto"] == "registrato a parte"
