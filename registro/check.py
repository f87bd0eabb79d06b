"""`registro check`: derive waits, guarantee, targets and breaches, then issue sanctions.

The reference date (`--al`, default today) says what has happened and whether waits and
terms have run out; the sanctions are issued, and dated, the day the check runs.

Set-based from end to end: the bookings are read as frames, the rules run vectorised, the
derived fields go back through a staging table and one UPDATE, and the sanctions due are
reconciled with the live ones (new ones issued, wrong ones annulled, nothing duplicated), all
in one transaction. Running it twice changes nothing the second time.

Every rule and every sanction concerns one booking, so a large register is checked in
*passi*: ranges of `id_prenotazione` of `check_righe_per_passo` bookings each, in the
database's own order, all in the same transaction under the same lock. Memory follows the
pass, not the register (a region-year of 50 M bookings would need ~35 GB read whole).

After a CUP delta the check is incremental when that is safe (registro.check_incrementale:
why, and when it falls back to this full check); `completo=True` asks for the full one.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime

import polars as pl
from sqlalchemy import Engine

from registro import blocco, check_incrementale, colonnare, db, istanti
from registro.letture import leggi_agenda, leggi_prenotazioni, leggi_ricoveri
from registro.ordine import (
    conta_fuori_ordine,
    derivati_ricoveri,
    fuori_ordine,
    fuori_ordine_prenotazioni,
    in_agenda,
)
from registro.rules import deriva, garanzia
from registro.sanzioni import RegimeSanzioni, riconcilia, sanzioni_dovute
from registro.settings import Settings
from registro.standards import Profilo, carica_profilo

SCHEMA_VIVE: dict[str, pl.DataType] = {
    "id": pl.Int64(), "id_prenotazione": pl.String(), "tipo": pl.String(),
    "importo_cent": pl.Int64(), "motivo": pl.String(),
}

MOTIVO_RICALCOLO = "prenotazione corretta dal CUP: sanzione ricalcolata"
"""The reason the check writes when it annuls a record itself. Any other annulment is a
person's decision (UPT, Direzione) and is final: the check never reissues that record."""

DERIVATI = ["attesa_giorni", "attesa_da_prescrizione", "standard_giorni", "in_garanzia",
            "entro_standard", "superamento", "percorso_tutela", "preferenziale",
            "fuori_ordine"]

DERIVATI_RICOVERI = ["attesa_giorni", "attesa_massima", "superamento", "fuori_ordine"]


@dataclass
class EsitoCheck:
    prenotazioni: int
    in_garanzia: int
    superamenti: int
    sanzioni_emesse: int
    sanzioni_annullate: int
    ricoveri: int = 0
    superamenti_ricoveri: int = 0
    fuori_ordine: int = 0
    stato_non_aggiornato: int = 0
    prenotazioni_fuori_ordine: int = 0
    incrementale: int = 0
    """1 when only the delta was re-derived (registro.check_incrementale), 0 for a full
    check; `ricalcolate` is how many bookings were derived and reconciled either way."""
    ricalcolate: int = 0
    """Bookings in guarantee that overtook at least one booked before them on the same
    agenda (Carta §5.1, the specialist lists in chronological order)."""
    """Bookings still `prenotata` after their appointment's day: the CUP has not said what
    happened. Reported (monitoring list `stato_non_aggiornato`), never sanctioned."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _letterale(valore: str) -> str:
    return "'" + valore.replace("'", "''") + "'"


def passi(engine: Engine, righe_per_passo: int, *, conn: object = None
          ) -> list[tuple[str | None, str | None]]:
    """Ranges [da, a) of id_prenotazione, `righe_per_passo` bookings each, cut in the
    database's own order (so its comparisons agree with the cuts, whatever the collation);
    a single open range when the register is small."""
    ids = db.read_frame(engine, "SELECT id_prenotazione FROM prenotazione "
                                "ORDER BY id_prenotazione", {"id_prenotazione": pl.String()},
                        conn=conn)
    if ids.height <= righe_per_passo:
        return [(None, None)]
    tagli = ids["id_prenotazione"].gather_every(righe_per_passo).to_list()[1:]
    estremi: list[str | None] = [None, *tagli, None]
    return list(itertools.pairwise(estremi))


def _condizione(colonna: str, da: str | None, a: str | None) -> str:
    parti = ([f"{colonna} >= {_letterale(da)}"] if da is not None else []) + (
        [f"{colonna} < {_letterale(a)}"] if a is not None else [])
    return " AND ".join(parti)


def scavalchi_prenotazioni(engine: Engine, profilo: Profilo, *, conn: object = None
                           ) -> pl.DataFrame:
    """id_prenotazione, n_scavalcati for the bookings that overtook at least one other on
    their agenda: computed once over the whole register (the passes cut agendas apart), then
    joined into each pass."""
    agenda = garanzia(leggi_agenda(engine, conn=conn).lazy(), profilo)
    return (fuori_ordine_prenotazioni(agenda).filter(pl.col("fuori_ordine") > 0)
            .rename({"fuori_ordine": "n_scavalcati"}))


def ricoveri_verificati(engine: Engine, settings: Settings, oggi: date, *, conn: object = None
                        ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The list entries with their derived fields as of `oggi`, and the overtaken pairs."""
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    lista = leggi_ricoveri(engine, conn=conn).lazy()
    coppie = fuori_ordine(lista)
    conteggi = conta_fuori_ordine(coppie)
    derivati = derivati_ricoveri(lista, profilo, oggi).join(
        conteggi.lazy(), on="id_ricovero", how="left", maintain_order="left",
    ).with_columns(
        fuori_ordine=pl.when(pl.col("stato") == "ricoverato")
        .then(pl.col("n_scavalcati").fill_null(0)).cast(pl.Int64),
    ).drop("n_scavalcati").collect()
    return derivati, coppie


