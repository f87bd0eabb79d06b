"""The two printable documents of a segnalazione, HTML and tagged PDF from Jinja2 templates:
the reply letter (Regolamento di Pubblica Tutela, Art. 6 e) and 7 e)) and the "Scheda
segnalazioni" (Allegato 2).

Both are addressed to or about the citizen, so both carry the contact: they are the UPT's
documents, produced only on its paths (`registro segnalazione stampa`, the API's `upt`
role), never archived with the reports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlmodel import Session

from registro.errors import Conflitto
from registro.models import Sanzione
from registro.money import format_euro_it
from registro.settings import Settings
from registro.tutela import regole, service

Documento = Literal["lettera", "scheda"]
DOCUMENTI: tuple[str, ...] = ("lettera", "scheda")

ESITI_TESTO = {
    "accolta": "è stata accolta",
    "parzialmente_accolta": "è stata accolta in parte",
    "respinta": "non è stata accolta",
}
CANALI_TESTO = {
    "lettera": "per lettera", "modulo": "con il modulo dell'ufficio",
    "telefono": "per telefono", "fax": "per fax", "colloquio": "in colloquio",
    "email": "per posta elettronica",
}
# Allegato 2's four boxes; fax and e-mail (Art. 2 has fax; e-mail is today's) go under "altro".
PRESENTATORI_TESTO = (("utente", "Utente"), ("parente", "Parente o affine"),
                      ("associazione", "Organismo di volontariato o di tutela"),
                      ("d_ufficio", "D'ufficio"))
"""Who filed it (Allegato 1 Art. 1; d'ufficio: seed 000), as the form's boxes."""
CASELLE_CANALE = (("colloquio", "Verbale"), ("telefono", "Telefonica"),
                  ("modulo", "Con modulo"), ("lettera", "Con lettera allegata"))


def _ambiente() -> Any:
    env = Environment(loader=PackageLoader("reports", "templates/tutela"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["data_it"] = lambda d: "" if d is None else d.strftime("%d/%m/%Y")
    env.filters["euro_it"] = format_euro_it
    return env


def contesto(*, session: Session, id_segnalazione: int, settings: Settings, oggi: date
             ) -> dict[str, Any]:
    termini = regole.Termini.da_impostazioni(settings)
    s = service.dettaglio(session=session, id_segnalazione=id_segnalazione, termini=termini,
                          oggi=oggi, con_contatto=True)
    sanzione = (session.get(Sanzione, s["id_sanzione"]) if s["id_sanzione"] is not None
                else None)
    risposta = next((p for p in reversed(s["passi"]) if p["passo"] in regole.RISPOSTE), None)
    vuoto = {f: None for f in ("nome", "indirizzo", "telefono", "email")}
    return {"s": s, "c": s["contatto"] or vuoto, "ente": settings.ente, "settings": settings,
            "sanzione": sanzione, "risposta": risposta, "esiti": ESITI_TESTO,
            "canali": CANALI_TESTO, "caselle": CASELLE_CANALE,
            "presentatori": PRESENTATORI_TESTO, "oggi": oggi}


def html(*, session: Session, id_segnalazione: int, documento: str, settings: Settings,
         oggi: date) -> str:
    """The document's HTML. The letter exists once the citizen has been answered (resolved
    at once, or reply sent): before that there is nothing to write (409)."""
    if documento not in DOCUMENTI:
        raise ValueError(documento)
    ctx = contesto(session=session, id_segnalazione=id_segnalazione, settings=settings,
                   oggi=oggi)
    if documento == "lettera" and ctx["risposta"] is None:
        raise Conflitto(f"la segnalazione n. {id_segnalazione} non ha ancora una risposta: "
                        "la lettera si stampa dopo il passo risolta o risposta_inviata")
    nome = "lettera_risposta.html" if documento == "lettera" else "scheda_segnalazione.html"
    return str(_ambiente().get_template(nome).render(**ctx))


def pdf(testo_html: str, path: Path | None = None) -> bytes:
    """Tagged PDF (PDF/UA-1) of the HTML, written to `path` when given."""
    from weasyprint import HTML  # ~1 s to import: the API and the CLI pay it only for a PDF

    dati: bytes = HTML(string=testo_html).write_pdf(pdf_variant="pdf/ua-1")
    if path is not None:
        path.write_bytes(dati)
    return dati


def scrivi(*, session: Session, id_segnalazione: int, documento: str, settings: Settings,
           oggi: date, cartella: Path) -> list[Path]:
    """Write `<documento>_<n>.html` and `.pdf` into `cartella`."""
    testo = html(session=session, id_segnalazione=id_segnalazione, documento=documento,
                 settings=settings, oggi=oggi)
    cartella.mkdir(parents=True, exist_ok=True)
    pagina = cartella / f"{documento}_{id_segnalazione}.html"
    pagina.write_text(testo, encoding="utf-8")
    documento_pdf = cartella / f"{documento}_{id_segnalazione}.pdf"
    pdf(testo, documento_pdf)
    return [pagina, documento_pdf]
