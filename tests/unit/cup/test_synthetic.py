"""The synthetic CUP export: deterministic, canonical, plausible, and free of personal data."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from cup.synthetic import COLONNE, SEDI, carica_catalogo, genera_prenotazioni, scrivi_csv
from registro.types import TIPI_PRESTAZIONE

N = 20_000
CODICE_FISCALE = r"^[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]$"
OSPEDALI = {codice for codice, nome, _, _ in SEDI if nome.startswith(("Ospedale", "Presidio"))}


@pytest.fixture(scope="module")
def df() -> pl.DataFrame:
    return genera_prenotazioni(N, seed=11, anno=2025)


@pytest.fixture(scope="module")
def catalogo() -> pl.DataFrame:
    return carica_catalogo()


@pytest.fixture(scope="module")
def tipizzato(df: pl.DataFrame, catalogo: pl.DataFrame) -> pl.DataFrame:
    """The export with parsed dates, the wait in calendar days and the service's type."""
    def ts(c: str) -> pl.Expr:
        return pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M", strict=True)

    return (
        df.join(catalogo.select("codice", "tipo"), left_on="codice_prestazione",
                right_on="codice", how="left", maintain_order="left")
        .with_columns(pren=ts("data_prenotazione"), app=ts("data_appuntamento"),
                      dis=ts("data_disdetta"), agg=ts("aggiornato_il"),
                      presc=pl.col("data_prescrizione").str.to_date("%Y-%m-%d", strict=True))
        .with_columns(attesa=(pl.col("app").dt.date() - pl.col("pren").dt.date())
                      .dt.total_days())
    )


def quota(serie: pl.Series, valore: object = None) -> float:
    """Share of `serie` equal to `valore` (null when None)."""
    hit = serie.is_null() if valore is None else (serie == valore).fill_null(False)
    return int(hit.sum()) / max(len(hit), 1)


# -- determinism, layout ------------------------------------------------------------------

def test_same_seed_same_frame_other_seed_other_frame() -> None:
    a = genera_prenotazioni(3_000, seed=5)
    assert a.equals(genera_prenotazioni(3_000, seed=5))
    assert not a.equals(genera_prenotazioni(3_000, seed=6))


def test_columns_are_the_canonical_layout_all_text(df: pl.DataFrame) -> None:
    assert df.height == N
    assert tuple(df.columns) == COLONNE
    assert all(dtype == pl.String for dtype in df.dtypes)


def test_columns_match_the_ingest_schema() -> None:
    schema = pytest.importorskip("cup.schema")
    assert tuple(schema.CANONICHE) == COLONNE


def test_zero_rows_gives_an_empty_canonical_frame() -> None:
    vuoto = genera_prenotazioni(0)
    assert vuoto.height == 0 and tuple(vuoto.columns) == COLONNE


def test_ids_unique_and_in_booking_order(df: pl.DataFrame) -> None:
    assert df["id_prenotazione"].n_unique() == N
    assert df["id_prenotazione"].str.contains(r"^P2025-\d{7}$").all()
    assert df["id_prenotazione"].is_sorted()
    assert df["data_prenotazione"].is_sorted()


def test_field_formats(df: pl.DataFrame) -> None:
    ts = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"
    for c in ("data_prenotazione", "data_appuntamento", "data_disdetta", "aggiornato_il"):
        assert df[c].drop_nulls().str.contains(ts).all(), c
    assert df["data_prescrizione"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    for c in ("importo_ticket", "quota_ordinaria"):
        assert df[c].null_count() == 0
        assert df[c].str.contains(r"^\d+\.\d{2}$").all(), c
    assert set(df["scelta_utente"].unique()) <= {"0", "1"}
    assert set(df["forza_maggiore"].unique()) <= {"1", None}
    assert set(df["classe_priorita"].unique()) <= {"U", "B", "D", "P", None}
    assert set(df["tipo_accesso"].unique()) <= {"primo", "controllo"}
    assert set(df["stato"].unique()) <= {"prenotata", "erogata", "annullata_ente",
                                         "disdetta_utente", "non_presentato"}
    assert df["id_assistito"].str.contains(r"^A\d{7}$").all()


def test_nothing_looks_like_a_codice_fiscale(df: pl.DataFrame) -> None:
    for c in df.columns:
        assert not df[c].drop_nulls().str.contains(CODICE_FISCALE).any(), c
    assert not any(re.match(CODICE_FISCALE, v) for sede in SEDI for v in sede)


def test_scrivi_csv_round_trips(tmp_path: Path) -> None:
    path = scrivi_csv(tmp_path / "sub" / "cup.csv", rows=500, seed=3)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLONNE)
    letto = pl.read_csv(path, infer_schema=False)
    assert letto.equals(genera_prenotazioni(500, seed=3))


