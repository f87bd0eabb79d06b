"""`registro segnalazione nuova|passo|elenco|stampa` end to end (both databases): a report
resolved at once, a contested malum annulled, the listing, the documents, the audit, and
the citizen's contact never on the terminal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlmodel import select
from supporto.cli import registro
from supporto.prenotazioni import riga, scrivi_export
from supporto.tutela import CONTATTO, FRAMMENTI_CONTATTO

from registro.db import make_engine, session_scope
from registro.models import Audit, Sanzione
from registro.settings import Settings

RECAPITO = ["--nome", CONTATTO.nome or "", "--indirizzo", CONTATTO.indirizzo or "",
            "--telefono", CONTATTO.telefono or "", "--email", CONTATTO.email or ""]


def _malum(settings: Settings) -> int:
    engine = make_engine(settings.db_url)
    with session_scope(engine) as s:
        malum = s.exec(select(Sanzione).where(Sanzione.tipo == "malum")).one()
    engine.dispose()
    assert malum.id is not None
    return malum.id


def test_segnalazione_commands(settings: Settings, tmp_path: Path) -> None:
    uscite: list[str] = []

    def esegui(*args: str, codice: int = 0) -> subprocess.CompletedProcess[str]:
        res = registro(settings, *args)
        uscite.extend([res.stdout, res.stderr])
        assert res.returncode == codice, res.stderr
        assert "Traceback" not in res.stderr
        return res

    esegui("init")
    esegui("ingest", str(scrivi_export(tmp_path / "cup.csv", [
        riga("P1"), riga("NOSHOW", stato="non_presentato", importo_ticket="0")])))
    esegui("check", "--al", "2026-03-15")

    res = esegui("segnalazione", "nuova", "--canale", "telefono", "--tipo", "disfunzione",
                 "--oggetto", "Numero del CUP sempre occupato", "--ricevuta-il", "2026-03-02",
                 "--data-conoscenza", "2026-02-01", "--autore", "URP centrale", *RECAPITO)
    assert "segnalazione n. 1 registrata: disfunzione, telefono" in res.stdout
    assert "tardiva" in res.stdout
    assert "trasmissione entro il 2026-03-05" in res.stdout
    assert "risposta entro il 2026-04-01" in res.stdout
    res = esegui("segnalazione", "passo", "1", "risolta", "--data", "2026-03-02", "--esito",
                 "accolta", "--nota", "Indicato il numero verde")
    assert "ricevuta → risolta il 2026-03-02, esito accolta" in res.stdout
    res = esegui("segnalazione", "passo", "1", "trasmessa", codice=2)
    assert "errore:" in res.stderr and "si passa solo a: riesame" in res.stderr

    malum = _malum(settings)
    res = esegui("segnalazione", "nuova", "--canale", "lettera", "--tipo", "reclamo",
                 "--oggetto", "Malum: avevo disdetto", "--ricevuta-il", "2026-03-10",
                 "--sanzione", str(malum), *RECAPITO)
    assert f"sanzione n. {malum} contestata" in res.stdout
    for passo, giorno in (("trasmessa", "2026-03-11"), ("servizi_informati", "2026-03-12"),
                          ("informazioni_ricevute", "2026-03-16")):
        esegui("segnalazione", "passo", "2", passo, "--data", giorno)
    res = esegui("segnalazione", "passo", "2", "risposta_inviata", "--data", "2026-03-20",
                 "--esito", "accolta", "--nota", "La disdetta risulta al CUP")
    assert f"sanzione n. {malum}: annullato" in res.stdout
    sanzioni = tmp_path / "sanzioni.json"
    esegui("sanzioni", "--format", "json", "--out", str(sanzioni))
    stati = {(r["id_prenotazione"], r["tipo"]): r["stato"]
             for r in json.loads(sanzioni.read_text(encoding="utf-8"))}
    assert stati[("NOSHOW", "malum")] == "annullato"

    res = esegui("segnalazione", "nuova", "--canale", "fax", "--tipo", "suggerimento",
                 "--oggetto", "Orari di sportello il sabato", "--ricevuta-il", "2026-03-20",
                 "--presentata-da", "associazione", "--urgente")   # no contact at all
    assert "presentata da: associazione, urgente" in res.stdout
    assert "trasmissione entro il 2026-03-21" in res.stdout     # Art. 4: the urgent term
    elenco = tmp_path / "segnalazioni.json"
    res = esegui("segnalazione", "elenco", "--format", "json", "--out", str(elenco), "--al",
                 "2026-03-25")
    assert "3 segnalazioni (1 con termini scaduti al 2026-03-25)" in res.stdout
    righe = json.loads(elenco.read_text(encoding="utf-8"))
    assert [(r["id"], r["stato"], r["esito_finale"], r["tardiva"], r["in_ritardo"])
            for r in righe] == [(1, "risolta", "accolta", True, ""),
                                (2, "risposta_inviata", "accolta", False, ""),
                                (3, "ricevuta", None, False, "trasmissione")]
    csv = tmp_path / "ritardo.csv"
    esegui("segnalazione", "elenco", "--in-ritardo", "--out", str(csv), "--al", "2026-03-25")
    assert csv.read_text(encoding="utf-8").splitlines()[1].startswith("3,2026-03-20,fax,")
    esegui("segnalazione", "elenco", "--stato", "sbagliato", codice=2)

    # nothing the operator saw, nor the listings, carries the contact
    uscite += [elenco.read_text(encoding="utf-8"), csv.read_text(encoding="utf-8")]
    assert not [f for f in FRAMMENTI_CONTATTO if f in "\n".join(uscite)]

    # the documents are the UPT's, addressed to the citizen: they do
    cartella = tmp_path / "stampe"
    res = esegui("segnalazione", "stampa", "2", "--documento", "lettera", "--out",
                 str(cartella))
    lettera = (cartella / "lettera_2.html").read_text(encoding="utf-8")
    assert CONTATTO.nome and CONTATTO.nome in lettera
    assert "è stata accolta" in lettera and f"malum n. {malum}" in lettera
    assert (cartella / "lettera_2.pdf").read_bytes()[:5] == b"%PDF-"
    esegui("segnalazione", "stampa", "3", "--out", str(cartella))
    scheda = (cartella / "scheda_3.html").read_text(encoding="utf-8")
    assert "☒ Altro: fax" in scheda and "☒ Suggerimento" in scheda
    assert "☒ Organismo di volontariato o di tutela" in scheda and "☐ Utente" in scheda
    assert "Urgente: da istruire e trasmettere alla Direzione entro 1 giorno" in scheda
    res = esegui("segnalazione", "stampa", "3", "--documento", "lettera", "--out",
                 str(cartella), codice=2)
    assert "non ha ancora una risposta" in res.stderr

    # every write left an audit row, role cli, without the contact
    engine = make_engine(settings.db_url)
    with session_scope(engine) as s:
        righe_audit = list(s.exec(select(Audit).where(Audit.risorsa == "segnalazione")))
        sanz = list(s.exec(select(Audit).where(Audit.risorsa == "sanzione")))
    engine.dispose()
    assert [a.azione for a in righe_audit] == [
        "segnalazione nuova", "segnalazione passo 1", "segnalazione nuova",
        "segnalazione passo 2", "segnalazione passo 2", "segnalazione passo 2",
        "segnalazione passo 2", "segnalazione nuova"]
    assert {a.ruolo for a in righe_audit + sanz} == {"cli"}
    assert righe_audit[0].utente == "URP centrale"
    assert len(sanz) == 2
    testo = " ".join(f"{a.prima} {a.dopo}" for a in righe_audit + sanz)
    assert not [f for f in FRAMMENTI_CONTATTO if f in testo]
