"""`registro monitoring` and `report direzione` write the monitoring list list by list, in
slices, with the names looked up by code: the files must be those of the whole list sorted
at once, named by joins and written in one go, as the commands wrote them before (issue 16:
at 5 M bookings the whole list kept them above 2 GiB)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text
from supporto.report import riempi

from registro import db
from registro.csvsafe import neutralizza
from registro.motivazioni import registra
from registro.settings import Settings
from reports import direzione
from reports.monitoring import (
    COLONNE,
    LISTE,
    NOMI,
    calcola_lista,
    liste_una_per_volta,
    scrivi_liste,
    urgenza,
)

AL = date(2025, 12, 31)


def _ordinata_intera(lista: pl.DataFrame) -> pl.DataFrame:
    """The order of the whole list in one sort, as `lista_monitoraggio` sorted it before."""
    rango = pl.col("lista").replace_strict(LISTE, list(range(len(LISTE))),
                                           return_dtype=pl.Int64)
    distanza = pl.when(pl.col("soglia").is_null()).then(pl.col("giorni")
                                                         ).otherwise(pl.col("giorni")
                                                                     - pl.col("soglia"))
    return lista.sort([rango, urgenza(), distanza, pl.col("id"), pl.col("registro"),
                       pl.col("codice_sede_o_patologia")],
                      descending=[False, False, True, False, False, False], nulls_last=True)


def _nomi_con_join(lista: pl.DataFrame, engine: Engine) -> pl.DataFrame:
    """NOMI as the three joins put them before `replace_strict`."""
    testo = {"codice": pl.String(), "nome": pl.String()}
    prestazioni = db.read_frame(engine, "SELECT codice, descrizione AS nome FROM prestazione",
                                testo).select(codice_reparto_o_prestazione="codice",
                                              descrizione_prestazione="nome",
                                              registro=pl.lit("prestazioni"))
    sedi = db.read_frame(engine, "SELECT codice, nome FROM sede", testo).select(
        codice_sede_o_patologia="codice", _sede="nome", registro=pl.lit("prestazioni"))
    reparti = db.read_frame(engine, "SELECT codice, nome FROM reparto", testo).select(
        codice_reparto_o_prestazione="codice", _reparto="nome", registro=pl.lit("ricoveri"))
    return (lista.select(COLONNE)
            .join(prestazioni, on=["registro", "codice_reparto_o_prestazione"], how="left",
                  maintain_order="left")
            .join(sedi, on=["registro", "codice_sede_o_patologia"], how="left",
                  maintain_order="left")
            .join(reparti, on=["registro", "codice_reparto_o_prestazione"], how="left",
                  maintain_order="left")
            .with_columns(nome_sede_o_reparto=pl.coalesce("_sede", "_reparto"))
            .select(*COLONNE, *NOMI))


def _in_una_volta(lista: pl.DataFrame, formato: str) -> bytes:
    return (neutralizza(lista).write_csv() if formato == "csv" else lista.write_json()
            ).encode("utf-8")


@pytest.fixture
def registro_pieno(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """A synthetic year, some items motivated (of both objects, of both registers), a site
    whose name a spreadsheet would run as a formula."""
    riempi(engine, settings, tmp_path / "cup", prenotazioni=1500, ricoveri=150)
    lista = calcola_lista(engine=engine, settings=settings, oggi=AL)
    scelte = lista.filter(pl.col("lista").is_in(LISTE[:3])).group_by(
        "lista", "registro", maintain_order=True).head(2)
    assert set(scelte["registro"]) == {"prestazioni", "ricoveri"}
    with db.session_scope(engine) as session:
        for voce in scelte.iter_rows(named=True):
            registra(session=session, registro=voce["registro"], riferimento=voce["id"],
                     testo="motivazione clinica documentata", autore="DS",
                     oggetto="fuori_ordine" if voce["lista"] == LISTE[1] else "superamento")
        session.commit()
    sede = lista.filter(pl.col("registro") == "prestazioni")["codice_sede_o_patologia"][0]
    with engine.begin() as conn:
        conn.execute(text("UPDATE sede SET nome = :n WHERE codice = :c"),
                     {"n": "=HYPERLINK(\"x\") Sede, \"centro\"", "c": sede})
    return engine


@pytest.mark.parametrize("includi_motivati", [False, True])
def test_list_by_list_is_the_whole_list(registro_pieno: Engine, settings: Settings,
                                        tmp_path: Path, includi_motivati: bool) -> None:
    engine = registro_pieno
    lista = calcola_lista(engine=engine, settings=settings, oggi=AL,
                          includi_motivati=includi_motivati)
    assert lista.columns == [*COLONNE, *NOMI]
    assert set(lista["lista"]) >= set(LISTE[:2])
    assert lista["motivato"].any() == includi_motivati
    assert lista["nome_sede_o_reparto"].str.starts_with("=HYPERLINK").any()
    # each list sorted on its own, one after the other: the order of one sort of the whole
    assert lista.equals(_ordinata_intera(lista))
    # the names by code: those of the joins
    assert lista.equals(_nomi_con_join(lista, engine))
    for formato in ("csv", "json"):
        for righe in (3, 250_000):
            path = scrivi_liste(
                (voce for _, voce in liste_una_per_volta(
                    engine=engine, settings=settings, oggi=AL,
                    includi_motivati=includi_motivati)),
                tmp_path / f"m-{righe}.{formato}", formato,  # type: ignore[arg-type]
                righe_per_fetta=righe)
            assert path.read_bytes() == _in_una_volta(lista, formato), (formato, righe)


def test_direzione_files_are_those_of_the_whole_list(registro_pieno: Engine,
                                                     settings: Settings,
                                                     tmp_path: Path) -> None:
    engine = registro_pieno
    scritti = direzione.genera(engine=engine, settings=settings, al=AL,
                               cartella=tmp_path / "d")
    tutte = calcola_lista(engine=engine, settings=settings, oggi=AL, includi_motivati=True)
    assert tutte["motivato"].any()
    senza = tutte.filter(~pl.col("motivato"))
    assert scritti[0].read_bytes() == _in_una_volta(senza, "csv")
    unita = direzione.con_nomi(direzione.superamenti_per_unita(tutte), engine)
    assert unita["superamenti"].sum() > unita["senza_motivazione"].sum() > 0
    assert scritti[1].read_bytes() == _in_una_volta(unita, "csv")


def test_monitoring_cli_counts(registro_pieno: Engine, settings: Settings, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """The command's summary counts what it wrote, list by list, as it counted the whole."""
    from typer.testing import CliRunner

    from servizio.cli.principale import app

    monkeypatch.setenv("REGISTRO_DB_URL", settings.db_url)
    monkeypatch.setenv("REGISTRO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REGISTRO_CHIAVE_PSEUDONIMI", "chiave-di-prova")
    out = tmp_path / "m.csv"
    res = CliRunner().invoke(app, ["monitoring", "--al", AL.isoformat(), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lista = calcola_lista(engine=registro_pieno, settings=settings, oggi=AL)
    conteggi = lista.group_by("lista").len().sort("lista")
    dettaglio = ", ".join(f"{n:,} {nome}" for nome, n in conteggi.iter_rows())
    assert f"{lista.height:,} voci ({dettaglio}) scritte in" in " ".join(res.output.split())
    assert out.read_bytes() == _in_una_volta(lista, "csv")
