"""Settings: environment (REGISTRO_*), an optional TOML file, then explicit overrides.

Built by `load_settings()` and passed in; nothing reads the environment at import time,
so tests pass overrides instead of patching the process.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRO_", extra="forbid")

    db_url: str = "sqlite:///registro.db"
    data_dir: Path = Path("registro_dati")
    """Archive of ingested files, rejects CSVs, pseudonymisation key. When not given, a
    SQLite register keeps it beside its file (`demo/registro.db` -> `demo/registro_dati`):
    the key belongs to the register, and a command run from another folder must find the
    same one. A PostgreSQL register has no file: set it (relative to the current folder
    otherwise)."""
    righe_per_lotto: int = Field(default=250_000, ge=1000)
    """Rows the ingest reads, validates and spills at a time: bounds its memory (≈ 1 GB
    at 250,000 whatever the file's size)."""
    importo_massimo: Decimal = Field(default=Decimal("10000.00"), gt=0,
                                     le=Decimal("20000000.00"), decimal_places=2)
    """Euro: a ticket, an ordinary quota or a catalog tariff above this is a rejected row
    (an export error, not money). The upper bound keeps every amount in cents inside the
    database's 32-bit integer columns and every sum far from wrapping."""
    righe_massime_file: int = Field(default=100_000_000, ge=1)
    """Rows a file may hold (CLI ingest): a larger file is refused before it is read."""
    mb_massimi_decompressi: int = Field(default=50_000, ge=1)
    """MB a file may expand to (Parquet: its uncompressed size; text: its size)."""
    check_righe_per_passo: int = Field(default=2_000_000, ge=1)
    """Bookings `registro check` reads and checks at a time (≈ 0.7 GB per million); also
    the largest register the incremental check takes whole (registro.check_incrementale)."""
    check_righe_per_passo_completo: int = Field(default=1_000_000, ge=1)
    """The full check's passes when smaller than `check_righe_per_passo`: at 5 M bookings
    its peak is ≈ 1.3 GB (the whole register's agenda, read once) plus ≈ 0.5 GB per million
    of a pass, so a million keeps it under 2 GB of RSS (2 M peaked at ≈ 2.4 GB) in the same
    time. Apart, so that the incremental check's limit stays where it was."""

    profilo: Literal["carta1995", "pngla"] = "carta1995"
    standard_locali: Path | None = None
    """TOML file of local targets (see registro.standards)."""

    regime_sanzioni: Literal["carta1995", "dl73"] = "carta1995"
    bonum: str = "25.82"
    """Euro; the Carta's L. 50.000 at 1936,27 L/€."""
    malum: str = "25.82"
    preavviso_ore: int = 48
    causali_esenti: list[str] = Field(default_factory=lambda: ["emergenza"])
    sabato_lavorativo: bool = False
    """dl73 working days: is Saturday one?"""
    patrono: str | None = None
    """Local patron saint's day as MM-DD (e.g. '12-07' for Milano), not a working day."""
    ticket_massimo: Decimal = Field(default=Decimal("36.15"), ge=0,
                                    le=Decimal("20000000.00"), decimal_places=2)
    """Euro: the most a citizen pays as ticket for one service (the tariff up to this), shown
    beside the full tariff in the register (Carta §5.1: "a tariffa intera, per ticket
    proporzionale o per quota fissa")."""
    quota_fissa_ricetta: Decimal = Field(default=Decimal("0"), ge=0,
                                         le=Decimal("20000000.00"), decimal_places=2)
    """Euro: the regional fixed quota per prescription (ricetta), paid on top of the ticket
    where the region sets one; 0 (the default) is not shown."""
    termine_ritiro_referto_giorni: int = Field(default=30, ge=0)
    """Days from the service within which the citizen collects the report; after them the
    full tariff is owed (Carta §5.6, L. 412/1991 art. 4 c. 18: 30 days)."""

    chiave_pseudonimi: str | None = None
    """HMAC key for codici fiscali found in id_assistito; if unset, one is generated once
    into data_dir/chiave_pseudonimi and kept there."""

    giorni_in_scadenza: int = 14
    """Monitoring list: a waiting admission this close to its maximum is `in_scadenza`."""
    soglia_pubblicazione: int = 5

    ente: str = "ASL di esempio"
    codice_ente: str = Field(default="", pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$")
    """The authority's code where a path needs one: the `ente=` partition of the columnar
    mirror (registro.colonnare), which a region reads together with other authorities'.
    Letters, digits, `_ . -`; set it to the regional code (e.g. `080101`). Unset: derived
    from `ente` (lower case, other characters as `-`: `asl-di-esempio`)."""

    # Public site (public_site.build): the links every PA site carries, and how to reach the
    # Ufficio di Pubblica Tutela. Unset links are left out of the footer and reported.
    url_dichiarazione_accessibilita: str | None = None
    url_privacy: str | None = None
    url_note_legali: str | None = None
    upt_telefono: str | None = None
    upt_email: str | None = None
    upt_indirizzo: str | None = None
    upt_orari: str | None = None
    cup_telefono: str | None = None
    """The CUP's booking line, on "I tuoi diritti": whom to call when the date offered is
    beyond the target."""
    cup_orari: str | None = None
    accessibilita_email: str | None = None
    """Where a citizen reports an accessibility problem (the generated statement's feedback
    mechanism, used when `url_dichiarazione_accessibilita` is unset)."""
    accessibilita_verificata_il: date | None = None
    """Date of the last accessibility check of the site, shown in the generated statement."""
    accessibilita_stato: Literal["conforme", "parzialmente conforme", "non conforme"] = \
        "parzialmente conforme"
    """The compliance status the authority declares (AgID model statement)."""

    # --- pubblica tutela (registro.tutela): Allegato 1 "Regolamento di Pubblica Tutela" ---
    tutela_giorni_trasmissione: int = Field(default=3, ge=0)
    """Art. 4: a report not resolved at once goes to the Direzione within these days."""
    termine_trasmissione_urgente_giorni: int = Field(default=1, ge=0)
    """Art. 4 "o comunque nei tempi rapportati all'urgenza del caso": the transmission term
    of a segnalazione marked `urgente` (never longer than the ordinary one)."""
    tutela_giorni_informazione_servizi: int = Field(default=3, ge=0)
    """Art. 5: the heads of the services are informed in the following days."""
    tutela_giorni_risposta_servizi: int = Field(default=7, ge=0)
    """Art. 5: the services send back what the reply needs within these days."""
    tutela_giorni_risposta: int = Field(default=30, ge=0)
    """The reply letter, counted from receipt. The regolamento asks only for a "tempestiva
    risposta" (Art. 6-7) and names L. 241/1990 (Art. 7), whose art. 2 gives 30 days when no
    other term is set."""
    tutela_giorni_ritardo_segnalazione: int = Field(default=15, ge=0)
    """Art. 3: reports filed later than this after the citizen learned of the act are
    flagged (never refused)."""
    tutela_calendario: Literal["solari", "lavorativi"] = "solari"
    """How the tutela days are counted: calendar days, or working days (registro.festivi,
    with `sabato_lavorativo` and `patrono`)."""

    # --- internal API (registro serve) ---
    api_max_upload_mb: int = Field(default=200, ge=1)
    """POST /ingest: uploads larger than this (MB, whole request body) are refused with 413."""
    api_righe_massime_file: int = Field(default=2_000_000, ge=1)
    """POST /ingest: rows an uploaded file may hold (413 beyond): the upload limit counts
    compressed bytes, and 0.73 MB of Parquet once expanded to a million rows."""
    api_mb_massimi_decompressi: int = Field(default=2_000, ge=1)
    """POST /ingest: MB an uploaded file may expand to (413 beyond)."""

    # --- console (servizio.console, served by registro serve under /console) ---
    console_https: bool = False
    """The console is reached over HTTPS (directly or behind a proxy): the session cookie
    gets `Secure`. Leave false only for a console on 127.0.0.1."""
    console_timeout_minuti: int = Field(default=30, ge=1)
    """A console session unused for this long ends; the person logs in again."""
    console_blocco_minuti: int = Field(default=15, ge=1)
    """After 10 wrong passwords for one name within a minute, that name's logins are refused
    for this long, without checking the password."""

    # --- scheduled reports, delivery and scheduler (reports/, servizio.scheduled) ---
    smtp_host: str | None = None
    """SMTP server for the reports; unset: reports are archived, not sent."""
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_mittente: str = "registro@localhost"
    smtp_timeout_secondi: float = Field(default=30.0, gt=0)
    smtp_tentativi: int = Field(default=4, ge=1)
    """Delivery attempts before the run is recorded as failed."""
    smtp_attesa_secondi: float = Field(default=60.0, ge=0)
    """Wait before the 2nd attempt; doubled at each further one."""
    destinatari_conferenza: list[str] = Field(default_factory=list)
    destinatari_osservatorio: list[str] = Field(default_factory=list)
    destinatari_direzione: list[str] = Field(default_factory=list)
    scheduler_fuso: str = "Europe/Rome"
    """Time zone of the scheduler's calendar."""
    scheduler_inbox_minuti: int = Field(default=5, ge=1)
    scheduler_lease_minuti: int = Field(default=180, ge=1)
    """A job's lock expires after this long (a crashed process frees it)."""
    sito_out: Path | None = None
    """Where the nightly job builds the public site (default: <data_dir>/sito)."""

    @model_validator(mode="after")
    def _dati_accanto_al_registro(self) -> Settings:
        if "data_dir" not in self.model_fields_set:
            file = file_del_registro(self.db_url)
            if file is not None:
                self.data_dir = file.parent / f"{file.stem}_dati"
        if not self.codice_ente:
            self.codice_ente = codice_da_nome(self.ente)
        return self


def codice_da_nome(ente: str) -> str:
    """A path-safe code from the authority's display name (accents dropped)."""
    ascii_ = unicodedata.normalize("NFKD", ente).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:64].strip("-") or "ente"


def file_del_registro(db_url: str) -> Path | None:
    """The SQLite file of a register URL (None for PostgreSQL or memory). Read from the text:
    SQLAlchemy is not imported for it (start-up time of every command)."""
    trovato = _SQLITE.match(db_url)
    if trovato is None or trovato.group(1) in ("", ":memory:"):
        return None
    return Path(trovato.group(1))


_SQLITE = re.compile(r"^sqlite(?:\+\w+)?:///([^?]*)")


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Environment < TOML file (`REGISTRO_CONFIG` or `config`) < explicit overrides."""
    path = config or (Path(os.environ["REGISTRO_CONFIG"]) if "REGISTRO_CONFIG" in os.environ
                      else None)
    values: dict[str, Any] = {}
    if path is not None:
        with open(path, "rb") as fh:
            values.update(tomllib.load(fh))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
