"""The console's ingest page: an upload with bad rows gives the summary, the rejects page
and their CSV (pseudonymised, formulas neutralised); the history names the person; the
pages and actions are refused to upt and lettura and without the CSRF token; file names
render escaped; a catalog row edited by hand is audited with the person's name."""
# ruff: noqa: F811  (pytest fixtures imported from the helper modules, then requested)

from __future__ import annotations

import csv
import io
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select
from supporto.api import registro_api  # noqa: F401
from supporto.console import (  # noqa: F401
    cliente,
    csrf,
    persone,
    senza_pausa,
)
from supporto.prenotazioni import riga, scrivi_export

from cup.ingest import ingest
from registro.db import session_scope
from registro.models import Audit, CaricamentoConsole, IngestRun, Prestazione, Scarto, Sede
from registro.settings import Settings
from servizio.console import caricamenti
from servizio.console.service import Persona

CF = "RSSMRA80A01H501U"
XSS_NOME = "<script>alert(1)</script>.csv"


def _export_con_scarti(tmp_path: Path) -> bytes:
    """Three good rows, three bad ones (one carrying a clear codice fiscale, one a formula)."""
    path = scrivi_export(tmp_path / "con_scarti.csv", [
        riga("C1"), riga("C2", id_assistito=CF), riga("C3"),
        riga("X1", codice_prestazione="99.99.99"),
        riga("X2", id_assistito=CF, data_appuntamento="2026-02-01T09:00"),
        riga("X3", stato="=HYPERLINK(\"http://x\")"),
    ])
    return path.read_bytes()


def _carica(c: TestClient, contenuto: bytes, nome: str = "con_scarti.csv",
            **campi: str) -> object:
    token = csrf(c.get("/console/ingest").text)
    return c.post("/console/ingest", data={"csrf": token, **campi},
                  files={"file": (nome, contenuto, "text/csv")}, follow_redirects=False)


def _fine(c: TestClient, r: object) -> str:
    """Follow the job's page (it reloads itself while the ingest runs in the background)
    to where it ends: the summary's address, or the job's own when it failed."""
    dove = r.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/console/ingest/lavori/[0-9a-f]{32}", dove), dove
    for _ in range(1200):
        p = c.get(dove, follow_redirects=False)
        if p.status_code == 303:
            return str(p.headers["location"])
        assert p.status_code == 200, p.text
        if "non riuscito" in p.text:
            return dove
        assert '<meta http-equiv="refresh" content="2">' in p.text
        time.sleep(0.1)
    raise AssertionError("il caricamento non è finito in due minuti")


def _audit(engine: Engine, azione: str) -> list[Audit]:
    with session_scope(engine) as s:
        return list(s.exec(select(Audit).where(Audit.azione == azione)).all())


def test_upload_summary_rejects_and_csv(cliente: Callable[[str], TestClient],
                                        registro_api: Engine, settings: Settings,
                                        tmp_path: Path) -> None:
    c = cliente("cup")
    r = _carica(c, _export_con_scarti(tmp_path))
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    dove = _fine(c, r)
    run_id = int(re.fullmatch(r"/console/ingest/(\d+)\?nuovo=1", dove).group(1))  # type: ignore[union-attr]
    with session_scope(registro_api) as s:
        run = s.get(IngestRun, run_id)
        assert run is not None
        assert (run.righe, run.accettate, run.scartate, run.nuove, run.utente) == \
            (6, 3, 3, 3, "p-cup")
        assert s.exec(select(Scarto).where(Scarto.ingest_run_id == run_id)).all()
    # the API's path: same audit resource, the person's name, the upload folder emptied
    voci = _audit(registro_api, "console ingest")
    assert [(a.utente, a.riferimento) for a in voci] == [("p-cup", str(run_id))]
    assert list((Path(settings.data_dir) / "upload").iterdir()) == []

    pagina = c.get(dove)
    assert pagina.status_code == 200
    testo = pagina.text
    assert "Caricamento completato" in testo
    riepilogo = re.search(r'id="riepilogo".*?</table>', testo, re.S).group(0)  # type: ignore[union-attr]
    for etichetta, valore in [("Righe ricevute", "6"), ("Righe accettate", "3"),
                              ("Righe scartate", "3"), ("Nuove nel registro", "3"),
                              ("Aggiornate", "0")]:
        assert re.search(rf"<th scope=\"row\">{etichetta}</th><td>{valore}</td>", riepilogo), \
            etichetta
    assert run.sha256 in testo and "con_scarti.csv" in testo
    assert "99.99.99" in testo and "codice_prestazione" in testo
    assert CF not in testo  # rejects are pseudonymised before validation

    csv_r = c.get(f"/console/ingest/{run_id}/scarti.csv")
    assert csv_r.status_code == 200
    assert csv_r.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_r.headers["content-disposition"]
    righe = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert list(righe[0]) == ["riga", "campo", "valore", "motivo"]
    assert {r["riga"] for r in righe} == {"5", "6", "7"}
    assert CF not in csv_r.text
    formula = [r["valore"] for r in righe if r["campo"] == "stato"]
    assert formula and all(v.startswith("'=") for v in formula), formula

    # history: the run, its file, the person
    storico = c.get("/console/ingest").text
    assert f'href="/console/ingest/{run_id}"' in storico
    fila = re.search(rf'href="/console/ingest/{run_id}".*?</tr>', storico, re.S).group(0)  # type: ignore[union-attr]
    assert "con_scarti.csv" in fila and "p-cup" in fila and "completato" in fila


