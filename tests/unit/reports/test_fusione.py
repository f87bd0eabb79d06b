"""The regional merge of Osservatorio returns equals `registro stats` on the union of the
authorities' bookings, exactly, and refuses what it could not merge exactly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cup.schema import PRENOTAZIONI, valida
from cup.synthetic import carica_catalogo, genera_prenotazioni
from registro.csvsafe import scrivi_csv, scrivi_json
from registro.errors import ErroreUtente
from registro.periodo import Periodo
from registro.standards import carica_profilo
from reports import osservatorio
from reports.fusione import fondi, leggi_ritorni, trova_ritorni
from reports.stats import tabella_prestazioni

PERIODO = Periodo.parse("2025")


def _prenotazioni(seed: int, righe: int) -> pl.DataFrame:
    catalogo = carica_catalogo()
    grezze = genera_prenotazioni(righe, seed=seed).with_row_index("_riga", offset=2)
    validi, scarti = valida(grezze.with_columns(pl.col("_riga").cast(pl.Int64)),
                            catalogo["codice"].to_list(), PRENOTAZIONI)
    assert scarti.height == 0
    return validi.join(catalogo.select(pl.col("codice").alias("codice_prestazione"), "tipo"),
                       on="codice_prestazione")


@pytest.fixture(scope="module")
def enti() -> dict[str, pl.DataFrame]:
    return {f"ASL {i}": _prenotazioni(seed, righe)
            for i, (seed, righe) in enumerate([(11, 30_000), (12, 7_000), (13, 900)], 1)}


def _ritorni(enti: dict[str, pl.DataFrame], profilo: str, cartella: Path,
             formato: str = "csv") -> Path:
    prof = carica_profilo(profilo, None)
    for i, (ente, df) in enumerate(enti.items()):
        righe = osservatorio.righe(df.lazy(), profilo=prof, periodo=PERIODO, ente=ente)
        dest = cartella / f"ente{i}" / f"osservatorio.{formato}"
        (scrivi_csv if formato == "csv" else scrivi_json)(righe, dest)
    return cartella


@pytest.mark.parametrize("profilo", ["carta1995", "pngla"])
@pytest.mark.parametrize("lettura", ["ex_ante", "ex_post"])
def test_merge_equals_stats_on_the_union(enti: dict[str, pl.DataFrame], profilo: str,
                                         lettura: str, tmp_path: Path) -> None:
    cartella = _ritorni(enti, profilo, tmp_path)
    prof = carica_profilo(profilo, None)
    fusa = fondi(leggi_ritorni(trova_ritorni([cartella]), PERIODO, lettura),  # type: ignore[arg-type]
                 profilo=prof, periodo=PERIODO)
    unione = pl.concat(list(enti.values()), how="vertical").lazy()
    attesa = tabella_prestazioni(unione, profilo=prof, periodo=PERIODO,
                                 lettura=lettura)  # type: ignore[arg-type]
    assert fusa.height > 100
    # the returns carry no overtake counts: the regional share is empty, the rest identical
    assert fusa["quota_fuori_ordine"].null_count() == fusa.height
    fusa, attesa = fusa.drop("quota_fuori_ordine"), attesa.drop("quota_fuori_ordine")
    assert fusa.equals(attesa), fusa.join(attesa, on=fusa.columns, how="anti").head()


def test_json_returns_merge_like_csv(enti: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    prof = carica_profilo("pngla", None)
    da_csv = fondi(leggi_ritorni(trova_ritorni([_ritorni(enti, "pngla", tmp_path / "c")]),
                                 PERIODO, "ex_ante"), profilo=prof, periodo=PERIODO)
    da_json = fondi(leggi_ritorni(trova_ritorni([_ritorni(enti, "pngla", tmp_path / "j",
                                                          "json")]),
                                  PERIODO, "ex_ante"), profilo=prof, periodo=PERIODO)
    assert da_csv.equals(da_json)


def test_different_local_targets_merge_each_against_its_own(tmp_path: Path) -> None:
    """Two authorities, one visit code, targets 7 and 10: the share within target counts each
    booking against its own authority's target; the common target is then unknown."""
    base = {"periodo": "2025", "lettura": "ex_ante", "profilo": "carta1995",
            "codice_prestazione": "89.7", "codice_sede": "S001", "classe_priorita": "",
            "n_fuori_garanzia": "0"}
    a = pl.DataFrame([{**base, "ente": "A", "n": "3", "standard_giorni": "7",
                       "istogramma": '{"5":1,"8":2}'}])
    b = pl.DataFrame([{**base, "ente": "B", "n": "2", "standard_giorni": "10",
                       "istogramma": '{"8":1,"12":1}'}])
    scrivi_csv(a, tmp_path / "a" / "osservatorio.csv")
    scrivi_csv(b, tmp_path / "b" / "osservatorio.csv")
    fusa = fondi(leggi_ritorni(trova_ritorni([tmp_path]), PERIODO, "ex_ante"),
                 profilo=carica_profilo("carta1995", None), periodo=PERIODO).row(0, named=True)
    assert fusa["n"] == 5
    assert fusa["quota_entro_standard"] == 0.4  # 5 (A) and 8 (B) out of 5
    assert fusa["standard_giorni"] is None
    assert fusa["attesa_mediana"] == 8.0
    assert fusa["attesa_p90"] == 12
    assert fusa["attesa_media"] == 8.2


