"""The register's tables. Money is integer cents (`*_cent`): exact on SQLite and PostgreSQL
alike; `registro.money` turns it into Decimal euro at the edges. The bookings' date-times
are integer microseconds on SQLite (`registro.istanti`, migration 0018)."""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from registro.istanti import IstanteIntero


class Prestazione(SQLModel, table=True):
    """Catalog entry: a nomenclatore code; its `tipo` decides the target."""

    codice: str = Field(primary_key=True, max_length=20)
    descrizione: str
    tipo: str = Field(max_length=20)
    branca: str | None = None
    tariffa_cent: int | None = None
    periodica: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    """A laboratory test run with a programmed periodicity: outside the 48-hour target
    under carta1995 (seeds/003 §5.4 "fatti salvi esami che ... vengono eseguiti con
    periodicità programmata")."""


class Sede(SQLModel, table=True):
    """Delivery site. The CUP is the source of sites: unknown codes arrive with code as name."""

    codice: str = Field(primary_key=True, max_length=40)
    nome: str
    comune: str | None = None
    indirizzo: str | None = None
    da_completare: bool = False
    """Registered by an ingest from its code alone; name and address still to be given."""


class PrenotazioneBase(SQLModel):
    """The fields of one version of a booking, as the CUP sent it (normalised)."""

    id_prenotazione: str = Field(max_length=64)
    data_prescrizione: date | None = None
    data_prenotazione: NaiveDatetime = Field(sa_type=IstanteIntero)
    data_appuntamento: NaiveDatetime = Field(sa_type=IstanteIntero)
    codice_prestazione: str = Field(max_length=20)
    codice_sede: str = Field(max_length=40)
    classe_priorita: str | None = Field(default=None, max_length=1)
    tipo_accesso: str = Field(default="primo", max_length=10)
    scelta_utente: bool = False
    stato: str = Field(max_length=20)
    data_disdetta: NaiveDatetime | None = Field(default=None, sa_type=IstanteIntero)
    causale_annullamento: str | None = None
    esito_annullamento: str | None = Field(default=None, max_length=20)
    importo_ticket_cent: int | None = None
    quota_ordinaria_cent: int | None = None
    forza_maggiore: bool = False
    data_ritiro_referto: date | None = None
    """When the citizen collected the report (Carta §5.6: reports not collected)."""
    ritiro_referto_tracciato: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")})
    """The export this version came in carried the column `data_ritiro_referto`: only then
    does an empty value mean "not collected" rather than "not tracked by the CUP"."""
    id_assistito: str = Field(max_length=64)
    aggiornato_il: NaiveDatetime | None = Field(default=None, sa_type=IstanteIntero)
    versione_il: NaiveDatetime = Field(sa_type=IstanteIntero)
    """Orders versions: `aggiornato_il`, or the ingest time when the CUP gave none."""
    ingest_run_id: int


class Prenotazione(PrenotazioneBase, table=True):
    """The latest version of each booking, plus what `registro check` derived from it."""

    id_prenotazione: str = Field(primary_key=True, max_length=64)
    attesa_giorni: int | None = None
    attesa_da_prescrizione: int | None = None
    standard_giorni: int | None = None
    in_garanzia: bool | None = None
    entro_standard: bool | None = None
    superamento: bool | None = None
    """In guarantee and past its target: needs a motivazione."""
    percorso_tutela: bool | None = None
    """dl73: entitled to the service elsewhere at ticket cost."""
    preferenziale: bool | None = None
    """Rescheduled after the authority cancelled: to be rebooked first."""
    fuori_ordine: int | None = None
    """How many bookings of its agenda (service × site) booked before it it overtook
    (Carta §5.1, registro.ordine): null when the chronological order does not apply."""
    verificata_il: NaiveDatetime | None = Field(default=None, sa_type=IstanteIntero)
    profilo: str | None = None

    # Two secondary indexes: the pages of `GET /prenotazioni?sede=` and the console's sanction
    # list by site; the incremental check's delta (registro.check_incrementale), as small as
    # it is. The filters on period and service read the table, as those on state and class
    # do (migration 0017: each index costs every ingest and bytes per booking).
    __table_args__ = (
        Index("ix_prenotazione_sede", "codice_sede", "id_prenotazione"),
        Index("ix_prenotazione_da_verificare", "verificata_il",
              sqlite_where=text("verificata_il IS NULL"),
              postgresql_where=text("verificata_il IS NULL")),
    )