def test_rejects_page_by_page(cliente: Callable[[str], TestClient], tmp_path: Path) -> None:
    c = cliente("direzione")
    righe = [riga(f"B{i:03d}", codice_prestazione="00.00") for i in range(120)]
    r = _carica(c, scrivi_export(tmp_path / "molti.csv", [riga("OK1"), *righe]).read_bytes())
    dove = _fine(c, r).split("?")[0]
    visti: list[str] = []
    url: str | None = dove
    while url:
        testo = c.get(url).text
        visti += re.findall(r'<tr><td class="numero">(\d+)</td>', testo)
        m = re.search(r'<a href="([^"]+)" rel="next">', testo)
        url = m.group(1).replace("&amp;", "&") if m else None
    assert sorted(map(int, visti)) == list(range(3, 123))


def test_unreadable_file_is_an_italian_error_on_the_page(
        cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    c = cliente("cup")
    r = _carica(c, b"colonna_a,colonna_b\n1,2\n", nome="pochi.csv")
    assert r.status_code == 303  # type: ignore[attr-defined]
    testo = c.get(_fine(c, r)).text
    assert "Caricamento non riuscito" in testo and "colonne obbligatorie assenti" in testo
    assert "pochi.csv" in testo and "/upload/" not in testo
    assert "http-equiv" not in testo  # a finished job's page does not reload itself
    vuoto = _carica(c, b"", nome="vuoto.csv")
    assert vuoto.status_code == 422  # type: ignore[attr-defined]
    assert "Scegliere il file" in vuoto.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("ruolo", ["upt", "lettura"])
def test_other_roles_get_403(cliente: Callable[[str], TestClient], ruolo: str,
                             tmp_path: Path) -> None:
    c = cliente(ruolo)
    token = csrf(c.get("/console/").text)
    for percorso in ["/console/ingest", "/console/ingest/1", "/console/ingest/1/scarti.csv",
                     "/console/ingest/anagrafiche"]:
        assert c.get(percorso).status_code == 403, percorso
    r = c.post("/console/ingest", data={"csrf": token},
               files={"file": ("a.csv", _export_con_scarti(tmp_path))})
    assert r.status_code == 403
    r = c.post("/console/ingest/anagrafiche/prestazioni/89.7",
               data={"csrf": token, "descrizione": "x", "tipo": "visita"})
    assert r.status_code == 403
    assert "/console/ingest" not in c.get("/console/").text  # not in the menu


def test_without_csrf_403_and_nothing_written(cliente: Callable[[str], TestClient],
                                              registro_api: Engine, tmp_path: Path) -> None:
    c = cliente("cup")
    with session_scope(registro_api) as s:
        prima = len(s.exec(select(IngestRun)).all())
    r = c.post("/console/ingest", files={"file": ("a.csv", _export_con_scarti(tmp_path))})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/console/ingest", data={"csrf": "sbagliato"},
               files={"file": ("a.csv", _export_con_scarti(tmp_path))})
    assert r.status_code == 403
    r = c.post("/console/ingest/anagrafiche/prestazioni/89.7",
               data={"descrizione": "x", "tipo": "visita"})
    assert r.status_code == 403
    r = c.post("/console/ingest/anagrafiche/import",
               files={"file": ("s.csv", b"codice,nome\nS9,Nuova\n")}, data={"tabella": "sedi"})
    assert r.status_code == 403
    with session_scope(registro_api) as s:
        assert len(s.exec(select(IngestRun)).all()) == prima
        assert s.get(Sede, "S9") is None
        assert s.get(Prestazione, "89.7").descrizione != "x"  # type: ignore[union-attr]