def _aggiorna(conn: object, engine: Engine, tabella: str, chiave: str,
              frame: pl.DataFrame, campi: list[str], quando: datetime) -> None:
    """Write derived columns back: one staging table, one set-based UPDATE of the rows
    whose fields differ from those stored (null-safe), stamped `verificata_il`.

    Only the changed rows are written: on the nightly run, after a CUP delta, that is the
    delta and what it touched, not the year (rewriting every row cost the check about two
    thirds of its time at 1 M bookings, and as many pages to the disk). `verificata_il` is
    therefore the check that last derived a value for the row; the run log
    (`registro runs`) has every check's time.

    The staging tables of the check are TEMP, as the ingest's are: on SQLite a dropped
    table of the register's own file left its pages free in it (≈ 16–21 B per booking after
    a full check), on PostgreSQL they are not WAL-logged."""
    stage = f"stage_check_{tabella}"
    db.execute(conn, f"DROP TABLE IF EXISTS {stage}")
    db.write_frame(conn, stage, frame.select(chiave, *campi), engine, mode="create",
                   temporanea=True, come=tabella)
    db.execute(conn, f"CREATE INDEX ix_{stage} ON {stage} ({chiave})")
    diverso = "IS NOT" if db.is_sqlite(engine) else "IS DISTINCT FROM"
    sets = ", ".join(f"{c} = s.{c}" for c in campi)
    differenze = " OR ".join(f"{tabella}.{c} {diverso} s.{c}" for c in campi)
    # integer microseconds on SQLite for the bookings (`registro.istanti`): a text literal
    # in an integer column would sort after every other value
    istante = istanti.letterale(quando, sqlite=db.is_sqlite(engine), tabella=tabella)
    db.execute(conn, f"UPDATE {tabella} SET {sets}, verificata_il = {istante} FROM {stage} s "
                     f"WHERE {tabella}.{chiave} = s.{chiave} AND ({differenze} "
                     f"OR {tabella}.verificata_il IS NULL)")
    db.execute(conn, f"DROP TABLE {stage}")