class PrenotazioneStoria(PrenotazioneBase, table=True):
    """Every version ever ingested: nothing is overwritten without trace."""

    __tablename__ = "prenotazione_storia"
    id: int | None = Field(default=None, primary_key=True)

    # A version is recorded once: the ingest compares content, not a hash (polars' hash is
    # not stable across versions, and the register outlives library upgrades).
    __table_args__ = (Index("ix_storia_id_versione", "id_prenotazione", "versione_il"),)


class Sanzione(SQLModel, table=True):
    """A bonum, malum or refund record. Never deleted: a correction annuls and reissues."""

    id: int | None = Field(default=None, primary_key=True)
    id_prenotazione: str = Field(max_length=64, index=True)
    tipo: str = Field(max_length=24)
    importo_cent: int
    stato: str = Field(default="emesso", max_length=12)
    data_emissione: date
    motivo: str
    annullata_il: NaiveDatetime | None = None
    motivo_annullamento: str | None = None

    __table_args__ = (
        # One live record per (booking, kind): the check can be re-run safely.
        Index("uq_sanzione_viva", "id_prenotazione", "tipo", unique=True,
              sqlite_where=text("stato <> 'annullato'"),
              postgresql_where=text("stato <> 'annullato'")),
    )


class IngestRun(SQLModel, table=True):
    """One ingested file: checksum, counts, outcome."""

    __tablename__ = "ingest_run"
    id: int | None = Field(default=None, primary_key=True)
    registro: str = Field(default="prestazioni", max_length=20)
    file: str
    sha256: str = Field(max_length=64, index=True)
    archiviato_in: str | None = None
    mapping: str | None = None
    utente: str | None = None
    iniziato_il: NaiveDatetime
    finito_il: NaiveDatetime | None = None
    stato: str = Field(default="in_corso", max_length=12)
    errore: str | None = None
    righe: int = 0
    accettate: int = 0
    scartate: int = 0
    nuove: int = 0
    aggiornate: int = 0
    invariate: int = 0
    obsolete: int = 0
    duplicate: int = 0
    sedi_nuove: int = 0


class Scarto(SQLModel, table=True):
    """A rejected row: where, which field, why (in Italian), and the raw values."""

    id: int | None = Field(default=None, primary_key=True)
    ingest_run_id: int = Field(index=True)
    file: str
    riga: int
    campo: str
    valore: str | None = None
    motivo: str
    grezzo: str | None = None


class Esecuzione(SQLModel, table=True):
    """Every check, stats, build or report run leaves a row (task log)."""

    id: int | None = Field(default=None, primary_key=True)
    attivita: str = Field(max_length=40)
    periodo: str | None = None
    iniziata_il: NaiveDatetime
    finita_il: NaiveDatetime | None = None
    stato: str = Field(default="in_corso", max_length=12)
    dettaglio: str | None = None


class Reparto(SQLModel, table=True):
    """Hospital ward (planned admissions). Unknown codes arrive from the export like sites."""

    codice: str = Field(primary_key=True, max_length=40)
    nome: str
    presidio: str | None = None
    da_completare: bool = False


class RicoveroBase(SQLModel):
    """One version of a planned-admission list entry, as the export sent it."""

    id_ricovero: str = Field(max_length=64)
    data_inserimento: NaiveDatetime
    codice_reparto: str = Field(max_length=40)
    codice_patologia: str = Field(max_length=20)
    descrizione_patologia: str | None = None
    classe_priorita: str = Field(max_length=1)
    stato: str = Field(max_length=12)
    data_ricovero: NaiveDatetime | None = None
    data_cancellazione: NaiveDatetime | None = None
    id_assistito: str = Field(max_length=64)
    aggiornato_il: NaiveDatetime | None = None
    versione_il: NaiveDatetime
    ingest_run_id: int


