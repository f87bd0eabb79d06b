"""Motivazioni: the recorded reason for a breach, an out-of-order admission or a booking that
overtook others on its agenda (Carta §5.1: "salvo patologie di particolare gravità e urgenza").

"Il mancato rispetto dei tempi di attesa deve essere sempre motivato" (Carta §4.3, §5.4).
A motivazione is never edited in place: a new one supersedes the previous one for the same
(register, id, subject), keeping the chain (`sostituisce_id`) for the record.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registro import db
from registro.errors import ErroreUtente, senza_nul
from registro.models import Motivazione, Prenotazione, Ricovero

OGGETTI = ("superamento", "fuori_ordine")


def registra(*, session: Session, registro: str, riferimento: str, testo: str, autore: str,
             oggetto: str | None = None, quando: datetime | None = None) -> Motivazione:
    """Record a motivazione; the subject defaults to what the entry needs."""
    for campo, valore in (("testo", testo), ("riferimento", riferimento), ("autore", autore),
                          ("oggetto", oggetto)):
        senza_nul(valore, campo)
    testo = testo.strip()
    if not testo:
        raise ErroreUtente("il testo della motivazione è vuoto")
    if registro == "prestazioni":
        if session.get(Prenotazione, riferimento) is None:
            raise ErroreUtente(f"prenotazione {riferimento!r} non presente nel registro")
        oggetto = oggetto or "superamento"
    elif registro == "ricoveri":
        ricovero = session.get(Ricovero, riferimento)
        if ricovero is None:
            raise ErroreUtente(f"ricovero {riferimento!r} non presente nel registro")
        oggetto = oggetto or ("fuori_ordine" if (ricovero.fuori_ordine or 0) > 0
                              else "superamento")
    else:
        raise ErroreUtente(f"registro sconosciuto: {registro!r}")
    if oggetto not in OGGETTI:
        raise ErroreUtente(f"oggetto non ammesso: {oggetto!r} (ammessi: {', '.join(OGGETTI)})")
    precedente = session.exec(
        select(Motivazione)
        .where(Motivazione.registro == registro, Motivazione.riferimento == riferimento,
               Motivazione.oggetto == oggetto)
        .order_by(col(Motivazione.id).desc())).first()
    nuova = Motivazione(registro=registro, riferimento=riferimento, oggetto=oggetto,
                        testo=testo, autore=autore.strip() or "non indicato",
                        registrata_il=quando or datetime.now(),
                        sostituisce_id=precedente.id if precedente else None)
    session.add(nuova)
    session.commit()
    session.refresh(nuova)
    return nuova


def vigenti(engine: Engine) -> pl.DataFrame:
    """The latest motivazione per (registro, id, oggetto): the monitoring list's input."""
    df = db.read_frame(
        engine,
        "SELECT registro, riferimento, oggetto, registrata_il, id FROM motivazione",
        {"registro": pl.String(), "riferimento": pl.String(), "oggetto": pl.String(),
         "registrata_il": pl.Datetime("us"), "id": pl.Int64()})
    return (df.sort("id").unique(["registro", "riferimento", "oggetto"], keep="last")
            .select("registro", pl.col("riferimento").alias("id"), "oggetto", "registrata_il"))