def test_file_names_render_escaped(cliente: Callable[[str], TestClient], registro_api: Engine,
                                   settings: Settings, tmp_path: Path) -> None:
    c = cliente("cup")
    r = _carica(c, _export_con_scarti(tmp_path), nome=XSS_NOME)
    assert r.status_code == 303
    in_corso = c.get(r.headers["location"], follow_redirects=False)
    assert "<script>alert" not in in_corso.text
    riepilogo = _fine(c, r)
    # a file ingested by the CLI keeps its name as given: it must render escaped
    nome = "<img src=x onerror=alert(1)>.csv"
    ingest(scrivi_export(tmp_path / nome, [riga("Z1")]), engine=registro_api,
           settings=settings, utente="<b>operatore</b>")
    pagine = [c.get("/console/ingest").text, c.get(riepilogo).text]
    with session_scope(registro_api) as s:
        ultimo = max(x.id for x in s.exec(select(IngestRun)).all())  # type: ignore[type-var]
    pagine.append(c.get(f"/console/ingest/{ultimo}").text)
    for testo in pagine:
        assert "<script>alert" not in testo and "<img src=x" not in testo
        assert "<b>operatore" not in testo
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in pagine[0]
    assert "&lt;b&gt;operatore&lt;/b&gt;" in pagine[0]