class Ricovero(RicoveroBase, table=True):
    """The latest version of each list entry, plus what `registro check` derived."""

    id_ricovero: str = Field(primary_key=True, max_length=64)
    attesa_giorni: int | None = None
    attesa_massima: int | None = None
    superamento: bool | None = None
    fuori_ordine: int | None = None
    """How many entries this admission overtook (0 when in order)."""
    verificata_il: NaiveDatetime | None = None
    profilo: str | None = None

    __table_args__ = (Index("ix_ricovero_reparto", "codice_reparto", "data_inserimento"),)


class RicoveroStoria(RicoveroBase, table=True):
    """Every version of a list entry ever ingested."""

    __tablename__ = "ricovero_storia"
    id: int | None = Field(default=None, primary_key=True)

    __table_args__ = (Index("ix_ricovero_storia_id_versione", "id_ricovero", "versione_il"),)


class Motivazione(SQLModel, table=True):
    """The reason recorded for a breach or an out-of-order admission (Carta §4.3: "deve
    essere sempre motivato"). Never edited: a newer one supersedes the older."""

    id: int | None = Field(default=None, primary_key=True)
    registro: str = Field(max_length=12)
    """`prestazioni` or `ricoveri`."""
    riferimento: str = Field(max_length=64)
    """id_prenotazione or id_ricovero."""
    oggetto: str = Field(max_length=12)
    """`superamento` or `fuori_ordine`."""
    testo: str
    autore: str
    registrata_il: NaiveDatetime
    sostituisce_id: int | None = None

    __table_args__ = (Index("ix_motivazione_rif", "registro", "riferimento", "oggetto"),)


class UtenteApi(SQLModel, table=True):
    """A bearer token of the internal API: only its SHA-256 is stored, never the token."""

    __tablename__ = "utente_api"
    id: int | None = Field(default=None, primary_key=True)
    nome: str = Field(max_length=80, index=True)
    ruolo: str = Field(max_length=12)
    """`direzione`, `cup`, `upt` or `lettura`."""
    token_hash: str = Field(max_length=64, unique=True)
    creato_il: NaiveDatetime
    revocato_il: NaiveDatetime | None = None


class UtenteConsole(SQLModel, table=True):
    """A person who logs in to the console: name, role, argon2 hash of the password (never
    the password), active flag. Disabled, not deleted: the audit keeps naming them."""

    __tablename__ = "utente_console"
    id: int | None = Field(default=None, primary_key=True)
    nome: str = Field(max_length=80, unique=True)
    ruolo: str = Field(max_length=12)
    """`direzione`, `cup`, `upt` or `lettura` (the API's roles)."""
    password_hash: str = Field(max_length=200)
    attivo: bool = True
    creato_il: NaiveDatetime
    password_cambiata_il: NaiveDatetime | None = None


class SessioneConsole(SQLModel, table=True):
    """A server-side console session: the cookie carries a random id, the table its SHA-256
    (a copy of the table opens no session), so a session can be revoked at once. A row
    without a person is the session of the login form (it carries only the CSRF token)."""

    __tablename__ = "sessione_console"
    id_hash: str = Field(max_length=64, primary_key=True)
    utente_id: int | None = Field(default=None, foreign_key="utente_console.id", index=True)
    csrf: str = Field(max_length=64)
    creata_il: NaiveDatetime
    vista_il: NaiveDatetime
    revocata_il: NaiveDatetime | None = None


class CaricamentoConsole(SQLModel, table=True):
    """An upload from the console while it is ingested in the background: the page
    `/console/ingest/lavori/{id}` reads it until the run's summary exists. `processo`
    (`host pid` of the server) tells a job whose server died from a live one."""

    __tablename__ = "caricamento_console"
    id: str = Field(max_length=32, primary_key=True)
    registro: str = Field(max_length=20)
    file: str
    utente: str = Field(max_length=80)
    processo: str = Field(max_length=300)
    iniziato_il: NaiveDatetime
    finito_il: NaiveDatetime | None = None
    stato: str = Field(default="in_corso", max_length=12)
    ingest_run_id: int | None = None
    errore: str | None = None


