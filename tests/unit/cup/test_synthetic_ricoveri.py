"""The synthetic planned-admission list: deterministic, consistent, mostly in chronological
order with a few overtakes, plausible, and free of personal data."""

from __future__ import annotations

import io
from datetime import date
from importlib import resources
from itertools import groupby
from pathlib import Path

import polars as pl
import pytest

from cup.synthetic import SEDI
from cup.synthetic_ricoveri import (
    COLONNE_RICOVERI,
    PATOLOGIE,
    REPARTI,
    genera_ricoveri,
    scrivi_csv_ricoveri,
)
from registro.festivi import festivi

N = 20_000
ANNO = 2025
CODICE_FISCALE = r"[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]"
MASSIMI = {"A": 30, "B": 60, "C": 180, "D": 365}
OSPEDALI = {codice for codice, nome, _, _ in SEDI if nome.startswith(("Ospedale", "Presidio"))}


@pytest.fixture(scope="module")
def df() -> pl.DataFrame:
    return genera_ricoveri(N, seed=7, anno=ANNO)


@pytest.fixture(scope="module")
def tipizzato(df: pl.DataFrame) -> pl.DataFrame:
    """The list with parsed dates and the wait in calendar days (admitted entries)."""
    def ts(c: str) -> pl.Expr:
        return pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M", strict=True)

    return (
        df.with_columns(ins=ts("data_inserimento"), canc=ts("data_cancellazione"),
                        agg=ts("aggiornato_il"),
                        ric=pl.col("data_ricovero").str.to_date("%Y-%m-%d", strict=True))
        .with_columns(attesa=(pl.col("ric") - pl.col("ins").dt.date()).dt.total_days())
    )


def share(vero: pl.Series) -> float:
    """Share of True in a boolean series."""
    return int(vero.sum()) / max(vero.len(), 1)


def fuori_ordine(df: pl.DataFrame) -> set[str]:
    """Plain Python: the admitted entries that overtook, in their ward, an entry of the same or
    a more urgent class inserted strictly earlier and still waiting on their admission date
    (admitted later, or never admitted and not cancelled)."""
    mai = "9999-99-99"
    righe = (df.select("codice_reparto", "data_inserimento", "id_ricovero", "classe_priorita",
                       "stato", "data_ricovero")
             .sort("codice_reparto", "data_inserimento").rows())
    trovati: set[str] = set()
    for _, del_reparto in groupby(righe, key=lambda r: r[0]):
        ultimo = dict.fromkeys("ABCD", "")  # latest admission among those inserted so far
        for _, stesso_momento in groupby(del_reparto, key=lambda r: r[1]):
            gruppo = list(stesso_momento)
            for _, _, id_ric, classe, stato, ric in gruppo:
                precedenti = max(ultimo[c] for c in "ABCD" if c <= classe)
                if stato == "ricoverato" and precedenti > ric:
                    trovati.add(id_ric)
            for _, _, _, classe, stato, ric in gruppo:
                if stato != "cancellato":
                    ultimo[classe] = max(ultimo[classe], ric if stato == "ricoverato" else mai)
    return trovati


# -- determinism, layout ------------------------------------------------------------------

def test_same_seed_same_frame_other_seed_other_frame() -> None:
    a = genera_ricoveri(3_000, seed=5)
    assert a.equals(genera_ricoveri(3_000, seed=5))
    assert not a.equals(genera_ricoveri(3_000, seed=6))


def test_columns_all_text(df: pl.DataFrame) -> None:
    assert df.height == N
    assert df.columns == [
        "id_ricovero", "data_inserimento", "codice_reparto", "codice_patologia",
        "descrizione_patologia", "classe_priorita", "stato", "data_ricovero",
        "data_cancellazione", "id_assistito", "aggiornato_il"]
    assert tuple(df.columns) == COLONNE_RICOVERI
    assert all(dtype == pl.String for dtype in df.dtypes)


@pytest.mark.parametrize("rows", [1, 2, 17, 333])
def test_exactly_the_rows_asked(rows: int) -> None:
    assert genera_ricoveri(rows, seed=3).height == rows


def test_zero_rows_empty_frame_negative_refused() -> None:
    vuoto = genera_ricoveri(0)
    assert vuoto.height == 0 and tuple(vuoto.columns) == COLONNE_RICOVERI
    with pytest.raises(ValueError):
        genera_ricoveri(-1)