def test_catalog_row_edit_is_audited(cliente: Callable[[str], TestClient],
                                     registro_api: Engine) -> None:
    c = cliente("direzione")
    pagina = c.get("/console/ingest/anagrafiche?tabella=prestazioni&cerca=89.7")
    assert pagina.status_code == 200
    assert 'action="/console/ingest/anagrafiche/prestazioni/89.7"' in pagina.text
    r = c.post("/console/ingest/anagrafiche/prestazioni/89.7",
               data={"csrf": csrf(pagina.text), "descrizione": "Visita generale (rivista)",
                     "tipo": "visita", "branca": "Medicina", "tariffa": "23,50",
                     "ritorno": "/console/ingest/anagrafiche?tabella=prestazioni"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    with session_scope(registro_api) as s:
        p = s.get(Prestazione, "89.7")
        assert p is not None
        assert (p.descrizione, p.tariffa_cent, p.branca) == \
            ("Visita generale (rivista)", 2350, "Medicina")
    voci = _audit(registro_api, "console modifica prestazioni")
    assert len(voci) == 1 and voci[0].utente == "p-direzione" and voci[0].riferimento == "89.7"
    assert json.loads(voci[0].dopo or "{}")["tariffa_cent"] == 2350
    assert json.loads(voci[0].prima or "{}")["descrizione"] != "Visita generale (rivista)"
    assert "Voce 89.7 modificata" in c.get(r.headers["location"]).text

    # a bad value: an Italian message, the typed values kept, nothing written
    r = c.post("/console/ingest/anagrafiche/prestazioni/89.7",
               data={"csrf": csrf(pagina.text), "descrizione": "Altro", "tipo": "sconosciuto",
                     "tariffa": "12,00"})
    assert r.status_code == 422 and "tipo non ammesso" in r.text
    assert 'value="Altro"' in r.text
    assert len(_audit(registro_api, "console modifica prestazioni")) == 1

    # a site registered bare by an ingest is completed by hand
    pagina = c.get("/console/ingest/anagrafiche?tabella=sedi").text
    r = c.post("/console/ingest/anagrafiche/sedi/S002",
               data={"csrf": csrf(pagina), "nome": "Poliambulatorio Nord",
                     "comune": "Bergamo", "indirizzo": "Via Roma 1"}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope(registro_api) as s:
        sede = s.get(Sede, "S002")
        assert sede is not None and sede.nome == "Poliambulatorio Nord"
        assert sede.da_completare is False
    assert [a.utente for a in _audit(registro_api, "console modifica sedi")] == ["p-direzione"]


def test_catalog_csv_import(cliente: Callable[[str], TestClient], registro_api: Engine) -> None:
    c = cliente("cup")
    token = csrf(c.get("/console/ingest/anagrafiche").text)
    r = c.post("/console/ingest/anagrafiche/import", data={"csrf": token, "tabella": "sedi"},
               files={"file": ("sedi.csv", b"codice,nome,comune,indirizzo\n"
                                           b"S900,Ospedale Sud,Lodi,Via Po 2\n")},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "aggiunte=1" in r.headers["location"]
    assert "1 aggiunte" in c.get(r.headers["location"]).text
    with session_scope(registro_api) as s:
        assert s.get(Sede, "S900") is not None
    assert [a.utente for a in _audit(registro_api, "console import sedi")] == ["p-cup"]
    r = c.post("/console/ingest/anagrafiche/import",
               data={"csrf": token, "tabella": "prestazioni"},
               files={"file": ("cat.csv", b"codice,descrizione,tipo\nX1,Prova,magia\n")})
    assert r.status_code == 422
    assert "tipo non ammesso" in r.text and "cat.csv" in r.text and "/upload/" not in r.text


def test_planned_admissions_with_a_mapping(cliente: Callable[[str], TestClient],
                                           registro_api: Engine) -> None:
    c = cliente("direzione")
    token = csrf(c.get("/console/ingest").text)
    lista = (b"ID,data_inserimento,codice_reparto,codice_patologia,classe_priorita,stato,"
             b"data_ricovero,id_assistito\n"
             b"RZ,2026-01-02T09:00,36.01,81.51,B,in_attesa,,A9\n"
             b"RY,2026-01-02T09:00,36.01,81.51,Z,in_attesa,,A8\n")
    r = c.post("/console/ingest", data={"csrf": token, "registro": "ricoveri"},
               files={"file": ("lista.csv", lista),
                      "mapping": ("m.toml", b'[colonne]\nid_ricovero = "ID"\n')},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    testo = c.get(_fine(c, r)).text
    assert re.search(r"Righe accettate</th><td>1<", testo)
    assert "classe_priorita" in testo and "ricoveri" in testo


def test_over_the_limit_is_413_with_an_italian_page(cliente: Callable[[str], TestClient],
                                                    settings: Settings,
                                                    registro_api: Engine) -> None:
    c = cliente("cup")
    c.app.state.settings = settings.model_copy(update={"api_max_upload_mb": 1})
    token = csrf(c.get("/console/ingest").text)
    grande = b"id_prenotazione\n" + b"X" * (2 * 1024 * 1024)
    r = c.post("/console/ingest", data={"csrf": token}, files={"file": ("g.csv", grande)})
    assert r.status_code == 413
    assert "il file supera il limite di 1 MB" in r.text

    # no Content-Length (chunked): refused while streaming, the temporary files removed
    def pezzi() -> Iterator[bytes]:
        yield (b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
               + token.encode() + b"\r\n")
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="g.csv"\r\n\r\n'
        for _ in range(32):
            yield b"Y" * 65536
        yield b"\r\n--b--\r\n"

    r = c.post("/console/ingest", content=pezzi(),
               headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "1 MB" in r.text
    assert list((Path(settings.data_dir) / "upload").iterdir()) == []
    assert _audit(registro_api, "console ingest") == []


def test_job_page_in_progress_and_interrupted(cliente: Callable[[str], TestClient],
                                              registro_api: Engine) -> None:
    c = cliente("cup")
    persona = Persona(nome="p-cup", ruolo="cup", csrf="x", id_hash="y")
    ident = caricamenti.nuovo_lavoro(engine=registro_api, file=XSS_NOME,
                                     registro="prestazioni", persona=persona)
    p = c.get(f"/console/ingest/lavori/{ident}", follow_redirects=False)
    assert p.status_code == 200
    assert "Caricamento in corso" in p.text
    assert '<meta http-equiv="refresh" content="2">' in p.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in p.text and "<script>alert" not in p.text
    # its server died (a process id that is not alive on this host): interrupted
    with session_scope(registro_api) as s:
        riga_lavoro = s.get(CaricamentoConsole, ident)
        assert riga_lavoro is not None
        riga_lavoro.processo = f"{socket.gethostname()} {2**22 + 12345}"
        s.add(riga_lavoro)
        s.commit()
    p = c.get(f"/console/ingest/lavori/{ident}")
    assert "Caricamento non riuscito" in p.text and "interrotto" in p.text
    assert "http-equiv" not in p.text
    assert c.get("/console/ingest/lavori/sconosciuto").status_code == 404
    assert cliente("lettura").get(f"/console/ingest/lavori/{ident}").status_code == 403
