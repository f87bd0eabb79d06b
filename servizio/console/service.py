"""The console's database functions: people, sessions, failed logins, motivazioni recorded
from the list. Keyword-only, they take the session; the routes call these, no SQL in a route.

Failed logins are counted from the audit (where each one is recorded anyway): the count is
shared by every server process and survives a restart, and the lock is one more audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from registro import motivazioni
from registro.audit import registra_audit
from registro.errors import ErroreUtente, senza_nul
from registro.models import Audit, Prenotazione, Ricovero, SessioneConsole, UtenteConsole
from servizio.console import sicurezza
from servizio.console.permessi import RUOLI, ha_permesso

TENTATIVI_MASSIMI = 10
"""Wrong passwords for one name within FINESTRA before the name is locked."""
FINESTRA = timedelta(minutes=1)

AZIONE_FALLITO = "console accesso fallito"
AZIONE_BLOCCATO = "console accesso bloccato"
AZIONE_RIFIUTATO = "console accesso rifiutato (nome bloccato)"


@dataclass(frozen=True)
class Persona:
    """The person behind a live console session, as the pages see them."""

    nome: str
    ruolo: str
    csrf: str
    id_hash: str

    def puo(self, permesso: str) -> bool:
        return ha_permesso(self.ruolo, permesso)


class AccessoBloccato(Exception):
    """Too many wrong passwords for this name: refused without checking the password."""


# --- people ----------------------------------------------------------------------------------

def _utente(session: Session, nome: str) -> UtenteConsole | None:
    return session.exec(select(UtenteConsole).where(UtenteConsole.nome == nome)).first()


def crea_utente(*, session: Session, nome: str, ruolo: str, password: str) -> UtenteConsole:
    """A new person; the caller commits. The password is hashed here and never kept."""
    nome = nome.strip()
    senza_nul(nome, "nome")
    if not nome or len(nome) > 80:
        raise ErroreUtente("il nome è vuoto o più lungo di 80 caratteri")
    if ruolo not in RUOLI:
        raise ErroreUtente(f"ruolo sconosciuto: {ruolo!r} (ammessi: {', '.join(RUOLI)})")
    motivo = sicurezza.controlla_password(password)
    if motivo:
        raise ErroreUtente(motivo)
    if _utente(session, nome) is not None:
        raise ErroreUtente(f"esiste già un utente della console di nome {nome!r}")
    u = UtenteConsole(nome=nome, ruolo=ruolo, password_hash=sicurezza.hash_password(password),
                      attivo=True, creato_il=datetime.now())
    session.add(u)
    session.flush()
    return u


def _revoca_sessioni(session: Session, utente_id: int | None, adesso: datetime) -> int:
    vive = session.exec(select(SessioneConsole).where(
        SessioneConsole.utente_id == utente_id, col(SessioneConsole.revocata_il).is_(None))).all()
    for s in vive:
        s.revocata_il = adesso
        session.add(s)
    return len(vive)


def disattiva_utente(*, session: Session, nome: str) -> UtenteConsole:
    """Disable a person and end their sessions at once; the caller commits."""
    u = _utente(session, nome.strip())
    if u is None:
        raise ErroreUtente(f"nessun utente della console di nome {nome!r}")
    u.attivo = False
    session.add(u)
    _revoca_sessioni(session, u.id, datetime.now())
    session.flush()
    return u


def cambia_password(*, session: Session, nome: str, password: str) -> UtenteConsole:
    """Set a new password and end the person's sessions; the caller commits."""
    u = _utente(session, nome.strip())
    if u is None:
        raise ErroreUtente(f"nessun utente della console di nome {nome!r}")
    motivo = sicurezza.controlla_password(password)
    if motivo:
        raise ErroreUtente(motivo)
    adesso = datetime.now()
    u.password_hash = sicurezza.hash_password(password)
    u.password_cambiata_il = adesso
    session.add(u)
    _revoca_sessioni(session, u.id, adesso)
    session.flush()
    return u