def check(*, engine: Engine, settings: Settings, oggi: date | None = None,
          completo: bool = False) -> EsitoCheck:
    """Full when asked (`completo`) or when the incremental path is not safe."""
    profilo = carica_profilo(settings.profilo, settings.standard_locali)
    regime = RegimeSanzioni.from_settings(settings)
    oggi = oggi or date.today()
    adesso = datetime.now()
    esito = EsitoCheck(prenotazioni=0, in_garanzia=0, superamenti=0, sanzioni_emesse=0,
                       sanzioni_annullate=0)

    with db.adbc_connection(engine) as conn, colonnare.Scrittore(settings) as copia:
        # The lock first: what is read below cannot change until this transaction ends.
        blocco.prendi(conn, "check")
        copia.impronta = colonnare.impronta(engine, conn=conn)
        firma = check_incrementale.firma(engine, settings, profilo, regime, conn=conn)
        ultima = check_incrementale.ultima(engine, conn=conn)
        vecchio = None if completo else check_incrementale.base(
            engine, settings, ultima, firma, oggi)
        scrittura: _InParallelo | None = None
        if vecchio is not None and ultima is not None:
            scrittura = _incrementale(conn, engine, vecchio, ultima.riferimento, profilo,
                                      regime, settings, oggi, adesso, esito, copia)
            del vecchio
        else:
            _completo(conn, engine, profilo, regime, settings, oggi, adesso, esito, copia)
        try:
            # the incremental check's mirror is still being encoded: its digest is recorded
            # once it is done, after this commit (`check_incrementale.registra_copia`)
            check_incrementale.registra(conn, oggi, firma, copia.impronta, adesso,
                                        None if scrittura else copia.chiudi())
            ricoveri, _coppie = ricoveri_verificati(engine, settings, oggi, conn=conn)
            stage_ricoveri = ricoveri.with_columns(profilo=pl.lit(profilo.nome))
            _aggiorna(conn, engine, "ricovero", "id_ricovero", stage_ricoveri,
                      [*DERIVATI_RICOVERI, "profilo"], adesso)
            conn.commit()
        except BaseException:
            if scrittura is not None:
                scrittura.aspetta()  # not left writing into a build about to be removed
            raise
        if scrittura is None or _registra_copia(conn, engine, scrittura, copia, adesso):
            copia.conferma()

    esito.ricoveri = ricoveri.height
    esito.superamenti_ricoveri = int(ricoveri["superamento"].sum())
    esito.fuori_ordine = int((ricoveri["fuori_ordine"].fill_null(0) > 0).sum())
    return esito


def _completo(conn: object, engine: Engine, profilo: Profilo, regime: RegimeSanzioni,
              settings: Settings, oggi: date, adesso: datetime, esito: EsitoCheck,
              copia: colonnare.Scrittore) -> None:
    scavalchi = scavalchi_prenotazioni(engine, profilo, conn=conn)
    righe = min(settings.check_righe_per_passo, settings.check_righe_per_passo_completo)
    for da, a in passi(engine, righe, conn=conn):
        pren = leggi_prenotazioni(engine, _condizione("p.id_prenotazione", da, a),
                                  conn=conn)
        intervallo = _condizione("id_prenotazione", da, a)
        contati = _passo(conn, engine, pren, f" AND {intervallo}" if intervallo else "",
                         profilo, regime, settings, oggi, adesso, esito, scavalchi)
        # The bookings read under the lock are the register as of `impronta`: the
        # statistics, the site and the reports read this copy instead of the database
        # (with the overtakes just counted, as the database now has them).
        copia.aggiungi(pren.with_columns(fuori_ordine=contati))
        del pren
    esito.ricalcolate = esito.prenotazioni


def _incrementale(conn: object, engine: Engine, vecchio: colonnare.Letta, precedente: date,
                  profilo: Profilo, regime: RegimeSanzioni, settings: Settings, oggi: date,
                  adesso: datetime, esito: EsitoCheck, copia: colonnare.Scrittore
                  ) -> _InParallelo:
    """Only the delta and what it touched (registro.check_incrementale) through the same
    `_passo` as a full check; the summary's counts over the whole register; of the mirror,
    only the years the delta touched are written again, in a thread the caller waits for
    (returned)."""
    d = check_incrementale.delta(engine, vecchio.prenotazioni, profilo, regime, precedente,
                                 oggi, conn=conn)
    # The mirror is encoded (pyarrow, without the GIL) while the database does its part
    # (ADBC, without the GIL too) and commits: they overlap instead of adding up.
    scrittura = _InParallelo(copia.aggiorna, d.attuale, vecchio.radice, d.anni_toccati)
    try:
        _incrementale_database(conn, engine, d, profilo, regime, settings, oggi, adesso,
                               esito)
    except BaseException:
        scrittura.aspetta()  # not left writing into a build the check is about to remove
        raise
    return scrittura


