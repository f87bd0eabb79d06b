"""The ingest's guarantees, on SQLite and PostgreSQL: rejects with reasons, versions,
idempotence, archive, refusal of unreadable files with nothing written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func
from sqlmodel import select
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import ingest
from registro.checksum import sha256_file
from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.models import IngestRun, Prenotazione, PrenotazioneStoria, Scarto, Sede
from registro.schede import dettaglio_prenotazione
from registro.settings import Settings


@pytest.fixture
def registro(engine: Engine) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    return engine


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def _pren(engine: Engine, id_: str) -> Prenotazione:
    with session_scope(engine) as s:
        p = s.get(Prenotazione, id_)
        assert p is not None
        return p


def _versioni(engine: Engine, id_: str) -> list[str]:
    """The states of every version received, oldest first, as the API and console read them."""
    with session_scope(engine) as s:
        return [v["stato"] for v in
                dettaglio_prenotazione(session=s, id_prenotazione=id_)["storia"]]


def test_valid_rows_land_invalid_rows_are_rejected_with_reasons(
        registro: Engine, settings: Settings, tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [
        riga("P1"),
        riga("P2", data_appuntamento="2026-03-01T09:00"),   # before the booking
        riga("P3", codice_prestazione="99.99.99"),          # not in the catalog
        riga("P4", importo_ticket="-5"),
        riga("P5", stato="sparita"),
        riga("P6", data_prenotazione="31/02/2026"),
    ])
    esito = ingest(path, engine=registro, settings=settings)
    assert (esito.righe, esito.accettate, esito.scartate, esito.nuove) == (6, 1, 5, 1)
    assert esito.righe == esito.accettate + esito.scartate
    with session_scope(registro) as s:
        scarti = {(x.riga, x.campo): x.motivo for x in s.exec(select(Scarto)).all()}
    assert scarti[(3, "data_appuntamento")] == "appuntamento precedente alla data di prenotazione"
    assert "catalogo" in scarti[(4, "codice_prestazione")]
    assert scarti[(5, "importo_ticket")] == "importo negativo"
    assert "valore non ammesso" in scarti[(6, "stato")]
    assert "data non valida" in scarti[(7, "data_prenotazione")]
    rejects = pl.read_csv(esito.file_scarti, infer_schema=False)
    assert rejects.columns == ["file", "riga", "campo", "valore", "motivo"]
    assert sorted(set(rejects["riga"].to_list())) == ["3", "4", "5", "6", "7"]
    # The archive is what the register received (every row, as text), not the original:
    # the original's checksum and size are in its metadata and in ingest_run.
    archivio = pl.read_parquet(esito.archiviato_in)
    assert archivio["riga"].to_list() == [2, 3, 4, 5, 6, 7]
    assert archivio["id_prenotazione"].to_list() == ["P1", "P2", "P3", "P4", "P5", "P6"]
    meta = pq.read_schema(esito.archiviato_in).metadata
    assert meta[b"registro.originale.sha256"].decode() == esito.sha256 == sha256_file(path)
    assert int(meta[b"registro.originale.byte"]) == path.stat().st_size
    assert esito.sha256 in {r.sha256 for r in _runs(registro)}


def _runs(engine: Engine) -> list[IngestRun]:
    with session_scope(engine) as s:
        return list(s.exec(select(IngestRun)).all())


def test_same_file_twice_changes_nothing(registro: Engine, settings: Settings,
                                         tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [riga(f"P{i}") for i in range(20)])
    first = ingest(path, engine=registro, settings=settings)
    before = (_count(registro, Prenotazione), _count(registro, PrenotazioneStoria))
    second = ingest(path, engine=registro, settings=settings)
    assert first.nuove == 20
    assert (second.nuove, second.aggiornate, second.invariate, second.obsolete) == (0, 0, 20, 0)
    assert (_count(registro, Prenotazione), _count(registro, PrenotazioneStoria)) == before


def test_an_older_version_never_overwrites_a_newer_one(registro: Engine, settings: Settings,
                                                      tmp_path: Path) -> None:
    nuova = scrivi_export(tmp_path / "a.csv", [
        riga("P1", stato="non_presentato", aggiornato_il="2026-03-07T08:00")])
    vecchia = scrivi_export(tmp_path / "b.csv", [
        riga("P1", stato="prenotata", aggiornato_il="2026-03-02T10:00")])
    ingest(nuova, engine=registro, settings=settings)
    esito = ingest(vecchia, engine=registro, settings=settings)
    assert (esito.obsolete, esito.aggiornate, esito.nuove) == (1, 0, 0)
    assert _pren(registro, "P1").stato == "non_presentato"
    with session_scope(registro) as s:
        storia = s.exec(select(PrenotazioneStoria.stato)
                        .order_by(PrenotazioneStoria.versione_il)).all()
    assert storia == ["prenotata"]  # only the superseded versions: the current one is P1
    assert _versioni(registro, "P1") == ["prenotata", "non_presentato"]


def test_a_newer_version_updates_and_keeps_history(registro: Engine, settings: Settings,
                                                  tmp_path: Path) -> None:
    ingest(scrivi_export(tmp_path / "a.csv", [riga("P1", aggiornato_il="2026-03-02T10:00",
                                                   stato="prenotata")]),
           engine=registro, settings=settings)
    esito = ingest(scrivi_export(tmp_path / "b.csv", [
        riga("P1", aggiornato_il="2026-03-06T12:00", stato="erogata")]),
        engine=registro, settings=settings)
    assert esito.aggiornate == 1
    assert _pren(registro, "P1").stato == "erogata"
    assert _count(registro, PrenotazioneStoria) == 1
    assert _versioni(registro, "P1") == ["prenotata", "erogata"]


def test_duplicate_ids_in_one_file_the_later_line_wins(registro: Engine, settings: Settings,
                                                      tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [
        riga("P1", stato="prenotata"), riga("P2"), riga("P1", stato="non_presentato")])
    esito = ingest(path, engine=registro, settings=settings)
    assert (esito.righe, esito.accettate, esito.scartate) == (3, 3, 0)
    assert (esito.duplicate, esito.nuove) == (1, 2)
    assert _pren(registro, "P1").stato == "non_presentato"
    assert _versioni(registro, "P1") == ["prenotata", "non_presentato"]
    assert _versioni(registro, "P2") == ["erogata"]


@pytest.mark.parametrize("contenuto, messaggio", [
    (None, "il file non esiste"),
    (b"", "il file è vuoto"),
    (b"\x00\x01\x02PK\x03\x04" * 100, "non è un testo"),
    (b"id_prenotazione,stato\nP1,erogata\n", "colonne obbligatorie assenti"),
    (b"id_prenotazione,data_prenotazione\n", "non contiene righe di dati"),
])
def test_unreadable_files_are_refused_and_nothing_is_written(
        registro: Engine, settings: Settings, tmp_path: Path, contenuto: bytes | None,
        messaggio: str) -> None:
    path = tmp_path / "export.csv"
    if contenuto is not None:
        path.write_bytes(contenuto)
    with pytest.raises(ErroreUtente, match=messaggio) as info:
        ingest(path, engine=registro, settings=settings)
    assert str(path) in str(info.value)
    assert _count(registro, IngestRun) == 0
    assert _count(registro, Prenotazione) == 0
    assert not (Path(settings.data_dir) / "archivio").exists()


def test_italian_layout_semicolons_cp1252_comma_decimals(registro: Engine, settings: Settings,
                                                         tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [
        riga("P1", data_prenotazione="02/03/2026 10:00", data_appuntamento="06/03/2026",
             importo_ticket="12,50", causale_annullamento="", codice_sede="Sede Città"),
    ], sep=";", encoding="cp1252")
    esito = ingest(path, engine=registro, settings=settings)
    assert esito.accettate == 1, esito
    p = _pren(registro, "P1")
    assert p.importo_ticket_cent == 1250
    assert p.codice_sede == "Sede Città"
    assert str(p.data_appuntamento) == "2026-03-06 00:00:00"


def test_utf8_bom_and_crlf(registro: Engine, settings: Settings, tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [riga("P1"), riga("P2")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    esito = ingest(path, engine=registro, settings=settings)
    assert (esito.accettate, esito.scartate) == (2, 0)


def test_parquet_and_json_lines(registro: Engine, settings: Settings, tmp_path: Path) -> None:
    frame = pl.DataFrame([riga("P1"), riga("P2", codice_prestazione="88.71.4")])
    frame.write_parquet(tmp_path / "cup.parquet")
    frame.with_columns(pl.col("id_prenotazione") + "j").write_ndjson(tmp_path / "cup.jsonl")
    a = ingest(tmp_path / "cup.parquet", engine=registro, settings=settings)
    b = ingest(tmp_path / "cup.jsonl", engine=registro, settings=settings)
    assert (a.nuove, b.nuove) == (2, 2)
    assert _count(registro, Prenotazione) == 4


def test_unknown_site_is_registered_unknown_service_is_reingestable(
        registro: Engine, settings: Settings, tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "cup.csv", [
        riga("P1", codice_sede="NUOVA"), riga("P2", codice_prestazione="LOC.1")])
    first = ingest(path, engine=registro, settings=settings)
    assert (first.accettate, first.scartate, first.sedi_nuove) == (1, 1, 1)
    with session_scope(registro) as s:
        sede = s.get(Sede, "NUOVA")
        assert sede is not None and sede.nome == "NUOVA" and sede.da_completare
    catalogo = tmp_path / "locale.csv"
    catalogo.write_text("codice,descrizione,tipo,branca,tariffa\n"
                        "LOC.1,Visita locale,visita,Medicina,20.00\n", encoding="utf-8")
    importa_catalogo(catalogo, engine=registro)
    second = ingest(path, engine=registro, settings=settings)
    assert (second.nuove, second.invariate, second.scartate) == (1, 1, 0)


def test_codice_fiscale_is_pseudonymised_and_never_stored(registro: Engine, settings: Settings,
                                                         tmp_path: Path) -> None:
    cf = "RSSMRA80A01H501U"
    path = scrivi_export(tmp_path / "cup.csv", [
        riga("P1", id_assistito=cf), riga("P2", id_assistito=cf.lower()),
        riga("P3", id_assistito=cf, stato="sbagliato")])
    esito = ingest(path, engine=registro, settings=settings)
    assert esito.pseudonimizzati == 3
    a, b = _pren(registro, "P1"), _pren(registro, "P2")
    assert a.id_assistito == b.id_assistito != cf
    with session_scope(registro) as s:
        grezzi = " ".join(x.grezzo or "" for x in s.exec(select(Scarto)).all())
    assert cf not in grezzi and a.id_assistito in grezzi
    if registro.dialect.name == "sqlite":
        db_file = Path(registro.url.database or "")
        blob = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert cf.encode() not in blob and cf.lower().encode() not in blob
    assert cf not in Path(esito.file_scarti).read_text(encoding="utf-8")


def test_mapping_for_a_vendor_layout(registro: Engine, settings: Settings,
                                     tmp_path: Path) -> None:
    src = tmp_path / "vendor.csv"
    src.write_text(
        "Id,Booked,When,Site,Missed,Patient,Age\n"
        "10,2026-01-05T08:00:00Z,2026-01-09T00:00:00Z,Centro,Yes,X1,55\n"
        "11,2026-01-05T08:00:00Z,2026-01-05T00:00:00Z,Centro,No,X2,40\n", encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[colonne]\nid_prenotazione = "Id"\ndata_prenotazione = "Booked"\n'
        'data_appuntamento = "When"\ncodice_sede = "Site"\nstato = "Missed"\n'
        'id_assistito = "Patient"\n'
        '[valori.stato]\n"Yes" = "non_presentato"\n"No" = "erogata"\n'
        '[costanti]\ncodice_prestazione = "89.7"\n', encoding="utf-8")
    esito = ingest(src, engine=registro, settings=settings, mapping=mapping)
    assert (esito.accettate, esito.scartate) == (2, 0)
    assert _pren(registro, "10").stato == "non_presentato"
    assert _pren(registro, "11").stato == "erogata"


def test_mapping_naming_a_missing_column_is_refused(registro: Engine, settings: Settings,
                                                    tmp_path: Path) -> None:
    src = scrivi_export(tmp_path / "cup.csv", [riga("P1")])
    mapping = tmp_path / "m.toml"
    mapping.write_text('[colonne]\nid_prenotazione = "NonCe"\n', encoding="utf-8")
    with pytest.raises(ErroreUtente, match="NonCe"):
        ingest(src, engine=registro, settings=settings, mapping=mapping)
    assert _count(registro, IngestRun) == 0
