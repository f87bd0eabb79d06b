"""The incremental check leaves the register exactly as a full check would: after random CUP
deltas (new bookings, moved appointments, no-shows, timely and late cancellations, all in
the same agendas) and reference dates moving forward, a full check run right after finds
nothing to correct (no derived field rewritten, no sanction issued or annulled) and writes
the same mirror; a change of settings, a reference date moved back or a missing mirror
make the check full."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine
from supporto.colonnare import parti, specchio

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from cup.synthetic import genera_prenotazioni
from registro import colonnare, db
from registro.check import DERIVATI, EsitoCheck, check
from registro.settings import Settings

pytestmark = pytest.mark.postgres

TOTALI = ["prenotazioni", "in_garanzia", "superamenti", "stato_non_aggiornato",
          "prenotazioni_fuori_ordine"]


def _righe(engine: Engine) -> pl.DataFrame:
    return db.read_frame(
        engine, f"SELECT id_prenotazione, {', '.join(DERIVATI)}, verificata_il, profilo "
                "FROM prenotazione",
        {"id_prenotazione": pl.String(), **dict.fromkeys(DERIVATI, pl.String()),
         "verificata_il": pl.String(), "profilo": pl.String()}).sort("id_prenotazione")


def _sanzioni(engine: Engine) -> pl.DataFrame:
    return db.read_frame(
        engine, "SELECT id, id_prenotazione, tipo, importo_cent, stato, motivo_annullamento "
                "FROM sanzione",
        {"id": pl.Int64(), "id_prenotazione": pl.String(), "tipo": pl.String(),
         "importo_cent": pl.Int64(), "stato": pl.String(), "motivo_annullamento": pl.String()},
    ).sort("id")


def _specchio(settings: Settings) -> pl.DataFrame:
    return specchio(settings).sort("id_prenotazione")


def _data(colonna: str, giorni: pl.Expr | int) -> pl.Expr:
    return (pl.col(colonna).str.to_datetime() + pl.duration(days=giorni)
            ).dt.strftime("%Y-%m-%dT%H:%M")


def _delta(export: pl.DataFrame, rng: np.random.Generator, giro: int) -> pl.DataFrame:
    """New bookings in the same agendas, appointments moved (in time, to another site),
    no-shows, cancellations timely and late: each a newer version than the register's."""
    quando = pl.lit(f"2026-02-{giro + 1:02d}T08:00")
    righe = export.height
    nuove = export[rng.choice(righe, 25, replace=False).tolist()].with_columns(
        id_prenotazione=pl.lit(f"N{giro}-") + pl.col("id_prenotazione"),
        data_prenotazione=_data("data_prenotazione", int(rng.integers(1, 20))),
        data_appuntamento=_data("data_appuntamento", int(rng.integers(-10, 10))),
        data_ritiro_referto=pl.lit(None, dtype=pl.String), aggiornato_il=quando)
    nuove = nuove.with_columns(data_appuntamento=pl.max_horizontal(
        "data_appuntamento", _data("data_prenotazione", 1)))
    spostate = export[rng.choice(righe, 20, replace=False).tolist()].with_columns(
        data_appuntamento=_data("data_appuntamento", int(rng.integers(-15, 40))),
        data_ritiro_referto=pl.lit(None, dtype=pl.String), aggiornato_il=quando)
    # and some from the busiest agendas to another site: their old agenda's order changes
    piene = export.group_by("codice_prestazione", "codice_sede").len().sort(
        "len", "codice_prestazione", "codice_sede", descending=True).head(3)
    da_piene = export.join(piene, on=["codice_prestazione", "codice_sede"], how="semi")
    sedi = sorted(export["codice_sede"].unique().drop_nulls())
    traslocate = da_piene[rng.choice(da_piene.height, 12, replace=False).tolist()].with_columns(
        codice_sede=pl.Series(rng.choice(sedi, 12)), aggiornato_il=quando)
    spostate = pl.concat([
        spostate.with_columns(data_appuntamento=pl.max_horizontal(
            "data_appuntamento", _data("data_prenotazione", 1))),
        traslocate]).unique("id_prenotazione", keep="first", maintain_order=True)
    prenotate = export.filter(pl.col("stato") == "prenotata")
    scelte = prenotate[rng.choice(prenotate.height, min(30, prenotate.height),
                                  replace=False).tolist()]
    cambio = pl.Series(rng.choice(["non_presentato", "tempestiva", "tardiva"], scelte.height))
    cambiate = scelte.with_columns(
        stato=pl.when(cambio == "non_presentato").then(pl.lit("non_presentato"))
        .otherwise(pl.lit("disdetta_utente")),
        data_disdetta=pl.when(cambio == "tempestiva").then(_data("data_appuntamento", -5))
        .when(cambio == "tardiva").then(_data("data_appuntamento", 0)),
        data_ritiro_referto=pl.lit(None, dtype=pl.String), aggiornato_il=quando)
    ids_cambiate = cambiate["id_prenotazione"].implode()
    spostate = spostate.filter(~pl.col("id_prenotazione").is_in(ids_cambiate))
    return pl.concat([nuove, spostate, cambiate])