# --- sessions --------------------------------------------------------------------------------

def nuova_sessione(*, session: Session, utente_id: int | None,
                   adesso: datetime | None = None) -> str:
    """A new session (its id in clear, for the cookie: only its SHA-256 is stored); without a
    person it is the login form's, carrying the CSRF token. The caller commits."""
    adesso = adesso or datetime.now()
    sid = sicurezza.nuovo_id()
    session.add(SessioneConsole(id_hash=sicurezza.impronta(sid), utente_id=utente_id,
                                csrf=sicurezza.nuovo_id(), creata_il=adesso, vista_il=adesso))
    session.flush()
    return sid


def sessione_viva(*, session: Session, sid: str | None, timeout_minuti: int,
                  adesso: datetime | None = None
                  ) -> tuple[SessioneConsole, UtenteConsole | None] | None:
    """The live session of a cookie and its person (None for the login form's), marked as
    seen now; None when unknown, revoked, idle past the timeout (then revoked) or its person
    was disabled. The caller commits."""
    if not sid:
        return None
    adesso = adesso or datetime.now()
    s = session.get(SessioneConsole, sicurezza.impronta(sid))
    if s is None or s.revocata_il is not None:
        return None
    if adesso - s.vista_il > timedelta(minutes=timeout_minuti):
        s.revocata_il = adesso
        session.add(s)
        return None
    utente = None
    if s.utente_id is not None:
        utente = session.get(UtenteConsole, s.utente_id)
        if utente is None or not utente.attivo:
            s.revocata_il = adesso
            session.add(s)
            return None
    s.vista_il = adesso
    session.add(s)
    return s, utente


def revoca_sessione(*, session: Session, id_hash: str, adesso: datetime | None = None) -> None:
    s = session.get(SessioneConsole, id_hash)
    if s is not None and s.revocata_il is None:
        s.revocata_il = adesso or datetime.now()
        session.add(s)


def _pulisci_anonime(session: Session, adesso: datetime, timeout_minuti: int) -> None:
    """Login-form sessions past the timeout carry nothing worth keeping: removed."""
    vecchie = session.exec(select(SessioneConsole).where(
        col(SessioneConsole.utente_id).is_(None),
        col(SessioneConsole.vista_il) < adesso - timedelta(minutes=timeout_minuti))).all()
    for s in vecchie:
        session.delete(s)


# --- login -----------------------------------------------------------------------------------

def _audit_accesso(session: Session, nome: str, ruolo: str, azione: str,
                   dopo: dict[str, object] | None = None) -> None:
    registra_audit(session=session, utente=nome[:80], ruolo=ruolo, azione=azione,
                   risorsa="sessione_console", riferimento=nome[:64], prima=None, dopo=dopo)


def bloccato(*, session: Session, nome: str, blocco_minuti: int,
             adesso: datetime | None = None) -> bool:
    """Whether `nome` was locked within the last `blocco_minuti` minutes."""
    adesso = adesso or datetime.now()
    return session.exec(select(func.count()).select_from(Audit).where(
        Audit.azione == AZIONE_BLOCCATO, Audit.riferimento == nome[:64],
        col(Audit.quando) >= adesso - timedelta(minutes=blocco_minuti))).one() > 0