# -- codes ---------------------------------------------------------------------------------

def test_every_service_in_the_catalog_every_site_in_sedi(df: pl.DataFrame,
                                                        catalogo: pl.DataFrame) -> None:
    assert df["codice_prestazione"].is_in(catalogo["codice"].implode()).all()
    assert set(df["codice_sede"].unique()) <= {s[0] for s in SEDI}


def test_sites(tipizzato: pl.DataFrame) -> None:
    codici = [s[0] for s in SEDI]
    assert 20 <= len(SEDI) <= 30 and len(set(codici)) == len(codici)
    assert all(re.fullmatch(r"S\d{3}", c) for c in codici)
    rm = tipizzato.filter(pl.col("codice_prestazione").str.contains(r"^88\.9[1-5]"))
    assert rm.height > 0 and set(rm["codice_sede"].unique()) <= OSPEDALI
    lab_sedi = tipizzato.filter(pl.col("tipo") == "laboratorio")["codice_sede"].n_unique()
    assert lab_sedi >= len(SEDI) - 2


def test_catalog(catalogo: pl.DataFrame) -> None:
    assert catalogo.columns == ["codice", "descrizione", "tipo", "branca", "tariffa"]
    assert 75 <= catalogo.height <= 90
    assert catalogo["codice"].n_unique() == catalogo.height
    assert set(catalogo["tipo"].unique()) == set(TIPI_PRESTAZIONE)
    assert catalogo.null_count().sum_horizontal().item() == 0
    for t in catalogo["tariffa"]:
        valore = Decimal(t)
        assert valore > 0 and valore.as_tuple().exponent == -2, t
    assert catalogo.filter(pl.col("tipo") == "laboratorio").height >= 10
    # the PNGLA first visits and a few diagnostic codes are there
    for codice in ("89.7A.3", "89.13", "95.02", "89.26", "87.37.1", "88.91.1", "88.76.1",
                   "45.23", "89.52", "89.37.1", "91.49.2"):
        assert codice in catalogo["codice"].to_list(), codice


# -- the mix -------------------------------------------------------------------------------

def test_access_class_and_choice_mix(df: pl.DataFrame) -> None:
    assert 0.16 <= quota(df["tipo_accesso"], "controllo") <= 0.24
    assert df.filter(pl.col("tipo_accesso") == "controllo")["classe_priorita"].null_count() \
        == df.filter(pl.col("tipo_accesso") == "controllo").height
    classi = df.filter(pl.col("tipo_accesso") == "primo")["classe_priorita"]
    for classe, basso, alto in (("U", 0.03, 0.07), ("B", 0.17, 0.23), ("D", 0.31, 0.39),
                                ("P", 0.21, 0.29), (None, 0.12, 0.18)):
        assert basso <= quota(classi, classe) <= alto, classe
    assert 0.06 <= quota(df["scelta_utente"], "1") <= 0.10


