"""The bad-input corpus: each file gets a clear Italian message or reject reasons, none
crashes, counts always add up, and nothing formula-like leaves in a CSV we write."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select
from supporto import CARTELLA_TESTS
from supporto.prenotazioni import riga, scrivi_export

from cup.catalogo import catalogo_nazionale, importa_catalogo
from cup.ingest import EsitoIngest, ingest
from registro.check import check
from registro.db import session_scope
from registro.errors import ErroreUtente
from registro.letture import leggi_prenotazioni
from registro.models import IngestRun, Prenotazione, Sanzione, Scarto
from registro.periodo import Periodo
from registro.settings import Settings
from registro.standards import CARTA1995
from reports.registro_sanzioni import elenco_sanzioni, scrivi_sanzioni
from reports.stats import scrivi_tabella, tabella_prestazioni

BAD = CARTELLA_TESTS / "data" / "bad"


@pytest.fixture
def registro(engine: Engine) -> Engine:
    importa_catalogo(catalogo_nazionale(), engine=engine)
    return engine


def _ingest(engine: Engine, settings: Settings, nome: str) -> EsitoIngest:
    esito = ingest(BAD / nome, engine=engine, settings=settings)
    assert esito.righe == esito.accettate + esito.scartate
    assert esito.accettate == (esito.nuove + esito.aggiornate + esito.invariate
                               + esito.obsolete + esito.duplicate)
    return esito


def _scarti(engine: Engine) -> dict[tuple[int, str], str]:
    with session_scope(engine) as s:
        return {(x.riga, x.campo): x.motivo for x in s.exec(select(Scarto)).all()}


def _n(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


@pytest.mark.parametrize("nome, messaggio", [
    ("binario.csv", "non è un testo"),
    ("vuoto.csv", "il file è vuoto"),
    ("solo_intestazione.csv", "non contiene righe di dati"),
])
def test_unreadable(registro: Engine, settings: Settings, nome: str, messaggio: str) -> None:
    with pytest.raises(ErroreUtente, match=messaggio):
        ingest(BAD / nome, engine=registro, settings=settings)
    assert _n(registro, IngestRun) == 0 and _n(registro, Prenotazione) == 0


@pytest.mark.parametrize("nome", ["bom_utf8.csv", "crlf.csv"])
def test_bom_and_crlf(registro: Engine, settings: Settings, nome: str) -> None:
    esito = _ingest(registro, settings, nome)
    assert (esito.accettate, esito.scartate) == (4, 0)


def test_truncated_file(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "troncato.csv")
    assert (esito.righe, esito.accettate, esito.scartate) == (4, 3, 1)
    assert "campo obbligatorio mancante" in set(_scarti(registro).values())


def test_wrong_declared_encoding(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "codifica_dichiarata_errata.csv")
    assert esito.accettate == 1
    with session_scope(registro) as s:
        assert s.get(Prenotazione, "E1").codice_sede == "Città di Castello"  # type: ignore[union-attr]


def test_mixed_separators(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "separatori_misti.csv")
    assert (esito.accettate, esito.scartate) == (2, 1)
    assert _scarti(registro)[(3, "data_prenotazione")] == "campo obbligatorio mancante"


def test_quotes_and_newlines_inside_fields(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "virgolette_e_a_capo.csv")
    assert esito.accettate == 2
    with session_scope(registro) as s:
        q1, q2 = s.get(Prenotazione, "Q1"), s.get(Prenotazione, "Q2")
        assert q1 is not None and q2 is not None
        assert q1.causale_annullamento == 'guasto "grave"\nall\'apparecchiatura'
        assert q2.codice_sede == 'Sede, "centrale"'


def test_duplicates_later_line_wins(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "duplicati.csv")
    assert (esito.duplicate, esito.nuove) == (1, 2)
    with session_scope(registro) as s:
        assert s.get(Prenotazione, "D1").stato == "erogata"  # type: ignore[union-attr]


def test_dates_1900_and_2200(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "date_1900_2200.csv")
    assert (esito.accettate, esito.scartate) == (1, 2)
    scarti = _scarti(registro)
    assert "intervallo plausibile" in scarti[(2, "data_prenotazione")]
    assert "intervallo plausibile" in scarti[(3, "data_appuntamento")]


def test_amounts(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "importi.csv")
    assert (esito.accettate, esito.scartate) == (1, 3)
    scarti = _scarti(registro)
    assert scarti[(2, "importo_ticket")] == "importo negativo"
    assert "non valido" in scarti[(3, "importo_ticket")]
    assert "non valido" in scarti[(4, "quota_ordinaria")]
    with session_scope(registro) as s:
        assert s.get(Prenotazione, "M4").importo_ticket_cent == 123450  # type: ignore[union-attr]


def test_codice_fiscale_never_stored(registro: Engine, settings: Settings) -> None:
    esito = _ingest(registro, settings, "codice_fiscale.csv")
    assert esito.pseudonimizzati == 2
    if registro.dialect.name == "sqlite":
        db_file = Path(registro.url.database or "")
        blob = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        for cf in (b"RSSMRA80A01H501U", b"VRDLGU75T12F205X"):
            assert cf not in blob
    archivio = Path(esito.archiviato_in)
    assert archivio.exists()  # the original is archived as received, for the record


def test_ten_megabyte_line(registro: Engine, settings: Settings, tmp_path: Path) -> None:
    path = scrivi_export(tmp_path / "lunga.csv", [
        riga("L1", causale_annullamento="x" * 10_000_000, stato="annullata_ente"),
        riga("L2")])
    esito = ingest(path, engine=registro, settings=settings)
    assert (esito.righe, esito.accettate, esito.scartate) == (2, 1, 1)
    assert "troppo lungo" in _scarti(registro)[(2, "causale_annullamento")]
    with session_scope(registro) as s:
        grezzo = s.exec(select(Scarto.grezzo)).first()
    assert grezzo is not None and len(grezzo) <= 500


def test_formulas_are_neutralised_in_every_csv(registro: Engine, settings: Settings,
                                               tmp_path: Path) -> None:
    esito = _ingest(registro, settings, "formule.csv")
    assert (esito.accettate, esito.scartate) == (2, 1)
    check(engine=registro, settings=settings)
    with open(esito.file_scarti, encoding="utf-8") as fh:
        scarti = list(csv.DictReader(fh))
    assert scarti[0]["valore"] == "'=1+1"
    tabella = tabella_prestazioni(leggi_prenotazioni(registro).lazy(), profilo=CARTA1995,
                                  periodo=Periodo.parse("2026"))
    stats = scrivi_tabella(tabella, tmp_path / "stats.csv", "csv")
    sanz = scrivi_sanzioni(elenco_sanzioni(registro), tmp_path / "sanz.csv", "csv")
    for path in (Path(esito.file_scarti), stats, sanz):
        with open(path, encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "@"), (path, cell)
                    assert not (cell[:1] == "-" and not cell[1:2].isdigit()), (path, cell)
    with open(stats, encoding="utf-8") as fh:
        sedi = {r["codice_sede"] for r in csv.DictReader(fh)}
    assert "'=HYPERLINK(\"http://x.invalid\",\"clic\")" in sedi


def test_amounts_above_the_ceiling_are_rejected_never_wrapped(registro: Engine,
                                                              settings: Settings) -> None:
    """Issue 18, item 2: 17-digit tickets wrapped around Int64 cents into absurd refunds."""
    esito = _ingest(registro, settings, "importi_enormi.csv")
    assert (esito.accettate, esito.scartate) == (1, 4)
    scarti = _scarti(registro)
    for chiave in ((2, "importo_ticket"), (3, "importo_ticket"), (4, "importo_ticket"),
                   (5, "quota_ordinaria")):
        assert scarti[chiave].startswith("importo oltre il massimo plausibile (€ 10.000,00")
    with session_scope(registro) as s:
        g5 = s.get(Prenotazione, "G5")
        assert g5 is not None and g5.importo_ticket_cent == 1_000_000
    check(engine=registro, settings=settings)
    with session_scope(registro) as s:
        importi = s.exec(select(Sanzione.importo_cent)).all()
    assert all(0 < i <= 1_000_000 for i in importi)


def test_the_ceiling_is_a_setting(registro: Engine, settings: Settings) -> None:
    esito = ingest(BAD / "importi_enormi.csv", engine=registro,
                   settings=settings.model_copy(update={"importo_massimo": Decimal("50")}))
    assert (esito.accettate, esito.scartate) == (0, 5)
    assert "€ 50,00" in _scarti(registro)[(6, "importo_ticket")]


def test_catalog_tariff_above_the_ceiling_is_refused(registro: Engine, tmp_path: Path) -> None:
    path = tmp_path / "catalogo.csv"
    path.write_text("codice,descrizione,tipo,branca,tariffa\n"
                    "99.1,prova,visita,,92233720368547758\n"
                    "99.2,prova,visita,,10000.01\n", encoding="utf-8")
    with pytest.raises(ErroreUtente, match=r"riga 2: tariffa: importo oltre il massimo.*"
                                           r"riga 3: tariffa: importo oltre il massimo"):
        importa_catalogo(path, engine=registro)


def test_nul_byte_after_the_first_64_kilobytes(registro: Engine, settings: Settings) -> None:
    """Issue 18, item 8: on PostgreSQL it failed in the merge, a traceback and a run
    left "in corso"; now the file is refused before anything is written."""
    with pytest.raises(ErroreUtente, match=r"byte nullo \(NUL\) alla posizione 7\d{4}"):
        ingest(BAD / "nul_dopo_64k.csv", engine=registro, settings=settings)
    assert _n(registro, IngestRun) == 0 and _n(registro, Prenotazione) == 0


@pytest.mark.parametrize("nome, messaggio", [
    ("mapping_colonne_testo.toml", r"\[colonne\] deve essere una tabella .* non un testo"),
    ("mapping_valori_numero.toml", r"\[valori.stato\] deve essere una tabella .* non un numero"),
    ("mapping_annidato.toml", "annidamento troppo profondo"),
])
def test_malformed_mappings(registro: Engine, settings: Settings, nome: str,
                            messaggio: str) -> None:
    with pytest.raises(ErroreUtente, match=messaggio):
        ingest(BAD / "crlf.csv", engine=registro, settings=settings, mapping=BAD / nome)
    assert _n(registro, IngestRun) == 0 and _n(registro, Prenotazione) == 0


def test_a_failed_ingest_marks_its_run_failed(registro: Engine, settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18, item 8: a run that failed in the merge stayed "in corso" for ever."""
    import cup.ingest

    def guasto(*_a: object, **_k: object) -> int:
        raise RuntimeError("disco pieno")

    monkeypatch.setattr(cup.ingest.db, "write_frame", guasto)
    with pytest.raises(RuntimeError, match="disco pieno"):
        ingest(BAD / "crlf.csv", engine=registro, settings=settings)
    with session_scope(registro) as s:
        runs = s.exec(select(IngestRun)).all()
    assert [(r.stato, r.errore) for r in runs] == [("fallito", "disco pieno")]
    assert runs[0].finito_il is not None and _n(registro, Prenotazione) == 0