def accedi(*, session: Session, nome: str, password: str, sessione_modulo: str | None,
           blocco_minuti: int, timeout_minuti: int, adesso: datetime | None = None
           ) -> tuple[str, UtenteConsole] | None:
    """Log in: the new session's id and the person, or None for a wrong name or password
    (each failure audited; the 10th within a minute locks the name). A locked name raises
    `AccessoBloccato` before the password is looked at. The login form's session
    (`sessione_modulo`, its hash) is revoked: the person gets a new session id. Commits."""
    adesso = adesso or datetime.now()
    nome = nome.strip()
    if bloccato(session=session, nome=nome, blocco_minuti=blocco_minuti, adesso=adesso):
        _audit_accesso(session, nome, "anonimo", AZIONE_RIFIUTATO)
        session.commit()
        raise AccessoBloccato(nome)
    utente = _utente(session, nome) if nome and "\x00" not in nome else None
    vivo = utente is not None and utente.attivo
    giusta = sicurezza.verifica_password(utente.password_hash if vivo and utente else None,
                                         password)
    if not giusta or utente is None:
        _audit_accesso(session, nome, "anonimo", AZIONE_FALLITO)
        session.flush()
        falliti = session.exec(select(func.count()).select_from(Audit).where(
            Audit.azione == AZIONE_FALLITO, Audit.riferimento == nome[:64],
            col(Audit.quando) > adesso - FINESTRA)).one()
        if falliti >= TENTATIVI_MASSIMI:
            _audit_accesso(session, nome, "anonimo", AZIONE_BLOCCATO,
                           {"tentativi": falliti, "minuti": blocco_minuti})
        session.commit()
        return None
    if sessione_modulo:
        revoca_sessione(session=session, id_hash=sessione_modulo, adesso=adesso)
    _pulisci_anonime(session, adesso, timeout_minuti)
    sid = nuova_sessione(session=session, utente_id=utente.id, adesso=adesso)
    _audit_accesso(session, utente.nome, utente.ruolo, "console accesso")
    session.commit()
    return sid, utente


def esci(*, session: Session, persona: Persona) -> None:
    """Logout: the session is revoked (the cookie is worth nothing from now on). Commits."""
    revoca_sessione(session=session, id_hash=persona.id_hash)
    _audit_accesso(session, persona.nome, persona.ruolo, "console uscita")
    session.commit()


# --- motivazioni from the monitoring list -----------------------------------------------------

OGGETTO_DELLA_LISTA = {"superamento_senza_motivazione": "superamento",
                       "fuori_ordine_senza_motivazione": "fuori_ordine",
                       "in_scadenza": "superamento"}
"""What a motivazione answers for, by monitoring list; the other lists are remedied by a
step (Tutela) or by the CUP's update, not by a reason."""


@dataclass(frozen=True)
class Voce:
    registro: str
    oggetto: str
    riferimento: str

    @classmethod
    def da_testo(cls, testo: str) -> Voce:
        """`registro|oggetto|id` as the list's checkboxes send it."""
        parti = testo.split("|", 2)
        if len(parti) != 3 or parti[0] not in ("prestazioni", "ricoveri") \
                or parti[1] not in motivazioni.OGGETTI or not parti[2]:
            raise ErroreUtente(f"voce non valida: {testo[:80]!r}")
        return cls(*parti)

    def come_testo(self) -> str:
        return f"{self.registro}|{self.oggetto}|{self.riferimento}"


def registra_motivazioni(*, session: Session, voci: list[Voce], testo: str,
                         persona: Persona) -> int:
    """One text for one or many items, author the logged-in person, each audited. Every item
    is checked before anything is written. Commits (one motivazione at a time)."""
    if not voci:
        raise ErroreUtente("nessuna voce selezionata")
    senza_nul(testo, "testo")
    if not testo.strip():
        raise ErroreUtente("il testo della motivazione è vuoto")
    for v in voci:
        tabella = Prenotazione if v.registro == "prestazioni" else Ricovero
        if session.get(tabella, v.riferimento) is None:
            raise ErroreUtente(f"{v.registro}: {v.riferimento!r} non presente nel registro")
    for v in dict.fromkeys(voci):
        registra_audit(session=session, utente=persona.nome, ruolo=persona.ruolo,
                       azione="console motivazione", risorsa="motivazione",
                       riferimento=v.riferimento[:64], prima=None,
                       dopo={"registro": v.registro, "oggetto": v.oggetto,
                             "riferimento": v.riferimento, "testo": testo.strip()})
        motivazioni.registra(session=session, registro=v.registro, riferimento=v.riferimento,
                             testo=testo, autore=persona.nome, oggetto=v.oggetto)
    return len(dict.fromkeys(voci))
