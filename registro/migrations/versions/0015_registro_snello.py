"""registro snello: la storia tiene solo le versioni superate

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 16:30:00.000000

Until now `prenotazione_storia` and `ricovero_storia` held every version, the current one
too, so every booking was stored twice (a third of the register's bytes). From here the
current version lives only in the register's row and the history keeps the versions it
superseded; readers (registro.schede) list the two together. The upgrade deletes the history
rows equal to their current version; the downgrade puts them back. On SQLite the freed pages
are reused by later loads; `VACUUM` gives them back to the file system.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The content of a version (cup.ingest.contenuto) when this revision was written: every
# column the export gives but the key.
_REGISTRI = (
    ("prenotazione", "prenotazione_storia", "id_prenotazione", (
        "data_prescrizione", "data_prenotazione", "data_appuntamento", "codice_prestazione",
        "codice_sede", "classe_priorita", "tipo_accesso", "scelta_utente", "stato",
        "data_disdetta", "causale_annullamento", "esito_annullamento", "importo_ticket_cent",
        "quota_ordinaria_cent", "forza_maggiore", "data_ritiro_referto", "id_assistito",
        "aggiornato_il", "ritiro_referto_tracciato")),
    ("ricovero", "ricovero_storia", "id_ricovero", (
        "data_inserimento", "codice_reparto", "codice_patologia", "descrizione_patologia",
        "classe_priorita", "stato", "data_ricovero", "data_cancellazione", "id_assistito",
        "aggiornato_il")),
)


def _uguali(a: str, b: str, colonne: Sequence[str]) -> str:
    uguale = "IS" if op.get_bind().dialect.name == "sqlite" else "IS NOT DISTINCT FROM"
    return " AND ".join(f"{a}.{c} {uguale} {b}.{c}" for c in colonne)


def upgrade() -> None:
    for tabella, storia, chiave, contenuto in _REGISTRI:
        op.execute(f"""
            DELETE FROM {storia} WHERE EXISTS (
              SELECT 1 FROM {tabella} p WHERE p.{chiave} = {storia}.{chiave}
              AND {_uguali("p", storia, contenuto)})""")


def downgrade() -> None:
    for tabella, storia, chiave, contenuto in _REGISTRI:
        colonne = ", ".join((chiave, *contenuto, "versione_il", "ingest_run_id"))
        p_colonne = ", ".join(f"p.{c}" for c in (chiave, *contenuto, "versione_il",
                                                  "ingest_run_id"))
        op.execute(f"""
            INSERT INTO {storia} ({colonne})
            SELECT {p_colonne} FROM {tabella} p WHERE NOT EXISTS (
              SELECT 1 FROM {storia} h WHERE h.{chiave} = p.{chiave}
              AND {_uguali("h", "p", contenuto)})""")