class Audit(SQLModel, table=True):
    """Every write through the API (and token management): who, when, what, before/after."""

    id: int | None = Field(default=None, primary_key=True)
    quando: NaiveDatetime = Field(index=True)
    utente: str = Field(max_length=80)
    ruolo: str = Field(max_length=12)
    azione: str = Field(max_length=80)
    """Method and path, e.g. `PATCH /sanzioni/12`."""
    risorsa: str = Field(max_length=40)
    riferimento: str | None = Field(default=None, max_length=64)
    prima: str | None = None
    """JSON of the record before the change (null for a creation)."""
    dopo: str | None = None
    """JSON of the record after the change."""

    __table_args__ = (Index("ix_audit_azione_rif", "azione", "riferimento", "quando"),)


class BloccoRegistro(SQLModel, table=True):
    """The register-wide write lock (see registro.blocco): exactly one row, id 1."""

    __tablename__ = "blocco_registro"
    id: int = Field(primary_key=True)
    preso_il: NaiveDatetime | None = None
    da: str | None = None


class ImpostazioneRegistro(SQLModel, table=True):
    """What belongs to the register for its whole life, recorded once (by `registro init` or
    the first use): `impronta_chiave_pseudonimi`, the fingerprint of the pseudonym key (a
    keyed hash of a fixed text: it tells keys apart and reveals nothing of the key)."""

    __tablename__ = "impostazione_registro"
    nome: str = Field(primary_key=True, max_length=40)
    valore: str = Field(max_length=200)
    registrata_il: NaiveDatetime


class ReportRun(SQLModel, table=True):
    """One run of a scheduled report (reports.archivio): what was produced, where it was
    archived, to whom it was sent and how the delivery went. Never deleted: re-running the
    same period makes a new version."""

    __tablename__ = "report_run"
    id: int | None = Field(default=None, primary_key=True)
    tipo: str = Field(max_length=20)
    """`conferenza`, `osservatorio` or `direzione`."""
    periodo: str = Field(max_length=20)
    versione: int
    creato_il: NaiveDatetime
    cartella: str
    """Archive folder: <data_dir>/report/<tipo>/<periodo>/v<versione>/."""
    files: str
    """JSON list of {"nome", "sha256", "byte"}."""
    destinatari: str | None = None
    """JSON list of the addresses the report was sent to."""
    consegna: str = Field(default="non_richiesta", max_length=16)
    """`non_richiesta`, `in_corso`, `consegnata` or `fallita`."""
    tentativi: int = 0
    consegnato_il: NaiveDatetime | None = None
    errore: str | None = None

    __table_args__ = (Index("uq_report_run_versione", "tipo", "periodo", "versione",
                            unique=True),)


class JobLock(SQLModel, table=True):
    """One row per scheduled job (servizio.scheduled): the last fire time claimed and a lease,
    so that two scheduler processes on the same database never both run a job."""

    __tablename__ = "job_lock"
    job_id: str = Field(primary_key=True, max_length=40)
    ultimo_scatto: NaiveDatetime | None = None
    """The fire time (local, naive) of the last run claimed by any process."""
    preso_da: str | None = Field(default=None, max_length=80)
    scade_il: NaiveDatetime | None = None
    """Lease: while in the future the job is running somewhere."""
    esito: str | None = Field(default=None, max_length=12)
    finito_il: NaiveDatetime | None = None