def test_ids_unique_per_year_of_insertion_in_insertion_order(tipizzato: pl.DataFrame) -> None:
    ids = tipizzato["id_ricovero"]
    assert ids.n_unique() == N
    assert ids.str.contains(r"^R\d{4}-\d{6}$").all()
    assert (ids.str.slice(1, 4).cast(pl.Int32) == tipizzato["ins"].dt.year()).all()
    assert ids.is_sorted() and tipizzato["data_inserimento"].is_sorted()
    correnti = ids.filter(ids.str.starts_with(f"R{ANNO}-"))
    assert correnti[0] == f"R{ANNO}-000001"
    assert correnti[-1] == f"R{ANNO}-{correnti.len():06d}"  # no gaps in the current year


def test_formats_and_office_hours(tipizzato: pl.DataFrame) -> None:
    for colonna in ("data_inserimento", "aggiornato_il"):
        assert tipizzato[colonna].str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$").all()
    assert (tipizzato["data_cancellazione"].drop_nulls()
            .str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$").all())
    assert tipizzato["data_ricovero"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    ins = tipizzato["ins"]
    assert (ins.dt.weekday() <= 5).all()  # Monday-Friday
    assert ins.dt.hour().is_between(8, 16).all()
    feste = festivi(ANNO - 2) | festivi(ANNO - 1) | festivi(ANNO)
    assert not set(ins.dt.date().to_list()) & feste
    ric = tipizzato["ric"].drop_nulls()
    assert (ric.dt.weekday() <= 5).all() and not set(ric.to_list()) & feste


# -- consistency --------------------------------------------------------------------------

def test_state_and_dates_consistent(tipizzato: pl.DataFrame) -> None:
    stato = tipizzato["stato"]
    assert set(stato.unique()) == {"in_attesa", "ricoverato", "cancellato"}
    ha_ricovero = tipizzato["data_ricovero"].is_not_null()
    assert (ha_ricovero == (stato == "ricoverato")).all()
    assert tipizzato.filter(pl.col("data_cancellazione").is_not_null())["stato"].unique() \
        .to_list() == ["cancellato"]
    cancellati = tipizzato.filter(pl.col("stato") == "cancellato")
    assert 0.7 < share(cancellati["data_cancellazione"].is_not_null()) < 0.9


def test_no_admission_before_insertion_and_everything_by_the_end_of_the_year(
        tipizzato: pl.DataFrame) -> None:
    fine = date(ANNO, 12, 31)
    ammessi = tipizzato.filter(pl.col("stato") == "ricoverato")
    assert (ammessi["ric"] > ammessi["ins"].dt.date()).all()
    assert ammessi["ric"].is_between(date(ANNO, 1, 1), fine).all()
    cancellati = tipizzato.filter(pl.col("canc").is_not_null())
    assert (cancellati["canc"] > cancellati["ins"]).all()
    assert (cancellati["canc"].dt.date() <= fine).all()
    assert (tipizzato["agg"] >= tipizzato["ins"]).all()
    assert (tipizzato["agg"].dt.date() <= fine).all()


def test_backlog_from_before_the_year_still_open_on_1_january(
        tipizzato: pl.DataFrame) -> None:
    arretrato = tipizzato.filter(pl.col("ins").dt.year() < ANNO)
    assert 0.05 < arretrato.height / N < 0.35
    assert (arretrato["ins"].dt.year() >= ANNO - 2).all()
    assert (arretrato["ric"].drop_nulls() >= date(ANNO, 1, 1)).all()
    assert (arretrato["canc"].drop_nulls().dt.date() >= date(ANNO, 1, 1)).all()
    mesi = tipizzato.filter(pl.col("ins").dt.year() == ANNO)["ins"].dt.month()
    assert mesi.n_unique() == 12  # insertions all over the year


# -- realism ------------------------------------------------------------------------------

def quota(serie: pl.Series, valore: str) -> float:
    return share(serie == valore)


def test_class_mix(df: pl.DataFrame) -> None:
    classi = df["classe_priorita"]
    assert set(classi.unique()) == {"A", "B", "C", "D"}
    assert 0.18 < quota(classi, "A") < 0.32
    assert 0.22 < quota(classi, "B") < 0.38
    assert 0.22 < quota(classi, "C") < 0.38
    assert 0.08 < quota(classi, "D") < 0.22
    oncologia = df.filter(pl.col("codice_patologia").is_in(["85.4", "45.7", "48.5", "32.4",
                                                            "36.1"]))
    assert quota(oncologia["classe_priorita"], "A") > 0.6
    protesi = df.filter(pl.col("codice_patologia").is_in(["81.51", "81.54", "13.41"]))
    assert share(protesi["classe_priorita"].is_in(["C", "D"])) > 0.7


def test_cancelled_share(df: pl.DataFrame) -> None:
    assert 0.05 < quota(df["stato"], "cancellato") < 0.11


def test_waits_by_class_with_tails_past_the_maximum(tipizzato: pl.DataFrame) -> None:
    per_classe = (tipizzato.filter(pl.col("stato") == "ricoverato")
                  .group_by("classe_priorita")
                  .agg(mediana=pl.col("attesa").median(),
                       oltre=(pl.col("attesa") > pl.col("classe_priorita")
                              .replace_strict(MASSIMI)).mean())
                  .sort("classe_priorita"))
    mediane = dict(zip(per_classe["classe_priorita"], per_classe["mediana"], strict=True))
    oltre = dict(zip(per_classe["classe_priorita"], per_classe["oltre"], strict=True))
    assert 12 <= mediane["A"] <= 30 and 30 <= mediane["B"] <= 65
    assert 80 <= mediane["C"] <= 150 and 150 <= mediane["D"] <= 280
    assert all(0.01 < oltre[c] < 0.4 for c in "ABCD"), oltre


def test_pathologies_only_in_their_disciplines_wards(df: pl.DataFrame) -> None:
    discipline = {codice: d for codice, _, d in PATOLOGIE}
    descrizioni = {codice: descr for codice, descr, _ in PATOLOGIE}
    coppie = df.select("codice_reparto", "codice_patologia", "descrizione_patologia").unique()
    for reparto, patologia, descrizione in coppie.iter_rows():
        assert reparto.split(".")[0] in discipline[patologia], (reparto, patologia)
        assert descrizione == descrizioni[patologia]
    assert set(df["codice_reparto"].unique()) == {r[0] for r in REPARTI}
    assert set(df["codice_patologia"].unique()) == set(discipline)


def test_wards_real_disciplines_at_hospitals_and_shipped_csv() -> None:
    assert len({r[0] for r in REPARTI}) == len(REPARTI)
    assert all(r[0][:2].isdigit() and r[0][2] == "." for r in REPARTI)
    assert {r[2] for r in REPARTI} <= OSPEDALI
    assert all(c.replace(".", "").isdigit() and "." in c for c, _, _ in PATOLOGIE)
    dati = resources.files("registro").joinpath("data", "reparti_demo.csv").read_bytes()
    csv = pl.read_csv(io.BytesIO(dati), infer_schema=False)
    assert csv.columns == ["codice", "nome", "presidio"]
    assert csv.rows() == REPARTI


def test_mostly_in_order_with_a_few_overtakes(df: pl.DataFrame) -> None:
    ammessi = int((df["stato"] == "ricoverato").sum())
    sorpassi = fuori_ordine(df)
    assert sorpassi
    assert 0.005 < len(sorpassi) / ammessi < 0.15


def test_order_check_itself() -> None:
    """The plain-Python check above on a hand-built list."""
    def riga(id_: str, ins: str, classe: str, stato: str, ric: str | None) -> dict[str, object]:
        return {"id_ricovero": id_, "codice_reparto": "09.01", "data_inserimento": ins,
                "classe_priorita": classe, "stato": stato, "data_ricovero": ric}

    lista = pl.DataFrame([
        riga("1", "2025-01-01T09:00", "B", "ricoverato", "2025-03-01"),
        riga("2", "2025-01-02T09:00", "B", "ricoverato", "2025-02-01"),  # overtakes 1
        riga("3", "2025-01-03T09:00", "A", "ricoverato", "2025-01-20"),  # more urgent: fine
        riga("4", "2025-01-04T09:00", "C", "cancellato", None),
        riga("5", "2025-01-05T09:00", "C", "ricoverato", "2025-04-01"),  # 4 cancelled: fine
        riga("6", "2025-01-06T09:00", "A", "in_attesa", None),
        riga("7", "2025-01-06T09:00", "A", "ricoverato", "2025-02-10"),  # same time as 6: fine
        riga("8", "2025-01-07T09:00", "D", "ricoverato", "2025-05-01"),  # 6 still waiting
    ])
    assert fuori_ordine(lista) == {"2", "8"}


# -- privacy, files -----------------------------------------------------------------------

def test_nothing_shaped_like_a_codice_fiscale(df: pl.DataFrame) -> None:
    assert df["id_assistito"].str.contains(r"^A\d{7}$").all()
    for colonna in df.columns:
        assert not df[colonna].drop_nulls().str.contains(CODICE_FISCALE).any(), colonna


def test_csv_round_trip(tmp_path: Path) -> None:
    scritto = scrivi_csv_ricoveri(tmp_path / "sub" / "ricoveri.csv", 500, seed=2)
    letto = pl.read_csv(scritto, infer_schema=False)
    assert letto.equals(genera_ricoveri(500, seed=2))