def _uguale_a_una_completa(engine: Engine, settings: Settings, oggi: date,
                           incrementale: EsitoCheck) -> None:
    righe, sanzioni, specchio = _righe(engine), _sanzioni(engine), _specchio(settings)
    assert righe["verificata_il"].null_count() == 0
    completa = check(engine=engine, settings=settings, oggi=oggi, completo=True)
    assert completa.incrementale == 0
    assert (completa.sanzioni_emesse, completa.sanzioni_annullate) == (0, 0)
    assert _righe(engine).equals(righe)      # nothing to correct, nothing rewritten
    assert _sanzioni(engine).equals(sanzioni)
    assert _specchio(settings).equals(specchio)
    for campo in TOTALI:
        assert getattr(incrementale, campo) == getattr(completa, campo), campo


@pytest.mark.parametrize("seme", [3, 11])
def test_incremental_check_equals_a_full_check(engine: Engine, settings: Settings,
                                               tmp_path: Path, seme: int) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(1200, seed=seme)
    export.write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    primo = check(engine=engine, settings=settings, oggi=date(2025, 6, 30))
    assert primo.incrementale == 0  # no previous check recorded

    rng = np.random.default_rng(seme)
    riferimenti = [date(2025, 7, 31), date(2025, 9, 15), date(2025, 9, 15), date(2026, 1, 31)]
    emesse = annullate = 0
    for giro, oggi in enumerate(riferimenti):
        delta = _delta(export, rng, giro)
        delta.write_csv(tmp_path / f"delta{giro}.csv", null_value="")
        caricato = ingest(tmp_path / f"delta{giro}.csv", engine=engine, settings=settings)
        assert caricato.scartate == 0, caricato
        esito = check(engine=engine, settings=settings, oggi=oggi)
        assert esito.incrementale == 1
        assert 0 < esito.ricalcolate < esito.prenotazioni
        emesse += esito.sanzioni_emesse
        annullate += esito.sanzioni_annullate
        _uguale_a_una_completa(engine, settings, oggi, esito)
    assert emesse > 0 and annullate > 0  # the deltas did reach the sanctions