def _un_ritorno(path: Path, **campi: str) -> Path:
    riga = {"ente": "A", "periodo": "2025", "lettura": "ex_ante", "profilo": "carta1995",
            "codice_prestazione": "89.7", "codice_sede": "S001", "classe_priorita": "",
            "n": "2", "standard_giorni": "7", "n_fuori_garanzia": "0",
            "istogramma": '{"3":2}', **campi}
    return scrivi_csv(pl.DataFrame([riga]), path / "osservatorio.csv")


def test_the_same_authority_twice_is_refused(tmp_path: Path) -> None:
    _un_ritorno(tmp_path / "uno")
    _un_ritorno(tmp_path / "due")
    with pytest.raises(ErroreUtente, match="compare in più ritorni"):
        leggi_ritorni(trova_ritorni([tmp_path]), PERIODO, "ex_ante")


def test_mixed_profiles_are_refused(tmp_path: Path) -> None:
    _un_ritorno(tmp_path / "uno")
    _un_ritorno(tmp_path / "due", ente="B", profilo="pngla")
    with pytest.raises(ErroreUtente, match="profili diversi"):
        leggi_ritorni(trova_ritorni([tmp_path]), PERIODO, "ex_ante")


def test_a_histogram_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    _un_ritorno(tmp_path, istogramma='{"3":1}')
    righe = leggi_ritorni(trova_ritorni([tmp_path]), PERIODO, "ex_ante")
    with pytest.raises(ErroreUtente, match="riga 2: l'istogramma somma 1 ma n è 2"):
        fondi(righe, profilo=carica_profilo("carta1995", None), periodo=PERIODO)


def test_a_period_absent_from_the_returns_is_named(tmp_path: Path) -> None:
    _un_ritorno(tmp_path)
    with pytest.raises(ErroreUtente, match="periodi presenti: 2025"):
        leggi_ritorni(trova_ritorni([tmp_path]), Periodo.parse("2024"), "ex_ante")


def test_a_file_that_is_not_a_return_is_refused(tmp_path: Path) -> None:
    altro = tmp_path / "osservatorio.csv"
    altro.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ErroreUtente, match="colonne assenti"):
        leggi_ritorni(trova_ritorni([tmp_path]), PERIODO, "ex_ante")


def test_no_return_found_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ErroreUtente, match="nessun ritorno trovato"):
        trova_ritorni([tmp_path])


def test_the_histogram_is_the_compact_json_of_the_day_counts(
        enti: dict[str, pl.DataFrame]) -> None:
    import json

    from registro.rules import deriva

    prof = carica_profilo("pngla", None)
    df = enti["ASL 3"]
    righe = osservatorio.righe(df.lazy(), profilo=prof, periodo=PERIODO, ente="ASL 3")
    attese = (deriva(df.lazy(), prof).filter(pl.col("in_garanzia")
              & (pl.col("data_prenotazione").dt.year() == 2025)).collect())
    for riga in righe.filter(pl.col("lettura") == "ex_ante").head(20).iter_rows(named=True):
        gruppo = attese.filter(
            (pl.col("codice_prestazione") == riga["codice_prestazione"])
            & (pl.col("codice_sede") == riga["codice_sede"])
            & pl.col("classe_priorita").eq_missing(riga["classe_priorita"]))
        conteggi: dict[str, int] = {}
        for giorni in sorted(gruppo["attesa_giorni"].to_list()):
            conteggi[str(giorni)] = conteggi.get(str(giorni), 0) + 1
        assert riga["istogramma"] == json.dumps(conteggi, separators=(",", ":"))