def _registra_copia(conn: object, engine: Engine, scrittura: _InParallelo,
                    copia: colonnare.Scrittore, adesso: datetime) -> bool:
    """After the incremental check's commit: wait for its mirror, record the mirror's digest
    in a transaction of its own, and say whether to put the mirror in place.

    The commit (on SQLite: the WAL and its checkpoint, ≈ 0.3 s at 1 M after a nightly delta)
    overlaps the mirror's encoding (≈ 0.5 s) instead of waiting for it. The check's writes
    are committed by then: a mirror that fails now (or a crash before this record) leaves
    `verifica.copia_sha256` empty, and the next check is full; an error of the thread is
    still raised. Another check that committed in between has rewritten `verifica`: the
    record is not ours any more, this mirror is dropped and that check's stays."""
    scrittura.attendi()
    sha = copia.chiudi()
    if sha is None:
        return False
    nostro = check_incrementale.registra_copia(engine, conn, adesso, sha)
    conn.commit()  # type: ignore[attr-defined]
    return nostro


def _incrementale_database(conn: object, engine: Engine, d: check_incrementale.Delta,
                           profilo: Profilo, regime: RegimeSanzioni, settings: Settings,
                           oggi: date, adesso: datetime, esito: EsitoCheck) -> None:
    db.execute(conn, "DROP TABLE IF EXISTS stage_ricalcolo")
    db.write_frame(conn, "stage_ricalcolo", d.ricalcolo.select("id_prenotazione"), engine,
                   mode="create", temporanea=True)
    db.execute(conn, "CREATE INDEX ix_stage_ricalcolo ON stage_ricalcolo (id_prenotazione)")
    scavalchi = (d.ricalcolo.filter(pl.col("fuori_ordine") > 0)
                 .select("id_prenotazione", n_scavalcati=pl.col("fuori_ordine")))
    _passo(conn, engine, d.ricalcolo, " AND id_prenotazione IN "
           "(SELECT id_prenotazione FROM stage_ricalcolo)", profilo, regime, settings, oggi,
           adesso, esito, scavalchi)
    db.execute(conn, "DROP TABLE stage_ricalcolo")
    # the unchanged bookings whose count alone moved: that column only (and the stamp, as
    # `_passo` would give them), through the same null-safe UPDATE of the rows that differ
    if d.solo_ordine.height:
        _aggiorna(conn, engine, "prenotazione", "id_prenotazione", d.solo_ordine,
                  ["fuori_ordine"], adesso)
    esito.incrementale = 1
    esito.ricalcolate = d.ricalcolo.height + d.solo_ordine.height
    esito.prenotazioni = d.attuale.height
    for campo, valore in check_incrementale.totali(d.attuale, profilo).items():
        setattr(esito, campo, valore)
    esito.stato_non_aggiornato = int(d.attuale.select(
        stato_non_aggiornato(pl.lit(oggi)).sum()).item())


class _InParallelo:
    """`funzione(*argomenti)` in a thread of its own; `attendi()` waits for it and raises
    what it raised. Only for work that releases the GIL (Arrow, polars, the database
    drivers) and touches nothing the caller changes meanwhile."""

    def __init__(self, funzione: Callable[..., object], *argomenti: object) -> None:
        self._errore: BaseException | None = None

        def esegui() -> None:
            try:
                funzione(*argomenti)
            except BaseException as exc:  # re-raised in the caller's thread by attendi()
                self._errore = exc

        self._thread = threading.Thread(target=esegui, name="registro-copia", daemon=True)
        self._thread.start()

    def attendi(self) -> None:
        self._thread.join()
        if self._errore is not None:
            raise self._errore

    def aspetta(self) -> None:
        """Wait without raising: the caller is already failing with an error of its own."""
        self._thread.join()