def test_a_killed_ingest_is_marked_failed_and_its_spill_folder_removed(
        registro: Engine, settings: Settings) -> None:
    """Issue 18, item 10: what a kill -9 leaves (a run "in corso", as earlier versions
    committed it, and a spill folder whose process is gone) is cleaned at the next ingest."""
    import subprocess
    import sys
    from datetime import datetime

    with session_scope(registro) as s:
        s.add(IngestRun(file="ucciso.csv", sha256="0" * 64, iniziato_il=datetime.now()))
        s.commit()
    morto = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    import socket
    spill = settings.data_dir / "lavoro" / "ingest-ucciso"
    spill.mkdir(parents=True)
    (spill / "processo").write_text(f"{socket.gethostname()} {morto}", encoding="utf-8")
    (spill / "validi").mkdir()
    esito = _ingest(registro, settings, "crlf.csv")
    assert not spill.exists()
    with session_scope(registro) as s:
        stati = {r.file: (r.stato, r.errore) for r in s.exec(select(IngestRun)).all()}
    assert stati["ucciso.csv"][0] == "fallito" and "interrotto" in (stati["ucciso.csv"][1] or "")
    assert stati[esito.file] == ("completato", None)


def test_parquet_with_real_date_columns(registro: Engine, settings: Settings,
                                        tmp_path: Path) -> None:
    """Issue 18, item 10: date32 and timestamp columns were refused."""
    import polars as pl

    df = pl.DataFrame([riga("PQ1"), riga("PQ2")]).with_columns(
        pl.col("data_prenotazione").str.to_datetime("%Y-%m-%dT%H:%M"),
        pl.col("data_appuntamento").str.to_datetime("%Y-%m-%dT%H:%M")
        .dt.replace_time_zone("Europe/Rome"),
        data_prescrizione=pl.lit("2026-03-01").str.to_date())
    path = tmp_path / "date.parquet"
    df.write_parquet(path)
    esito = ingest(path, engine=registro, settings=settings)
    assert (esito.accettate, esito.scartate) == (2, 0)
    with session_scope(registro) as s:
        p = s.get(Prenotazione, "PQ1")
        assert p is not None and str(p.data_prescrizione) == "2026-03-01"
        assert p.data_appuntamento.strftime("%H:%M") == "09:30"