def test_what_forces_a_full_check(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(600, seed=7)
    export.write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    assert check(engine=engine, settings=settings, oggi=date(2025, 12, 31)).incrementale == 1

    # another malum: every no-show's record is reissued, by a full check
    altra = settings.model_copy(update={"malum": "30.00"})
    esito = check(engine=engine, settings=altra, oggi=date(2025, 12, 31))
    assert esito.incrementale == 0 and esito.sanzioni_emesse > 0
    assert check(engine=engine, settings=altra, oggi=date(2025, 12, 31)).incrementale == 1

    # a register larger than one pass of the full check: full, by passes (bounded memory)
    a_passi = altra.model_copy(update={"check_righe_per_passo": 1000})
    assert check(engine=engine, settings=a_passi, oggi=date(2025, 12, 31)).incrementale == 1
    a_passi = altra.model_copy(update={"check_righe_per_passo": 599})
    assert check(engine=engine, settings=a_passi, oggi=date(2025, 12, 31)).incrementale == 0

    # a reference date moved back, a mirror gone, or asked for: full
    assert check(engine=engine, settings=altra, oggi=date(2025, 11, 30)).incrementale == 0
    shutil.rmtree(colonnare.cartella(altra))
    assert check(engine=engine, settings=altra, oggi=date(2025, 12, 31)).incrementale == 0
    assert check(engine=engine, settings=altra, oggi=date(2025, 12, 31),
                 completo=True).incrementale == 0


def test_a_mirror_rewritten_since_the_last_check_is_not_trusted(
        engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """A reader that read the database while a check was running rebuilds the mirror with
    the values from before that check, under the same impronta: the next check must not take
    it for the register as of the last check (`verifica.copia_sha256`)."""
    import pyarrow.parquet as pq

    importa_catalogo(catalogo_nazionale(), engine=engine)
    genera_prenotazioni(600, seed=3).write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    assert check(engine=engine, settings=settings, oggi=date(2025, 12, 31)).incrementale == 1

    path = parti(settings)[-1]
    tabella = pq.ParquetFile(path).read()
    stantia = pl.from_arrow(tabella).with_columns(fuori_ordine=pl.lit(0, dtype=pl.Int64))
    assert isinstance(stantia, pl.DataFrame)
    pq.write_table(stantia.to_arrow().cast(tabella.schema), path)
    # same impronta, same list of files: a reader would take it
    assert pq.read_schema(path).metadata[colonnare.CHIAVE_METADATI.encode()]
    assert pq.read_schema(path).metadata[colonnare.CHIAVE_PARTI.encode()]
    esito = check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    assert esito.incrementale == 0
    assert check(engine=engine, settings=settings, oggi=date(2025, 12, 31)).incrementale == 1


def _corpo(path: Path) -> bytes:
    """A Parquet file's data pages: all but the footer, its length and the magic."""
    dati = path.read_bytes()
    return dati[:len(dati) - 8 - int.from_bytes(dati[-8:-4], "little")]


def test_only_the_years_the_delta_touched_are_written_again(
        engine: Engine, settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The mirror is updated, not rewritten: a delta of bookings made in 2025 leaves the
    2024 partition's data pages as they were (only its footer is new: this impronta, this
    list of files), and the mirror is still the one a full check writes, read by the
    statistics as it is and trusted by the next check."""
    import pyarrow.parquet as pq

    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = pl.concat([genera_prenotazioni(500, seed=5, anno=2024, primo=10_001),
                        genera_prenotazioni(700, seed=6, anno=2025)])
    export.write_csv(tmp_path / "anni.csv", null_value="")
    ingest(tmp_path / "anni.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 6, 30))
    prima = {p.parent.name: p for p in parti(settings)}
    assert sorted(prima) == ["anno=2024", "anno=2025"]
    corpo_2024 = _corpo(prima["anno=2024"])

    nel_2025 = export.filter(pl.col("data_prenotazione").str.starts_with("2025"))
    delta = _delta(nel_2025, np.random.default_rng(1), 0).filter(
        pl.col("data_prenotazione").str.starts_with("2025"))
    delta.write_csv(tmp_path / "delta.csv", null_value="")
    ingest(tmp_path / "delta.csv", engine=engine, settings=settings)

    import registro.colonnare as modulo

    rinnovati: list[str] = []
    originale = modulo._rinnova_piede

    def spia(origine: Path, dest: Path, metadati: dict[str, str]) -> None:
        rinnovati.append(dest.parent.name)
        originale(origine, dest, metadati)

    monkeypatch.setattr(modulo, "_rinnova_piede", spia)
    esito = check(engine=engine, settings=settings, oggi=date(2025, 7, 31))
    assert esito.incrementale == 1
    dopo = {p.parent.name: p for p in parti(settings)}
    assert rinnovati == ["anno=2024"]
    assert _corpo(dopo["anno=2024"]) == corpo_2024
    metadati = pq.read_metadata(dopo["anno=2024"]).metadata
    assert metadati[colonnare.CHIAVE_METADATI.encode()] == colonnare.impronta(engine).encode()
    # the statistics read it as it is (no rebuild)
    versione = os.readlink(colonnare.percorso(settings))
    assert colonnare.prenotazioni(engine, settings).collect().height == esito.prenotazioni
    assert os.readlink(colonnare.percorso(settings)) == versione
    # the next check trusts it (the digest recorded is that of the dataset as updated)
    monkeypatch.setattr(modulo, "_rinnova_piede", originale)
    assert check(engine=engine, settings=settings, oggi=date(2025, 7, 31)).incrementale == 1
    _uguale_a_una_completa(engine, settings, date(2025, 7, 31), esito)


def test_bookings_whose_count_alone_moved_are_not_derived_again(
        engine: Engine, settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged booking outside the sanctions' window whose `fuori_ordine` moved (a
    delta booking in its agenda overtook it, or stopped doing so) gets only its count
    written: it goes neither through the derivation nor through the reconciliation of the
    sanctions (`Delta.solo_ordine`), and the register is still what a full check leaves."""
    import registro.check as modulo

    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(1200, seed=3)
    export.write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    prima = _righe(engine).select("id_prenotazione", "fuori_ordine")
    delta = _delta(export, np.random.default_rng(3), 0)
    delta.write_csv(tmp_path / "delta.csv", null_value="")
    ingest(tmp_path / "delta.csv", engine=engine, settings=settings)

    derivate: list[str] = []
    originale = modulo.deriva

    def spia(lf: pl.LazyFrame, profilo: object) -> pl.LazyFrame:
        derivate.extend(lf.select("id_prenotazione").collect()["id_prenotazione"])
        return originale(lf, profilo)  # type: ignore[arg-type]

    monkeypatch.setattr(modulo, "deriva", spia)
    esito = check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    monkeypatch.setattr(modulo, "deriva", originale)
    assert esito.incrementale == 1
    dopo = _righe(engine).select("id_prenotazione", "fuori_ordine")
    cambiate = set(delta["id_prenotazione"])
    solo_conteggio = set(prima.join(dopo, on="id_prenotazione").filter(
        pl.col("fuori_ordine").ne_missing(pl.col("fuori_ordine_right")))["id_prenotazione"]
    ) - cambiate
    assert solo_conteggio  # the delta did move some unchanged booking's count
    assert not solo_conteggio & set(derivate)
    assert cambiate <= set(derivate)
    assert esito.ricalcolate == len(set(derivate)) + len(solo_conteggio)
    _uguale_a_una_completa(engine, settings, date(2025, 12, 31), esito)


def test_the_mirror_is_recorded_after_the_checks_commit(
        engine: Engine, settings: Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The incremental check commits while its mirror is still being encoded, and records
    the mirror's digest in a second transaction: a failure in between leaves the check's
    writes committed and no digest recorded, so the next check is full and finds nothing
    to correct; the mirror of a check whose record is no longer its own is not put in
    place."""
    import registro.check_incrementale as modulo

    importa_catalogo(catalogo_nazionale(), engine=engine)
    export = genera_prenotazioni(800, seed=4)
    export.write_csv(tmp_path / "anno.csv", null_value="")
    ingest(tmp_path / "anno.csv", engine=engine, settings=settings)
    check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    delta = _delta(export, np.random.default_rng(4), 0)
    delta.write_csv(tmp_path / "delta.csv", null_value="")
    ingest(tmp_path / "delta.csv", engine=engine, settings=settings)
    versione = os.readlink(colonnare.percorso(settings))

    def interrotto(*_a: object) -> bool:
        raise RuntimeError("interrotto dopo il commit")

    monkeypatch.setattr(modulo, "registra_copia", interrotto)
    with pytest.raises(RuntimeError, match="interrotto"):
        check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    monkeypatch.undo()
    # committed: every booking derived; no digest recorded, the old mirror still in place
    assert _righe(engine)["verificata_il"].null_count() == 0
    assert os.readlink(colonnare.percorso(settings)) == versione
    copia = db.read_frame(engine, "SELECT copia_sha256 FROM verifica",
                          {"copia_sha256": pl.String()})["copia_sha256"]
    assert copia.to_list() == [None]
    righe, sanzioni = _righe(engine), _sanzioni(engine)
    esito = check(engine=engine, settings=settings, oggi=date(2025, 12, 31))
    assert esito.incrementale == 0
    assert (esito.sanzioni_emesse, esito.sanzioni_annullate) == (0, 0)
    assert _righe(engine).equals(righe) and _sanzioni(engine).equals(sanzioni)

    # another check's record by now: this check's mirror is not put in place
    ingest(tmp_path / "delta.csv", engine=engine, settings=settings)  # nothing newer
    altro = _delta(export, np.random.default_rng(5), 1)
    altro.write_csv(tmp_path / "altro.csv", null_value="")
    ingest(tmp_path / "altro.csv", engine=engine, settings=settings)
    versione = os.readlink(colonnare.percorso(settings))
    originale = modulo.registra_copia

    def non_piu_nostro(engine_: Engine, conn: object, quando: object, sha: str) -> bool:
        db.execute(conn, "UPDATE verifica SET completata_il = '2000-01-01 00:00:00.000000'")
        return originale(engine_, conn, quando, sha)  # type: ignore[arg-type]

    monkeypatch.setattr(modulo, "registra_copia", non_piu_nostro)
    assert check(engine=engine, settings=settings, oggi=date(2025, 12, 31)).incrementale == 1
    assert os.readlink(colonnare.percorso(settings)) == versione
    monkeypatch.undo()
    assert check(engine=engine, settings=settings, oggi=date(2025, 12, 31)).incrementale == 0