def _passo(conn: object, engine: Engine, pren: pl.DataFrame, e_intervallo: str,
           profilo: Profilo, regime: RegimeSanzioni, settings: Settings, oggi: date,
           adesso: datetime, esito: EsitoCheck, scavalchi: pl.DataFrame) -> pl.Series:
    """A set of bookings: derived fields written back, sanctions reconciled;
    `e_intervallo` the SQL condition (" AND ...") that picks their sanctions, `scavalchi`
    their overtakes counted over their whole agendas (`scavalchi_prenotazioni`); returns
    `fuori_ordine`, in the order of `pren`."""
    esenti = [c.strip().lower() for c in settings.causali_esenti]
    derivati = deriva(pren.lazy(), profilo).with_columns(
        percorso_tutela=pl.lit(regime.regime == "dl73") & pl.col("superamento"),
        preferenziale=(pl.col("stato") == "annullata_ente")
        & (pl.col("esito_annullamento") == "riprogrammata")
        & ~pl.col("causale_annullamento").fill_null("").str.strip_chars()
        .str.to_lowercase().is_in(esenti),
    ).join(scavalchi.lazy(), on="id_prenotazione", how="left", maintain_order="left"
           ).with_columns(
        fuori_ordine=pl.when(in_agenda()).then(pl.col("n_scavalcati").fill_null(0))
        .cast(pl.Int64),
    ).drop("n_scavalcati").collect()

    dovute = sanzioni_dovute(pren.lazy(), regime, oggi).collect()
    vive = db.read_frame(
        engine,
        "SELECT id, id_prenotazione, tipo, importo_cent, motivo FROM sanzione "
        f"WHERE stato <> 'annullato'{e_intervallo}", SCHEMA_VIVE, conn=conn)
    decise = db.read_frame(
        engine,
        "SELECT DISTINCT id_prenotazione, tipo FROM sanzione WHERE stato = 'annullato' "
        f"AND (motivo_annullamento IS NULL OR motivo_annullamento <> '{MOTIVO_RICALCOLO}')"
        f"{e_intervallo}",
        {"id_prenotazione": pl.String(), "tipo": pl.String()}, conn=conn)
    dovute = dovute.join(decise, on=["id_prenotazione", "tipo"], how="anti")
    da_emettere, da_annullare = riconcilia(dovute, vive, pren["id_prenotazione"])

    stage = derivati.select(
        "id_prenotazione", *DERIVATI, pl.lit(profilo.nome).alias("profilo"))
    nuove = da_emettere.select(
        "id_prenotazione", "tipo", "importo_cent", pl.lit("emesso").alias("stato"),
        pl.lit(adesso.date()).alias("data_emissione"), "motivo")

    _aggiorna(conn, engine, "prenotazione", "id_prenotazione", stage,
              [*DERIVATI, "profilo"], adesso)
    if da_annullare.height:
        db.execute(conn, "DROP TABLE IF EXISTS stage_annulla")
        db.write_frame(conn, "stage_annulla", da_annullare.select("id"), engine,
                       mode="create", temporanea=True)
        quando = adesso.strftime("'%Y-%m-%d %H:%M:%S.%f'")
        db.execute(conn, f"""
            UPDATE sanzione SET stato = 'annullato', annullata_il = {quando},
              motivo_annullamento = '{MOTIVO_RICALCOLO}'
            WHERE id IN (SELECT id FROM stage_annulla)""")
        db.execute(conn, "DROP TABLE stage_annulla")
    db.write_frame(conn, "sanzione", nuove, engine)
    esito.prenotazioni += pren.height
    esito.in_garanzia += int(derivati["in_garanzia"].sum())
    esito.superamenti += int(derivati["superamento"].sum())
    esito.sanzioni_emesse += nuove.height
    esito.sanzioni_annullate += da_annullare.height
    esito.prenotazioni_fuori_ordine += int((derivati["fuori_ordine"].fill_null(0) > 0).sum())
    esito.stato_non_aggiornato += int(pren.select(
        stato_non_aggiornato(pl.lit(oggi)).sum()).item())
    return derivati["fuori_ordine"]


def stato_non_aggiornato(oggi: pl.Expr) -> pl.Expr:
    """A booking still `prenotata` whose appointment's day is before the reference date:
    nothing is issued for it (what happened is unknown), the Direzione is told."""
    return ((pl.col("stato") == "prenotata")
            & (pl.col("data_appuntamento").cast(pl.Date) < oggi)).fill_null(False)
