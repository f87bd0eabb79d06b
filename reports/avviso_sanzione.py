"""The notice to the citizen of a bonum or a malum (Carta dei servizi §5.6, announced on the
booking sheet by §5.3), HTML for the browser's print and tagged PDF (PDF/UA-1).

The register knows the citizen only by a pseudonym: the notice carries it and leaves the
address block to the CUP, which holds the key. An annulled record gets the same notice
saying so, with the reason, so the citizen learns that nothing is owed or paid.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlmodel import Session

from registro.errors import Conflitto, NonTrovato
from registro.models import Prenotazione, Prestazione, Sanzione, Sede
from registro.money import format_euro_it
from registro.settings import Settings
from reports.documenti_tutela import pdf as pdf_tagged

AVVISABILI = ("bonum", "malum")


def _ambiente() -> Environment:
    """The Tutela documents' folder and style: the notice points the citizen to that office."""
    env = Environment(loader=PackageLoader("reports", "templates/tutela"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["data_it"] = lambda d: "" if d is None else d.strftime("%d/%m/%Y")
    env.filters["ora_it"] = lambda d: "" if d is None or (d.hour, d.minute) == (0, 0) \
        else d.strftime("%H:%M")
    env.filters["euro_it"] = format_euro_it
    return env


def contesto(*, session: Session, id_sanzione: int, settings: Settings, oggi: date
             ) -> dict[str, Any]:
    s = session.get(Sanzione, id_sanzione)
    if s is None:
        raise NonTrovato(f"sanzione n. {id_sanzione} non presente nel registro")
    if s.tipo not in AVVISABILI:
        raise Conflitto(f"la sanzione n. {id_sanzione} è un {s.tipo}: l'avviso al cittadino "
                        "si stampa solo per un bonum o un malum")
    p = session.get(Prenotazione, s.id_prenotazione)
    prestazione = session.get(Prestazione, p.codice_prestazione) if p else None
    sede = session.get(Sede, p.codice_sede) if p else None
    return {"s": s, "p": p, "ente": settings.ente, "settings": settings, "oggi": oggi,
            "prestazione": prestazione.descrizione if prestazione else None,
            "sede": sede.nome if sede else None,
            "sede_indirizzo": sede.indirizzo if sede else None}


def html(*, session: Session, id_sanzione: int, settings: Settings, oggi: date,
         schermo: bool = False) -> str:
    """The notice's HTML; `schermo` adds the links of the console page (never in the PDF)."""
    ctx = contesto(session=session, id_sanzione=id_sanzione, settings=settings, oggi=oggi)
    return str(_ambiente().get_template("avviso_sanzione.html").render(**ctx,
                                                                      schermo=schermo))


def pdf(testo_html: str) -> bytes:
    """Tagged PDF (PDF/UA-1) of the notice's HTML."""
    return pdf_tagged(testo_html)