def test_waits(tipizzato: pl.DataFrame) -> None:
    t = tipizzato
    assert t["attesa"].min() >= 0  # type: ignore[operator]
    mediane = dict(t.group_by("tipo").agg(pl.col("attesa").median()).iter_rows())
    assert mediane["laboratorio"] <= 1
    assert 5 <= mediane["immagini"] <= 12
    assert 7 <= mediane["visita"] <= 14
    assert 10 <= mediane["strumentale"] <= 20
    primo = t.filter(pl.col("tipo_accesso") == "primo", pl.col("tipo") != "laboratorio")
    per_classe = dict(primo.group_by("classe_priorita").agg(pl.col("attesa").median())
                      .iter_rows())
    assert per_classe["U"] <= 4 < per_classe["B"] + 4
    assert per_classe["B"] < per_classe["D"] < per_classe["P"]
    assert primo.filter(pl.col("classe_priorita") == "P")["attesa"].max() > 120  # type: ignore[operator]
    assert primo.filter(pl.col("classe_priorita") == "U")["attesa"].max() <= 14  # type: ignore[operator]
    assert primo.filter(pl.col("attesa") == 0).height > 0  # some same-day bookings


def test_within_target_share_varies_by_site(tipizzato: pl.DataFrame) -> None:
    visite = tipizzato.filter(pl.col("tipo") == "visita", pl.col("tipo_accesso") == "primo",
                              pl.col("classe_priorita").fill_null("") != "U")
    per_sede = (visite.group_by("codice_sede")
                .agg(pl.len().alias("n"), (pl.col("attesa") <= 7).mean().alias("entro"))
                .filter(pl.col("n") >= 100))
    assert per_sede.height >= 5
    assert per_sede["entro"].max() - per_sede["entro"].min() > 0.2  # type: ignore[operator]


def test_times_in_opening_hours(tipizzato: pl.DataFrame) -> None:
    def minuti(s: pl.Series) -> pl.Series:
        return s.dt.hour().cast(pl.Int32) * 60 + s.dt.minute().cast(pl.Int32)

    ore_pren, ore_app = minuti(tipizzato["pren"]), minuti(tipizzato["app"])
    assert ore_pren.min() >= 8 * 60 and ore_pren.max() <= 18 * 60  # type: ignore[operator]
    assert ore_app.min() >= 7 * 60 + 30 and ore_app.max() <= 19 * 60  # type: ignore[operator]
    assert (tipizzato["app"] > tipizzato["pren"]).all()
    assert (tipizzato["app"].dt.weekday() != 7).all()  # no Sunday appointments
    assert tipizzato["pren"].dt.year().unique().to_list() == [2025]
    agosto = quota(tipizzato["pren"].dt.month(), 8)
    assert agosto < 1 / 12 * 0.8


def test_prescriptions(tipizzato: pl.DataFrame) -> None:
    assert 0.82 <= 1 - quota(tipizzato["presc"]) <= 0.88
    anticipo = (tipizzato["pren"].dt.date() - tipizzato["presc"]).dt.total_days().drop_nulls()
    assert anticipo.min() >= 0 and anticipo.max() <= 20  # type: ignore[operator]


def test_outcomes(tipizzato: pl.DataFrame) -> None:
    t = tipizzato
    fine_anno = pl.datetime(2026, 1, 1)
    futuri = t.filter(pl.col("app") >= fine_anno)
    assert futuri.height > 0 and (futuri["stato"] == "prenotata").all()
    passati = t.filter(pl.col("app") < fine_anno)["stato"]
    assert 0.04 <= quota(passati, "non_presentato") <= 0.08
    assert 0.05 <= quota(passati, "disdetta_utente") <= 0.09
    assert 0.01 <= quota(passati, "annullata_ente") <= 0.03
    assert quota(passati, "erogata") > 0.75
    assert quota(passati, "prenotata") == 0