class Segnalazione(SQLModel, table=True):
    """A citizen's report or complaint to the Ufficio di Pubblica Tutela (Carta §3.3,
    Allegato 1 "Regolamento di Pubblica Tutela"): the pseudonymous part only. Who the citizen
    is and how to reach them lives in `segnalazione_contatto`, which only the UPT reads.

    The step dates are the current truth of the procedure (the deadlines are computed from
    them, registro.tutela.regole); `segnalazione_passo` keeps who recorded each step and why.
    """

    id: int | None = Field(default=None, primary_key=True)
    canale: str = Field(max_length=12)
    """lettera, modulo, telefono, fax, colloquio or email (Art. 2; email added)."""
    tipo: str = Field(max_length=12)
    """disfunzione, suggerimento or reclamo (Allegato 2)."""
    oggetto: str
    servizio: str | None = Field(default=None, max_length=80)
    """The service concerned: the semestral report counts by it."""
    ricevuta_il: date = Field(index=True)
    ricevuta_da: str = Field(max_length=80)
    data_conoscenza: date | None = None
    """When the citizen learned of the act complained of: Art. 3's 15 days run from it."""
    id_prenotazione: str | None = Field(default=None, max_length=64, index=True)
    id_ricovero: str | None = Field(default=None, max_length=64)
    id_sanzione: int | None = Field(default=None, index=True)
    contesta_sanzione: bool = False
    """This report holds the sanction in `contestato`: its outcome moves the sanction."""
    stato: str = Field(default="ricevuta", max_length=24)
    esito: str | None = Field(default=None, max_length=24)
    esito_riesame: str | None = Field(default=None, max_length=24)
    presentata_da: str = Field(default="utente", max_length=12, sa_column_kwargs={
        "server_default": text("'utente'")})
    """utente, parente, associazione (Art. 1: "organismi di volontariato o di tutela") or
    d_ufficio (the UPT on its own initiative, seeds/000)."""
    urgente: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    """Art. 4 "nei tempi rapportati all'urgenza del caso": the shorter transmission term."""
    esito_commissione: str | None = Field(default=None, max_length=24)
    commissione_il: date | None = None
    """Deferred to the Commissione Mista Conciliativa (Art. 7 d, Art. 8, Carta §3.3 B)."""
    commissione_conclusa_il: date | None = None
    risolta_il: date | None = None
    trasmessa_il: date | None = None
    servizi_informati_il: date | None = None
    informazioni_ricevute_il: date | None = None
    risposta_il: date | None = None
    riesame_il: date | None = None
    riesame_concluso_il: date | None = None
    registrata_il: NaiveDatetime
    aggiornata_il: NaiveDatetime


class SegnalazioneContatto(SQLModel, table=True):
    """The citizen's contact for one segnalazione (Art. 2: "acquisizione dei dati per le
    comunicazioni di merito"), apart from the register: only the UPT's paths read it, and
    no report, list, audit row or log line carries it."""

    __tablename__ = "segnalazione_contatto"
    segnalazione_id: int = Field(primary_key=True)
    nome: str | None = Field(default=None, max_length=200)
    indirizzo: str | None = Field(default=None, max_length=300)
    telefono: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)


class SegnalazionePasso(SQLModel, table=True):
    """One step of a segnalazione, as recorded: never edited."""

    __tablename__ = "segnalazione_passo"
    id: int | None = Field(default=None, primary_key=True)
    segnalazione_id: int = Field(index=True)
    passo: str = Field(max_length=24)
    data: date
    esito: str | None = Field(default=None, max_length=24)
    nota: str | None = None
    autore: str = Field(max_length=80)
    registrato_il: NaiveDatetime
    sanzione_stato: str | None = Field(default=None, max_length=12)
    """The state this step moved the contested sanction to, if it moved it."""


class Verifica(SQLModel, table=True):
    """The last `registro check` (one row): its reference date, the fingerprint of what the
    derivation reads besides the bookings (settings, profile, catalog: `firma`) and the
    register's impronta its columnar mirror carries. The next check re-derives only the
    delta when these still hold (registro.check_incrementale)."""

    id: int = Field(default=1, primary_key=True)
    riferimento: date
    firma: str = Field(max_length=64)
    impronta: str = Field(max_length=64)
    copia_sha256: str | None = Field(default=None, max_length=64)
    """The SHA-256 of the mirror file this check wrote: the next check trusts that very
    file only (a reader that rebuilt the mirror meanwhile, even under the same impronta,
    makes it a full check)."""
    completata_il: NaiveDatetime
