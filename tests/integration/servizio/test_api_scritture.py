# ruff: noqa: F811 — the fixtures imported from supporto.api are used as arguments
"""The API's writes on both databases: every role against every write, the audit rows they
leave, the sanction state machine, uploads (limits, malformed files), unknown fields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from supporto.api import (  # noqa: F401
    audit,
    auth,
    carica_json,
    client,
    errore,
    registro_api,
    sanzione,
    tokens,
)
from supporto.prenotazioni import riga, scrivi_export

from registro.errors import TroppoGrande
from registro.settings import Settings
from servizio.upload import ricevi_modulo

MOTIVAZIONE = {"registro": "prestazioni", "riferimento": "OLTRE",
               "testo": "Carenza temporanea di specialisti"}

# role → allowed on (motivazioni, sanzioni, ingest)
PERMESSI = {"direzione": (True, True, True), "cup": (False, False, True),
            "upt": (False, True, False), "lettura": (False, False, False)}


def _ingest(client: TestClient, token: str | None, tmp_path: Path, **extra: object
            ) -> object:
    export = scrivi_export(tmp_path / "nuovo.csv", [riga("NUOVA"), riga("OK")])
    headers = auth(token) if token else {}
    with open(export, "rb") as fh:
        return client.post("/ingest", headers=headers,
                           files={"file": ("nuovo.csv", fh, "text/csv")}, **extra)


@pytest.mark.parametrize("ruolo", list(PERMESSI))
def test_every_role_against_every_write(client: TestClient, tokens: dict[str, str],
                                        registro_api: Engine, tmp_path: Path,
                                        ruolo: str) -> None:
    motiva, sanziona, carica = PERMESSI[ruolo]
    token = tokens[ruolo]
    bonum = sanzione(registro_api, "RIN", "bonum")

    r = client.post("/motivazioni", json=MOTIVAZIONE, headers=auth(token))
    if motiva:
        assert r.status_code == 201, r.text
        assert (r.json()["autore"], r.json()["oggetto"]) == (f"utente-{ruolo}", "superamento")
    else:
        assert "direzione" in errore(r, 403)["dettaglio"]

    r = client.patch(f"/sanzioni/{bonum.id}", json={"stato": "notificato"}, headers=auth(token))
    if sanziona:
        assert r.status_code == 200 and r.json()["stato"] == "notificato"
    else:
        errore(r, 403)

    r = _ingest(client, token, tmp_path)
    if carica:
        assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    else:
        errore(r, 403)

    righe = audit(registro_api)
    attese = [a for a, ok in zip(("POST /motivazioni", f"PATCH /sanzioni/{bonum.id}",
                                  "POST /ingest"), PERMESSI[ruolo], strict=True) if ok]
    assert [a.azione for a in righe] == attese
    assert {(a.utente, a.ruolo) for a in righe} <= {(f"utente-{ruolo}", ruolo)}
    for a in righe:
        assert a.quando is not None and a.dopo is not None
        if a.azione.startswith("PATCH"):
            assert carica_json(a.prima)["stato"] == "emesso"
            assert carica_json(a.dopo)["stato"] == "notificato"
            assert carica_json(a.dopo)["importo"] == "25.82"
            assert a.riferimento == str(bonum.id) and a.risorsa == "sanzione"
        elif a.azione == "POST /motivazioni":
            assert a.prima is None and carica_json(a.dopo)["riferimento"] == "OLTRE"
        else:
            dopo = carica_json(a.dopo)
            assert (dopo["righe"], dopo["nuove"], dopo["registro"]) == (2, 1, "prestazioni")


@pytest.mark.parametrize("metodo,percorso", [("post", "/motivazioni"),
                                              ("patch", "/sanzioni/1"), ("post", "/ingest")])
def test_writes_without_a_valid_token_are_401_and_leave_nothing(
        client: TestClient, tokens: dict[str, str], registro_api: Engine,
        metodo: str, percorso: str) -> None:
    corpo = {"stato": "notificato"} if metodo == "patch" else MOTIVAZIONE
    for headers in ({}, auth("sbagliato"), {"Authorization": "Bearer "}):
        r = getattr(client, metodo)(percorso, json=corpo, headers=headers)
        errore(r, 401)
    assert audit(registro_api) == []
    assert sanzione(registro_api, "RIN", "bonum").stato == "emesso"


def test_motivazioni_validation(client: TestClient, tokens: dict[str, str],
                                registro_api: Engine) -> None:
    h = auth(tokens["direzione"])
    body = errore(client.post("/motivazioni", json={**MOTIVAZIONE, "autore": "io"},
                              headers=h), 422)
    assert body["dettaglio"][0]["campo"] == "autore"
    errore(client.post("/motivazioni", json={**MOTIVAZIONE, "testo": ""}, headers=h), 422)
    errore(client.post("/motivazioni", json={**MOTIVAZIONE, "testo": "   "}, headers=h), 422)
    body = errore(client.post("/motivazioni", json={**MOTIVAZIONE, "riferimento": "NO"},
                              headers=h), 422)
    assert "non presente nel registro" in body["dettaglio"]
    errore(client.post("/motivazioni", json={**MOTIVAZIONE, "oggetto": "altro"},
                       headers=h), 422)
    errore(client.post("/motivazioni", content=b"{non json", headers={
        **h, "Content-Type": "application/json"}), 422)
    assert audit(registro_api) == []

    r = client.post("/motivazioni", headers=h, json={
        "registro": "ricoveri", "riferimento": "RB", "testo": "Urgenza clinica sopravvenuta"})
    assert r.status_code == 201 and r.json()["oggetto"] == "fuori_ordine"
    r2 = client.post("/motivazioni", headers=h, json={
        "registro": "ricoveri", "riferimento": "RB", "testo": "Testo corretto"})
    assert r2.json()["sostituisce_id"] == r.json()["id"]
    dettaglio = client.get("/ricoveri/RB", headers=h).json()
    assert [m["testo"] for m in dettaglio["motivazioni"]] == [
        "Urgenza clinica sopravvenuta", "Testo corretto"]
    voci = client.get("/monitoring", params={"al": "2026-03-15"}, headers=h).json()
    assert "RB" not in {v["id"] for v in voci if v["lista"].startswith("fuori_ordine")}
    assert len(audit(registro_api)) == 2


def _patch(client: TestClient, token: str, id_: int, **corpo: object) -> object:
    return client.patch(f"/sanzioni/{id_}", json=corpo, headers=auth(token))


def test_sanction_state_machine(client: TestClient, tokens: dict[str, str],
                                registro_api: Engine) -> None:
    t = tokens["upt"]
    bonum = sanzione(registro_api, "RIN", "bonum").id
    malum = sanzione(registro_api, "NOSHOW", "malum").id
    rimborso = sanzione(registro_api, "RIN", "rimborso_ticket").id
    assert bonum and malum and rimborso

    # emesso → pagato skips notification: illegal
    body = errore(_patch(client, t, bonum, stato="pagato"), 409)
    assert "da 'emesso' a 'pagato'" in body["dettaglio"]
    errore(_patch(client, t, bonum, stato="emesso"), 409)  # already there
    for stato in ("notificato", "contestato", "emesso", "notificato", "pagato"):
        r = _patch(client, t, bonum, stato=stato)
        assert r.status_code == 200 and r.json()["stato"] == stato  # type: ignore[attr-defined]
    body = errore(_patch(client, t, bonum, stato="annullato", motivo="x"), 409)
    assert "stato finale" in body["dettaglio"]
    errore(_patch(client, t, bonum, stato="contestato"), 409)

    # annulling needs a reason; contestato → annullato
    assert _patch(client, t, malum, stato="contestato").status_code == 200  # type: ignore
    body = errore(_patch(client, t, malum, stato="annullato"), 422)
    assert "motivo è obbligatorio" in body["dettaglio"]
    errore(_patch(client, t, malum, stato="annullato", motivo="  "), 422)
    r = _patch(client, t, malum, stato="annullato", motivo="Contestazione accolta")
    assert r.json()["motivo_annullamento"] == "Contestazione accolta"  # type: ignore
    assert r.json()["annullata_il"] is not None  # type: ignore
    errore(_patch(client, t, malum, stato="emesso"), 409)
    # emesso → annullato directly; notificato → contestato
    assert _patch(client, t, rimborso, stato="annullato",
                  motivo="Errore di emissione").status_code == 200  # type: ignore

    errore(_patch(client, t, 999_999, stato="notificato"), 404)
    errore(_patch(client, t, bonum, stato="sconosciuto"), 422)
    errore(_patch(client, t, bonum, stato="notificato", importo="0.00"), 422)

    righe = audit(registro_api)
    # only the successful changes are audited: 5 + 2 + 1
    assert len(righe) == 8
    ultimo = righe[-1]
    assert (ultimo.azione, ultimo.utente, ultimo.ruolo) == (
        f"PATCH /sanzioni/{rimborso}", "utente-upt", "upt")
    assert carica_json(ultimo.prima)["stato"] == "emesso"
    assert carica_json(ultimo.dopo)["motivo_annullamento"] == "Errore di emissione"
    elenco = client.get("/sanzioni", params={"stato": "annullato"},
                        headers=auth(tokens["lettura"])).json()
    assert elenco["totale"] == 2


def test_ingest_returns_the_cli_summary(client: TestClient, tokens: dict[str, str],
                                        registro_api: Engine, tmp_path: Path,
                                        settings: Settings) -> None:
    def n_2026() -> int:
        righe = client.get("/stats", params={"period": "2026"},
                           headers=auth(tokens["lettura"])).json()
        return sum(r["n"] + r["n_fuori_garanzia"] for r in righe)

    prima = n_2026()
    assert n_2026() == prima  # served from the cache
    r = _ingest(client, tokens["cup"], tmp_path)
    body = r.json()  # type: ignore[attr-defined]
    assert n_2026() == prima + 1  # an ingest invalidates the cached table
    assert set(body) == {"file", "righe", "accettate", "scartate", "nuove", "aggiornate",
                         "invariate", "obsolete", "duplicate", "sedi_nuove", "pseudonimizzati",
                         "file_scarti", "ingest_run_id", "sha256", "archiviato_in"}
    assert (body["file"], body["righe"], body["nuove"]) == ("nuovo.csv", 2, 1)
    # cup sees file names only (issue 18, item 10); direzione the server paths
    assert "/" not in body["archiviato_in"] and "/" not in body["file_scarti"]
    assert body["archiviato_in"].startswith(body["sha256"][:16])
    assert list((settings.data_dir / "upload").iterdir()) == []
    assert client.get("/prenotazioni/NUOVA", headers=auth(tokens["cup"])).status_code == 200

    # ricoveri with a form field, and a mapping file
    lista = tmp_path / "lista.csv"
    lista.write_text("ID,data_inserimento,codice_reparto,codice_patologia,classe_priorita,"
                     "stato,data_ricovero,id_assistito\n"
                     "RZ,2026-01-02T09:00,36.01,81.51,B,in_attesa,,A9\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[colonne]\nid_ricovero = "ID"\n', encoding="utf-8")
    with open(lista, "rb") as fh, open(mapping, "rb") as mh:
        r2 = client.post("/ingest", headers=auth(tokens["direzione"]),
                         data={"registro": "ricoveri"},
                         files={"file": ("lista.csv", fh), "mapping": ("m.toml", mh)})
    assert r2.status_code == 200, r2.text
    assert r2.json()["nuove"] == 1
    assert Path(r2.json()["archiviato_in"]).is_absolute()
    assert Path(r2.json()["archiviato_in"]).exists()
    assert [a.azione for a in audit(registro_api)] == ["POST /ingest", "POST /ingest"]


@pytest.mark.parametrize("contenuto,nome,messaggio", [
    (bytes(range(256)) * 40, "garbage.csv", "file binario"),
    (b"colonna_a,colonna_b\n1,2\n", "pochi.csv", "colonne obbligatorie assenti"),
    (b"", "vuoto.csv", "il file è vuoto"),
    (b"PAR1 non davvero", "finto.parquet", "Parquet illeggibile"),
    (b"x", "strano.xlsx", "formato non riconosciuto"),
])
def test_malformed_upload_is_a_clear_4xx(client: TestClient, tokens: dict[str, str],
                                         registro_api: Engine, settings: Settings,
                                         contenuto: bytes, nome: str, messaggio: str) -> None:
    r = client.post("/ingest", headers=auth(tokens["cup"]),
                    files={"file": (nome, contenuto, "application/octet-stream")})
    body = errore(r, 422)
    assert messaggio in body["dettaglio"] and nome in body["dettaglio"]
    assert "/upload/" not in body["dettaglio"]
    assert list((settings.data_dir / "upload").iterdir()) == []
    assert audit(registro_api) == []


def test_malformed_forms(client: TestClient, tokens: dict[str, str]) -> None:
    h = auth(tokens["cup"])
    assert "multipart" in errore(client.post("/ingest", headers=h, json={"a": 1}),
                                 422)["dettaglio"]
    body = errore(client.post("/ingest", headers=h,
                              files={"registro": (None, "prestazioni")}), 422)
    assert "manca il campo `file`" in body["dettaglio"]
    body = errore(client.post("/ingest", headers=h, files={"extra": ("a.csv", b"x"),
                                                           "file": ("b.csv", b"y")}), 422)
    assert "campo sconosciuto" in body["dettaglio"]
    body = errore(client.post("/ingest", headers=h, data={"registro": "altro"},
                              files={"file": ("b.csv", b"y")}), 422)
    assert "registro sconosciuto" in body["dettaglio"]
    errore(client.post("/ingest", headers={**h, "Content-Type":
                                           "multipart/form-data; boundary=xyz"},
                       content=b"--xyz\r\nrotto"), 422)


@pytest.fixture
def client_1mb(settings: Settings, registro_api: Engine) -> Iterator[TestClient]:
    from servizio.api.app import create_app

    piccolo = settings.model_copy(update={"api_max_upload_mb": 1})
    with TestClient(create_app(piccolo), raise_server_exceptions=False) as c:
        yield c


def test_upload_over_the_limit_is_413(client_1mb: TestClient, tokens: dict[str, str],
                                      registro_api: Engine, settings: Settings) -> None:
    grande = b"id_prenotazione\n" + b"X" * (3 * 1024 * 1024)
    h = auth(tokens["cup"])
    # Content-Length says it all: refused before reading the body
    body = errore(client_1mb.post("/ingest", headers=h, files={"file": ("g.csv", grande)}), 413)
    assert "1 MB" in body["dettaglio"]

    # no Content-Length (chunked): refused while streaming, temporary files removed
    def pezzi() -> Iterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"g.csv\"\r\n\r\n"
        for _ in range(48):
            yield b"Y" * 65536
        yield b"\r\n--b--\r\n"

    r = client_1mb.post("/ingest", content=pezzi(), headers={
        **h, "Content-Type": "multipart/form-data; boundary=b"})
    errore(r, 413)
    assert list((settings.data_dir / "upload").iterdir()) == []
    assert audit(registro_api) == []


def test_streaming_stops_reading_at_the_limit(tmp_path: Path) -> None:
    letti = 0

    async def flusso() -> AsyncIterator[bytes]:
        nonlocal letti
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"g.csv\"\r\n\r\n"
        for _ in range(1000):  # 64 MB offered
            letti += 1
            yield b"Z" * 65536

    def in_un_thread() -> None:
        # Its own thread, so its own event loop: the result cannot depend on what other
        # tests (Playwright's sync API, for one) left running in the main thread.
        asyncio.run(ricevi_modulo(flusso(), "multipart/form-data; boundary=b", tmp_path,
                                  1024 * 1024, campi_file={"file"}, campi_testo=set()))

    with ThreadPoolExecutor(1) as pool, pytest.raises(TroppoGrande):
        pool.submit(in_un_thread).result()
    assert letti == 16  # 1 MB = 16 chunks of 64 KB: the 16th passes the limit
    scritto = tmp_path / "file" / "g.csv"
    assert scritto.stat().st_size < 1024 * 1024