def test_cancellations(tipizzato: pl.DataFrame) -> None:
    t = tipizzato
    disdette = t.filter(pl.col("stato") == "disdetta_utente")
    assert t.filter(pl.col("stato") != "disdetta_utente")["dis"].null_count() == \
        t.height - disdette.height
    assert disdette["dis"].null_count() == 0
    assert ((disdette["dis"] >= disdette["pren"]) & (disdette["dis"] <= disdette["app"])).all()
    preavviso = (disdette["app"] - disdette["dis"]).dt.total_minutes()
    assert (preavviso == 48 * 60).sum() > 10  # exactly on the boundary
    assert (preavviso == 47 * 60).sum() > 10  # just late
    assert 0.2 < quota(preavviso >= 48 * 60, True) < 0.8
    ente = t.filter(pl.col("stato") == "annullata_ente")
    assert set(ente["esito_annullamento"].unique()) == {"rinuncia", "riprogrammata"}
    assert set(ente["causale_annullamento"].unique()) == {
        "emergenza", "guasto apparecchiatura", "assenza medico"}
    assert 0.07 <= quota(ente["causale_annullamento"], "emergenza") <= 0.25
    altri = t.filter(pl.col("stato") != "annullata_ente")
    assert altri["causale_annullamento"].null_count() == altri.height
    assert altri["esito_annullamento"].null_count() == altri.height


def test_tickets_and_force_majeure(tipizzato: pl.DataFrame, catalogo: pl.DataFrame) -> None:
    t = tipizzato.join(catalogo.select("codice", "tariffa"), left_on="codice_prestazione",
                       right_on="codice", how="left")
    ticket = t["importo_ticket"].cast(pl.Float64)
    quota_ord = t["quota_ordinaria"].cast(pl.Float64)
    tariffa = t["tariffa"].cast(pl.Float64)
    assert 0.40 <= quota(t["importo_ticket"], "0.00") <= 0.50
    assert ((ticket == 0) | (ticket == quota_ord)).all()
    assert (quota_ord > 0).all() and quota_ord.max() <= 36.15  # type: ignore[operator]
    assert ((quota_ord - tariffa.clip(upper_bound=36.15)).abs() < 0.001).all()
    assert t.filter(pl.col("stato") != "non_presentato")["forza_maggiore"].null_count() == \
        t.filter(pl.col("stato") != "non_presentato").height
    assenti = t.filter(pl.col("stato") == "non_presentato")["forza_maggiore"]
    assert 0.04 <= quota(assenti, "1") <= 0.18


def test_updated_after_the_last_event(tipizzato: pl.DataFrame) -> None:
    t = tipizzato
    assert (t["agg"] >= t["pren"]).all()
    chiuse = t.filter(pl.col("stato").is_in(["erogata", "non_presentato"]))
    assert (chiuse["agg"] >= chiuse["app"]).all()
    disdette = t.filter(pl.col("stato") == "disdetta_utente")
    assert (disdette["agg"] >= disdette["dis"]).all()


def test_large_exports_are_written_in_blocks_with_ids_continuing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cup.synthetic as synthetic

    monkeypatch.setattr(synthetic, "BLOCCO", 400)
    path = synthetic.scrivi_csv(tmp_path / "a.csv", rows=1000, seed=5)
    df = pl.read_csv(path, infer_schema=False)
    assert df.height == 1000
    assert df["id_prenotazione"].n_unique() == 1000
    assert df["id_prenotazione"][400] == "P2025-0000401"
    assert df.columns == list(synthetic.genera_prenotazioni(1).columns)
    again = synthetic.scrivi_csv(tmp_path / "b.csv", rows=1000, seed=5)
    assert again.read_bytes() == path.read_bytes()


def test_reports_collected(tipizzato: pl.DataFrame) -> None:
    """Delivered bookings only; most collected within 20 days, some late, a few never."""
    ritiro = pl.col("data_ritiro_referto").str.to_date("%Y-%m-%d", strict=True)
    assert tipizzato.filter(pl.col("stato") != "erogata")["data_ritiro_referto"].null_count() \
        == tipizzato.filter(pl.col("stato") != "erogata").height
    erogate = tipizzato.filter(pl.col("stato") == "erogata").with_columns(
        dopo=(ritiro - pl.col("app").dt.date()).dt.total_days())
    assert erogate["dopo"].drop_nulls().min() == 0  # type: ignore[comparison-overlap]
    assert 0.02 < quota(erogate["dopo"]) < 0.05  # never collected
    tardi = int((erogate["dopo"] > 30).sum()) / erogate.height
    assert 0.03 < tardi < 0.07
