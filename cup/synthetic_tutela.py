"""Synthetic segnalazioni for the demo: a year of an UPT's reports walked through the
regolamento's steps (some resolved at once, most by letter, a few late, contested sanctions,
riesami, some still open), deterministic for a seed.

Through the service, like an operator: the same rows, steps and audit. The contacts are
plainly fake (`cittadino-0001@example.invalid`, "Cittadino Fittizio 0001"): no real person.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from registro.db import session_scope, transazione
from registro.models import Prenotazione, Prestazione, Sanzione
from registro.settings import Settings
from registro.tutela import service

OGGETTI = {
    "reclamo": ["Attesa oltre lo standard per la visita prenotata",
                "Prestazione annullata dall'ente senza preavviso",
                "Malum addebitato nonostante la disdetta telefonica",
                "Tempi di attesa per l'esame diagnostico"],
    "disfunzione": ["Numero del CUP sempre occupato", "Referto consegnato in ritardo",
                    "Indicazioni per la sede di erogazione assenti"],
    "suggerimento": ["Promemoria dell'appuntamento via SMS",
                     "Orari di sportello anche il sabato"],
}
CANALI = ("lettera", "modulo", "telefono", "fax", "colloquio", "email")
PESI_CANALI = (15, 25, 20, 2, 13, 25)


def contatto_fittizio(i: int) -> service.Contatto:
    return service.Contatto(nome=f"Cittadino Fittizio {i:04d}",
                            indirizzo=f"Via dell'Esempio {i}, Comune Fittizio",
                            telefono=f"+39 000 000 {i:04d}",
                            email=f"cittadino-{i:04d}@example.invalid")


def genera_segnalazioni(*, engine: Engine, settings: Settings, anno: int, oggi: date,
                        n: int = 60, seed: int = 1) -> int:
    """Record `n` segnalazioni received in `anno` up to `oggi`; returns how many."""
    rng = random.Random(seed)
    with session_scope(engine) as s:
        prenotazioni = list(s.exec(select(Prenotazione.id_prenotazione)
                                   .order_by(col(Prenotazione.id_prenotazione)).limit(500)))
        branche = sorted({b for b in s.exec(select(Prestazione.branca)) if b}) or ["CUP"]
        contestabili = list(s.exec(select(Sanzione.id).where(
            col(Sanzione.tipo).in_(("malum", "bonum")), Sanzione.stato == "emesso")
            .order_by(col(Sanzione.id)).limit(500)))
    autore = service.Autore(nome="demo", ruolo="cli", azione="registro demo")
    fine = min(oggi, date(anno, 12, 31))
    inizio = date(anno, 1, 1)
    giorni_anno = (fine - inizio).days
    fatte = 0
    for i in range(1, n + 1):
        tipo = rng.choices(("reclamo", "disfunzione", "suggerimento"), (60, 25, 15))[0]
        ricevuta = inizio + timedelta(days=rng.randint(0, giorni_anno))
        sanzione = (rng.choice(contestabili) if tipo == "reclamo" and contestabili
                    and rng.random() < 0.3 else None)
        prenotazione = (rng.choice(prenotazioni) if sanzione is None and prenotazioni
                        and rng.random() < 0.5 else None)
        ritardo = rng.choice((0, 2, 5, 10, 14, 20, 40))
        with transazione(engine) as sess:
            seg = service.crea(
                session=sess, autore=autore, oggi=fine, canale=rng.choices(CANALI,
                                                                            PESI_CANALI)[0],
                tipo=tipo, oggetto=rng.choice(OGGETTI[tipo]), ricevuta_il=ricevuta,
                ricevuta_da=rng.choice(("URP sede centrale", "URP presidio ospedaliero")),
                data_conoscenza=ricevuta - timedelta(days=ritardo),
                servizio=None if (sanzione or prenotazione) else rng.choice(branche),
                id_prenotazione=prenotazione, id_sanzione=sanzione,
                contatto=contatto_fittizio(i))
            assert seg.id is not None
            _cammina(sess, seg.id, ricevuta, fine, rng, autore, contesta=sanzione is not None)
        fatte += 1
    return fatte


def _cammina(sess: Session, numero: int, ricevuta: date, fine: date, rng: random.Random,
             autore: service.Autore, *, contesta: bool) -> None:
    """Walk the steps while their dates fall by `fine`: what is later stays open."""

    def esito() -> str:
        if contesta:
            return rng.choice(("accolta", "respinta"))
        return rng.choices(("accolta", "parzialmente_accolta", "respinta"), (50, 20, 30))[0]

    giorno = ricevuta
    if not contesta and rng.random() < 0.25:
        passi = [("risolta", 1)]
    else:
        passi = [("trasmessa", rng.choice((0, 1, 2, 3, 3, 5))),
                 ("servizi_informati", rng.choice((1, 2, 3, 4))),
                 ("informazioni_ricevute", rng.choice((2, 5, 7, 7, 10))),
                 ("risposta_inviata", rng.choice((2, 5, 8, 15)))]
    if rng.random() < 0.15:
        passi += [("riesame", rng.randint(5, 20)), ("riesame_concluso", rng.randint(10, 40))]
    if rng.random() < 0.1:
        # A file that stalls: the Direttore Sanitario's list has something to show.
        passi = passi[:rng.randint(0, len(passi) - 1)]
    for passo, dopo in passi:
        giorno = giorno + timedelta(days=dopo)
        if giorno > fine:
            return
        service.registra_passo(
            session=sess, autore=autore, oggi=fine, id_segnalazione=numero, passo=passo,
            data=giorno, esito=esito() if passo in ("risolta", "risposta_inviata",
                                                    "riesame_concluso") else None,
            nota="Risposta sintetica della demo." if passo == "risposta_inviata" else None)
