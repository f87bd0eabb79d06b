"""The register read back as frames: the bookings and the planned-admission list with the
columns the rules, the statistics, the site, the reports and the API read. One place, so
that every consumer reads the same columns with the same types, and none has to climb into
the check to read."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from registro import db
from registro.ordine import STATI_IN_AGENDA

SCHEMA_LETTURA: dict[str, pl.DataType] = {
    "id_prenotazione": pl.String(),
    "data_prescrizione": pl.Date(),
    "data_prenotazione": pl.Datetime("us"),
    "data_appuntamento": pl.Datetime("us"),
    "codice_prestazione": pl.String(),
    "codice_sede": pl.String(),
    "classe_priorita": pl.String(),
    "tipo_accesso": pl.String(),
    "scelta_utente": pl.Boolean(),
    "stato": pl.String(),
    "data_disdetta": pl.Datetime("us"),
    "causale_annullamento": pl.String(),
    "esito_annullamento": pl.String(),
    "importo_ticket_cent": pl.Int64(),
    "quota_ordinaria_cent": pl.Int64(),
    "forza_maggiore": pl.Boolean(),
    "data_ritiro_referto": pl.Date(),
    "ritiro_referto_tracciato": pl.Boolean(),
    "tipo": pl.String(),
    "periodica": pl.Boolean(),
    "tariffa_cent": pl.Int64(),
    "fuori_ordine": pl.Int64(),
}
"""`fuori_ordine` is the count the last `registro check` recorded (Carta §5.1): it needs the
whole agenda, so the statistics and the lists read it rather than count again."""
CATALOGO_LETTO = ("tipo", "periodica", "tariffa_cent")
"""The catalog's columns read with each booking."""

SCHEMA_RICOVERI: dict[str, pl.DataType] = {
    "id_ricovero": pl.String(), "data_inserimento": pl.Datetime("us"),
    "codice_reparto": pl.String(), "codice_patologia": pl.String(),
    "classe_priorita": pl.String(), "stato": pl.String(), "data_ricovero": pl.Datetime("us"),
    "data_cancellazione": pl.Datetime("us"),
}

def leggi_prenotazioni(engine: Engine, dove: str = "", *, conn: object = None
                       ) -> pl.DataFrame:
    """The current bookings with their catalog type (the columns the rules need);
    `dove` an SQL condition on `p`, for one pass of the check; `conn` the check's own
    connection, when read under its lock."""
    cols = ", ".join(f"p.{c}" for c in SCHEMA_LETTURA if c not in CATALOGO_LETTO)
    cat = ", ".join(f"c.{c}" for c in CATALOGO_LETTO)
    return db.read_frame(
        engine,
        f"SELECT {cols}, {cat} FROM prenotazione p "
        "JOIN prestazione c ON c.codice = p.codice_prestazione"
        + (f" WHERE {dove}" if dove else ""),
        SCHEMA_LETTURA, conn=conn)


SCHEMA_AGENDA: dict[str, pl.DataType] = {
    c: SCHEMA_LETTURA[c] for c in (
        "id_prenotazione", "codice_prestazione", "codice_sede", "classe_priorita",
        "tipo_accesso", "scelta_utente", "stato", "data_prenotazione", "data_appuntamento",
        "tipo", "periodica")}
"""The columns the chronological order of the specialist lists reads for every booking
(its place on the agenda and whether it is in guarantee): a fraction of a full read."""


def leggi_agenda(engine: Engine, *, conn: object = None) -> pl.DataFrame:
    """The place on its agenda (SCHEMA_AGENDA) of every booking the chronological order can
    apply to, in one read: the order is a property of the whole agenda of a service at a
    site, not of one pass of the check.

    Only the rows `in_agenda` could keep come back (a state on the agenda, first access, not
    the citizen's own choice: a third of the register is neither), and the catalog is
    joined here rather than by the database, row by row; together they take about a third
    off the read at 5 M bookings. It is a pre-filter only: `garanzia` and `in_agenda` still
    decide on the columns read."""
    stati = ", ".join(f"'{s}'" for s in STATI_IN_AGENDA)
    prenotazioni = {c: t for c, t in SCHEMA_AGENDA.items() if c not in CATALOGO_LETTO}
    righe = db.read_frame(
        engine,
        f"SELECT {', '.join(prenotazioni)} FROM prenotazione "
        f"WHERE stato IN ({stati}) AND COALESCE(tipo_accesso, 'primo') = 'primo' "
        "AND (scelta_utente IS NULL OR NOT scelta_utente)",
        prenotazioni, conn=conn)
    catalogo = {"codice_prestazione": pl.String(),
                **{c: t for c, t in SCHEMA_AGENDA.items() if c in CATALOGO_LETTO}}
    tipi = db.read_frame(
        engine, "SELECT codice AS codice_prestazione, "
        + ", ".join(c for c in catalogo if c in CATALOGO_LETTO) + " FROM prestazione",
        catalogo, conn=conn)
    return righe.join(tipi, on="codice_prestazione", how="inner", maintain_order="left"
                      ).select(list(SCHEMA_AGENDA))


def leggi_ricoveri(engine: Engine, *, conn: object = None) -> pl.DataFrame:
    return db.read_frame(engine, f"SELECT {', '.join(SCHEMA_RICOVERI)} FROM ricovero",
                         SCHEMA_RICOVERI, conn=conn)
