"""The state machine of bonum, malum and refund records: which state may follow which, and
the compare-and-set that applies a change only to the state it was checked against.

emesso → notificato → pagato; emesso, notificato → contestato; contestato → emesso or
annullato; any state but a final one → annullato, with a reason. `pagato` and `annullato` are
final. The API, the Pubblica tutela's outcomes and the console all move a record through
`cambia_stato`: one set of rules for a record, whoever asks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from registro.errors import Conflitto, ErroreUtente, NonTrovato, senza_nul
from registro.models import Sanzione
from registro.money import format_euro

FINALI = ("pagato", "annullato")
TRANSIZIONI: dict[str, tuple[str, ...]] = {
    "emesso": ("notificato", "contestato", "annullato"),
    "notificato": ("pagato", "contestato", "annullato"),
    "contestato": ("emesso", "annullato"),
    "pagato": (),
    "annullato": (),
}


def con_euro(dati: dict[str, Any]) -> dict[str, Any]:
    """`*_cent` integers become euro text with two decimals (`importo_cent` → `importo`)."""
    out: dict[str, Any] = {}
    for k, v in dati.items():
        if k.endswith("_cent"):
            out[k[: -len("_cent")]] = None if v is None else format_euro(v)
        else:
            out[k] = v
    return out


def sanzione_dict(s: Sanzione) -> dict[str, Any]:
    return con_euro(s.model_dump())


def cambia_stato(*, session: Session, id_sanzione: int, stato: str, motivo: str | None
                 ) -> tuple[dict[str, Any], Sanzione]:
    """Move a sanction to `stato` if the state machine allows it; returns (before, after).

    Raises NonTrovato, Conflitto (illegal transition, or the state changed under us) or
    ErroreUtente (annulling without a reason). The caller commits (with the audit row).

    The write is a compare-and-set on the state read (`cambia_se_stato`): `FOR UPDATE`
    serialises on PostgreSQL only, and on SQLite the read runs outside the write
    transaction, so without it simultaneous requests all passed the check against the same
    old state and each overwrote the other."""
    senza_nul(motivo, "motivo")
    s = session.get(Sanzione, id_sanzione, with_for_update=True)
    if s is None:
        raise NonTrovato(f"sanzione n. {id_sanzione} non presente nel registro")
    prima = sanzione_dict(s)
    attuale = s.stato
    if attuale in FINALI:
        raise Conflitto(f"transizione non ammessa: la sanzione n. {id_sanzione} è "
                        f"{attuale!r}, uno stato finale, e non può passare a {stato!r}")
    if stato == attuale:
        raise Conflitto(f"transizione non ammessa: la sanzione n. {id_sanzione} è già "
                        f"nello stato {attuale!r}")
    ammessi = TRANSIZIONI.get(attuale, ())
    if stato not in ammessi:
        raise Conflitto(f"transizione non ammessa: da {attuale!r} a {stato!r} (da "
                        f"{attuale!r} si passa solo a: {', '.join(ammessi)})")
    motivo = (motivo or "").strip() or None
    valori: dict[str, Any] = {"stato": stato}
    if stato == "annullato":
        if motivo is None:
            raise ErroreUtente("per annullare una sanzione il motivo è obbligatorio")
        valori.update(annullata_il=datetime.now(), motivo_annullamento=motivo)
    cambia_se_stato(session, s, attuale, valori,
                    descrizione=f"la sanzione n. {id_sanzione}")
    return prima, s


def cambia_se_stato(session: Session, riga: Any, letto: str, valori: dict[str, Any], *,
                    descrizione: str) -> None:
    """Compare-and-set: write `valori` to `riga` only if its `stato` is still `letto`, the
    state its checks were made against; else Conflitto (409), and nothing is written.

    One UPDATE … WHERE id = :id AND stato = :letto: the database decides, on both engines.
    The first writer wins; on SQLite a later one waits for the write lock and then finds
    the new state (0 rows), on PostgreSQL it waits for the row lock and re-reads the row.
    The object in the session is brought up to date with what was written."""
    modello = type(riga)
    esito = session.execute(
        update(modello).where(modello.id == riga.id, modello.stato == letto)
        .values(**valori).execution_options(synchronize_session=False))
    if esito.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflitto(f"{descrizione} è stata modificata da un'altra richiesta nel "
                        f"frattempo (non è più nello stato {letto!r}): ricaricarla e "
                        "riprovare")
    for campo, valore in valori.items():
        set_committed_value(riga, campo, valore)
