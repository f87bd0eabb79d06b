"""Tests of reports.stats: hand-built boundary cases and a Hypothesis check against the oracle."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from supporto.oracoli.stats import andamento as oracolo_andamento
from supporto.oracoli.stats import tabella as oracolo

from registro.letture import SCHEMA_LETTURA
from registro.periodo import Periodo
from registro.standards import CARTA1995, PNGLA, Profilo, Regola
from reports.stats import COLONNE, SCHEMA, scrivi_tabella, tabella_prestazioni

# carta1995 extended as a local file would: a code override and a class rule (so the table
# is split by class, while U stays outside the guarantee as under carta1995).
LOCALE = Profilo(
    nome="carta1995+locale",
    specialistica=(
        *CARTA1995.specialistica,
        Regola(giorni=5, chiavi=(("codice_prestazione", "89.7"),)),
        Regola(giorni=4, chiavi=(("classe_priorita", "B"),)),
    ),
    ricoveri=CARTA1995.ricoveri,
    classi_fuori_garanzia=CARTA1995.classi_fuori_garanzia,
)

_contatore = iter(range(1_000_000_000))


def riga(prenotata: datetime | date, attesa: int | None = None, *,
         appuntamento: datetime | None = None, codice: str = "89.7", sede: str = "S1",
         classe: str | None = "B", accesso: str | None = "primo", scelta: bool | None = False,
         stato: str = "erogata", tipo: str = "visita",
         prescritta: date | None = None) -> dict[str, Any]:
    if not isinstance(prenotata, datetime):
        prenotata = datetime.combine(prenotata, time(10, 0))
    if appuntamento is None:
        assert attesa is not None
        appuntamento = datetime.combine(prenotata.date() + timedelta(days=attesa), time(9, 0))
    return {
        "id_prenotazione": f"P{next(_contatore)}",
        "data_prenotazione": prenotata,
        "data_appuntamento": appuntamento,
        "data_prescrizione": prescritta,
        "codice_prestazione": codice,
        "codice_sede": sede,
        "classe_priorita": classe,
        "tipo_accesso": accesso,
        "scelta_utente": scelta,
        "stato": stato,
        "tipo": tipo,
    }


def lazy(righe: list[dict[str, Any]]) -> pl.LazyFrame:
    """The rows as the register reads them (the columns a row leaves out are null), before
    any check: without `fuori_ordine`, which the check records, so the table counts the
    overtakes itself."""
    return pl.DataFrame(righe, schema={c: t for c, t in SCHEMA_LETTURA.items()
                                       if c != "fuori_ordine"}).lazy()


def calcola(righe: list[dict[str, Any]], periodo: str = "2026", *,
            profilo: Profilo = CARTA1995, lettura: str = "ex_ante") -> list[dict[str, Any]]:
    """The polars table as dicts, checked against the oracle on the way."""
    p = Periodo.parse(periodo)
    df = tabella_prestazioni(lazy(righe), profilo=profilo, periodo=p,
                             lettura=lettura)  # type: ignore[arg-type]
    assert df.columns == COLONNE
    assert df.schema == SCHEMA
    out = df.to_dicts()
    assert out == oracolo(righe, profilo=profilo, periodo=p, lettura=lettura)
    return out


def unica(righe: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    out = calcola(righe, **kw)
    assert len(out) == 1, out
    return out[0]


GEN = date(2026, 1, 5)


# --- statistics -----------------------------------------------------------------------------

def test_mediana_di_un_numero_pari_e_x_5() -> None:
    r = unica([riga(GEN, a) for a in (1, 2, 3, 6)])
    assert r["n"] == 4
    assert r["attesa_mediana"] == 2.5
    assert r["attesa_media"] == 3.0


def test_mediana_di_un_numero_dispari_e_il_valore_centrale() -> None:
    assert unica([riga(GEN, a) for a in (9, 1, 4)])["attesa_mediana"] == 4.0


@pytest.mark.parametrize(("n", "atteso"), [(10, 9), (11, 10), (1, 1), (20, 18), (19, 18)])
def test_p90_rango_piu_vicino(n: int, atteso: int) -> None:
    # waits 1..n in scrambled order: the p90 is the ⌈0.9·n⌉-th smallest, i.e. that value
    attese = list(range(n, 0, -1))
    r = unica([riga(GEN, a) for a in attese])
    assert r["attesa_p90"] == atteso


def test_p90_con_n_1_e_la_sola_attesa() -> None:
    assert unica([riga(GEN, 13)])["attesa_p90"] == 13


def test_media_arrotondata_mezzo_in_su() -> None:
    # 9 / 4 = 2.25 -> 2.3 (half up; banker's rounding and float round() give 2.2)
    r = unica([riga(GEN, a) for a in (1, 2, 3, 3)])
    assert r["attesa_media"] == 2.3
    # 2 / 3 = 0.666… -> 0.7 ; 1/3 -> 0.3
    assert unica([riga(GEN, a) for a in (0, 1, 1)])["attesa_media"] == 0.7
    assert unica([riga(GEN, a) for a in (0, 0, 1)])["attesa_media"] == 0.3


def test_quota_arrotondata_mezzo_in_su_a_tre_decimali() -> None:
    # 1 of 16 within the 7 days: 0.0625 -> 0.063 (banker's would give 0.062)
    righe = [riga(GEN, 3)] + [riga(GEN, 8) for _ in range(15)]
    assert unica(righe)["quota_entro_standard"] == 0.063
    # 2 of 3 -> 0.667
    assert unica([riga(GEN, 1), riga(GEN, 2), riga(GEN, 30)])["quota_entro_standard"] == 0.667


def test_attesa_uguale_allo_standard_e_entro() -> None:
    r = unica([riga(GEN, 7, tipo="visita")])  # carta1995: visita 7 days
    assert (r["standard_giorni"], r["quota_entro_standard"]) == (7, 1.0)
    r = unica([riga(GEN, 8, tipo="visita")])
    assert (r["standard_giorni"], r["quota_entro_standard"]) == (7, 0.0)
    r = unica([riga(GEN, 2, tipo="laboratorio"), riga(GEN, 3, tipo="laboratorio")])
    assert (r["standard_giorni"], r["quota_entro_standard"]) == (2, 0.5)


def test_prenotazione_in_giornata_attende_zero_giorni() -> None:
    # booked at 18:00 for 08:00 the same day (timestamps would give a negative wait)
    mattina = datetime(2026, 3, 2, 8, 0)
    r = unica([riga(datetime(2026, 3, 2, 18, 0), appuntamento=mattina)])
    assert (r["attesa_media"], r["attesa_mediana"], r["attesa_p90"]) == (0.0, 0.0, 0)
    # 23:59 -> 00:01 next day is one calendar day
    r = unica([riga(datetime(2026, 3, 2, 23, 59), appuntamento=datetime(2026, 3, 3, 0, 1))])
    assert r["attesa_p90"] == 1


def test_fuori_garanzia_contati_a_parte_ed_esclusi_da_n() -> None:
    righe = [
        riga(GEN, 2), riga(GEN, 4),
        riga(GEN, 50, accesso="controllo"),
        riga(GEN, 60, scelta=True),
        riga(GEN, 70, classe="U"),  # carta1995: "salvo urgenze"
        riga(GEN, 3, accesso=None, scelta=None),  # defaults: primo, not a choice -> in
    ]
    r = unica(righe)
    assert r["n"] == 3
    assert r["n_fuori_garanzia"] == 3
    assert r["attesa_media"] == 3.0
    assert r["attesa_p90"] == 4


def test_gruppo_solo_fuori_garanzia_ha_statistiche_nulle() -> None:
    righe = [riga(GEN, 2), riga(GEN, 40, sede="S2", accesso="controllo"),
             riga(GEN, 1, sede="S2", scelta=True)]
    s1, s2 = calcola(righe)
    assert (s1["codice_sede"], s1["n"], s1["n_fuori_garanzia"]) == ("S1", 1, 0)
    assert s2 == {
        "periodo": "2026", "codice_prestazione": "89.7", "codice_sede": "S2",
        "classe_priorita": None, "n": 0, "attesa_media": None, "attesa_mediana": None,
        "attesa_p90": None, "standard_giorni": None, "quota_entro_standard": None,
        "n_fuori_garanzia": 2, "quota_fuori_ordine": None,
    }


def test_standard_nullo_se_il_gruppo_ha_piu_obiettivi() -> None:
    # an inconsistent catalog type for one code: the group has no single target; each
    # booking is still measured against its own one
    r = unica([riga(GEN, 3, tipo="laboratorio"), riga(GEN, 3, tipo="visita")])
    assert r["n"] == 2
    assert r["standard_giorni"] is None
    assert r["quota_entro_standard"] == 0.5


# --- readings and periods -------------------------------------------------------------------

def test_ex_ante_ed_ex_post_scelgono_prenotazioni_diverse() -> None:
    righe = [
        # booked in January, delivered in February
        riga(datetime(2026, 1, 20, 10), appuntamento=datetime(2026, 2, 3, 9), codice="A"),
        # booked and delivered in January, but never delivered (cancelled by the authority)
        riga(datetime(2026, 1, 10, 10), appuntamento=datetime(2026, 1, 15, 9), codice="B",
             stato="annullata_ente"),
        # booked in December, delivered in January
        riga(datetime(2025, 12, 28, 10), appuntamento=datetime(2026, 1, 2, 9), codice="C"),
        # still only booked, appointment in January
        riga(datetime(2025, 12, 20, 10), appuntamento=datetime(2026, 1, 7, 9), codice="D",
             stato="prenotata"),
    ]
    ante = calcola(righe, "2026-01", lettura="ex_ante")
    assert [r["codice_prestazione"] for r in ante] == ["A", "B"]
    assert [r["attesa_p90"] for r in ante] == [14, 5]
    post = calcola(righe, "2026-01", lettura="ex_post")
    assert [r["codice_prestazione"] for r in post] == ["C"]
    assert post[0]["attesa_p90"] == 5
    assert [r["codice_prestazione"] for r in calcola(righe, "2026-02", lettura="ex_post")] == ["A"]


def test_confini_del_periodo() -> None:
    righe = [
        riga(datetime(2025, 12, 31, 23, 59, 59, 999_999), 1, codice="DIC"),
        riga(datetime(2026, 1, 1, 0, 0), 1, codice="GEN"),
        riga(datetime(2026, 3, 31, 23, 59), 1, codice="MAR"),
        riga(datetime(2026, 4, 1, 0, 0), 1, codice="APR"),
    ]
    codici = lambda p: [r["codice_prestazione"] for r in calcola(righe, p)]  # noqa: E731
    assert codici("2025") == ["DIC"]
    assert codici("2025-12") == ["DIC"]
    assert codici("2025-H2") == ["DIC"]
    assert codici("2026") == ["APR", "GEN", "MAR"]
    assert codici("2026-Q1") == ["GEN", "MAR"]
    assert codici("2026-01") == ["GEN"]
    assert codici("2026-Q2") == ["APR"]
    assert codici("2026-H1") == ["APR", "GEN", "MAR"]
    assert all(r["periodo"] == "2026-Q1" for r in calcola(righe, "2026-Q1"))


def test_ex_post_confini_sulla_data_di_erogazione() -> None:
    righe = [
        riga(datetime(2025, 12, 1), appuntamento=datetime(2025, 12, 31, 23, 59), codice="DIC"),
        riga(datetime(2025, 12, 1), appuntamento=datetime(2026, 1, 1, 0, 0), codice="GEN"),
    ]
    assert [r["codice_prestazione"] for r in calcola(righe, "2026", lettura="ex_post")] == ["GEN"]
    assert [r["codice_prestazione"] for r in calcola(righe, "2025", lettura="ex_post")] == ["DIC"]


def test_nessuna_prenotazione_nel_periodo_da_tabella_vuota() -> None:
    assert calcola([riga(GEN, 3)], "2024") == []
    df = tabella_prestazioni(lazy([]), profilo=PNGLA, periodo=Periodo.parse("2026"))
    assert df.shape == (0, len(COLONNE))
    assert df.schema == SCHEMA


# --- profiles -------------------------------------------------------------------------------

def test_pngla_divide_per_classe_carta1995_no() -> None:
    righe = [
        riga(GEN, 2, classe="U"),
        riga(GEN, 5, classe="U"),
        riga(GEN, 9, classe="B"),
        riga(GEN, 25, classe="D", tipo="visita"),
        riga(GEN, 90, classe="P"),
        riga(GEN, 6, classe=None),
    ]
    pngla = calcola(righe, profilo=PNGLA)
    assert [r["classe_priorita"] for r in pngla] == [None, "B", "D", "P", "U"]  # nulls first
    per_classe = {r["classe_priorita"]: r for r in pngla}
    # urgent: in guarantee under pngla, against 3 days
    assert (per_classe["U"]["n"], per_classe["U"]["standard_giorni"]) == (2, 3)
    assert per_classe["U"]["quota_entro_standard"] == 0.5
    assert per_classe["B"]["standard_giorni"] == 10
    assert per_classe["D"]["standard_giorni"] == 30
    assert per_classe["P"]["standard_giorni"] == 120
    # no class: no pngla target applies, so outside the guarantee
    assert (per_classe[None]["n"], per_classe[None]["n_fuori_garanzia"]) == (0, 1)

    (carta,) = calcola(righe, profilo=CARTA1995)
    assert carta["classe_priorita"] is None
    assert carta["n"] == 4  # B, D, P and no class: visita, 7 days
    assert carta["n_fuori_garanzia"] == 2  # the two urgent ones, "salvo urgenze"
    assert carta["standard_giorni"] == 7


def test_pngla_diagnostica_d_60_giorni() -> None:
    r = unica([riga(GEN, 60, classe="D", tipo="immagini")], profilo=PNGLA)
    assert (r["standard_giorni"], r["quota_entro_standard"]) == (60, 1.0)


def test_ordine_per_codice_sede_classe() -> None:
    righe = [riga(GEN, 1, codice=c, sede=s, classe=k)
             for c in ("95.02", "0089", "89.7") for s in ("S2", "S1") for k in ("P", None, "B")]
    out = calcola(righe, profilo=PNGLA)
    chiavi = [(r["codice_prestazione"], r["codice_sede"], r["classe_priorita"]) for r in out]
    assert chiavi[:3] == [("0089", "S1", None), ("0089", "S1", "B"), ("0089", "S1", "P")]
    assert len(chiavi) == 18
    assert [c for c, _, _ in chiavi] == sorted(c for c, _, _ in chiavi)


def test_lettura_sconosciuta_rifiutata() -> None:
    with pytest.raises(ValueError, match="lettura"):
        tabella_prestazioni(lazy([]), profilo=CARTA1995, periodo=Periodo.parse("2026"),
                            lettura="ex_medio")  # type: ignore[arg-type]


# --- against the oracle ---------------------------------------------------------------------

INIZIO = datetime(2025, 1, 1)
SECONDI_2_ANNI = int((datetime(2027, 1, 1) - INIZIO).total_seconds()) - 1

periodi = st.one_of(
    st.sampled_from(["2025", "2026"]),
    st.builds(lambda a, h: f"{a}-H{h}", st.sampled_from([2025, 2026]), st.integers(1, 2)),
    st.builds(lambda a, q: f"{a}-Q{q}", st.sampled_from([2025, 2026]), st.integers(1, 4)),
    st.builds(lambda a, m: f"{a}-{m:02d}", st.sampled_from([2025, 2026]), st.integers(1, 12)),
)


@st.composite
def prenotazioni(draw: st.DrawFn) -> dict[str, Any]:
    prenotata = INIZIO + timedelta(seconds=draw(st.integers(0, SECONDI_2_ANNI)))
    # a small wait is frequent (same-day bookings, targets of 2-10 days), long ones happen
    giorni = draw(st.one_of(st.integers(0, 12), st.integers(0, 200)))
    ora = draw(st.integers(0, 24 * 60 - 1))
    appuntamento = datetime.combine(prenotata.date() + timedelta(days=giorni),
                                    time(ora // 60, ora % 60))
    prescritta = draw(st.one_of(st.none(), st.integers(0, 60).map(
        lambda d: prenotata.date() - timedelta(days=d))))
    return riga(
        prenotata, appuntamento=appuntamento, prescritta=prescritta,
        codice=draw(st.sampled_from(["89.7", "0089", "88.71.4", "95.02"])),
        sede=draw(st.sampled_from(["S1", "S2", "OSP-03"])),
        classe=draw(st.sampled_from([None, "U", "B", "D", "P"])),
        accesso=draw(st.sampled_from([None, "primo", "controllo"])),
        scelta=draw(st.sampled_from([None, False, True])),
        stato=draw(st.sampled_from(["prenotata", "erogata", "erogata", "annullata_ente",
                                    "disdetta_utente", "non_presentato"])),
        tipo=draw(st.sampled_from(["laboratorio", "immagini", "visita", "strumentale"])),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(righe=st.lists(prenotazioni(), max_size=80), periodo=periodi)
def test_uguale_all_oracolo(righe: list[dict[str, Any]], periodo: str) -> None:
    for profilo in (CARTA1995, PNGLA, LOCALE):
        for lettura in ("ex_ante", "ex_post"):
            calcola(righe, periodo, profilo=profilo, lettura=lettura)


# sizes that are multiples of 10 are where ⌈0.9·n⌉ is exact and an off-by-one shows
dimensioni = st.one_of(st.integers(1, 30).map(lambda k: 10 * k), st.integers(1, 300))


@settings(max_examples=40, deadline=None)
@given(attese=dimensioni.flatmap(
    lambda n: st.lists(st.integers(0, 400), min_size=n, max_size=n)))
def test_statistiche_di_un_gruppo_grande_uguali_all_oracolo(attese: list[int]) -> None:
    # one group, many bookings: rank arithmetic and rounding at larger n
    calcola([riga(GEN, a) for a in attese], profilo=PNGLA)


# --- writing --------------------------------------------------------------------------------

def tabella_scritta() -> pl.DataFrame:
    return pl.DataFrame([
        {"periodo": "2026-Q1", "codice_prestazione": "0089", "codice_sede": "S1",
         "classe_priorita": None, "n": 12345, "attesa_media": 3.5, "attesa_mediana": 2.5,
         "attesa_p90": 9, "standard_giorni": 7, "quota_entro_standard": 0.063,
         "n_fuori_garanzia": 1},
        {"periodo": "2026-Q1", "codice_prestazione": "89.7", "codice_sede": "Città-1",
         "classe_priorita": "B", "n": 0, "attesa_media": None, "attesa_mediana": None,
         "attesa_p90": None, "standard_giorni": None, "quota_entro_standard": None,
         "n_fuori_garanzia": 4},
        {"periodo": "2026-Q1", "codice_prestazione": '=HYPERLINK("x")', "codice_sede": "+39",
         "classe_priorita": "@B", "n": 1, "attesa_media": -1.5, "attesa_mediana": 1234567.0,
         "attesa_p90": -2, "standard_giorni": 10, "quota_entro_standard": 1.0,
         "n_fuori_garanzia": 0},
        {"periodo": "2026-Q1", "codice_prestazione": "-1", "codice_sede": "a,b;c\"d",
         "classe_priorita": "D", "n": 2, "attesa_media": 0.0, "attesa_mediana": 0.0,
         "attesa_p90": 0, "standard_giorni": 0, "quota_entro_standard": 0.0,
         "n_fuori_garanzia": 0},
    ], schema=SCHEMA)


def test_csv_codici_testo_nulli_vuoti_formule_neutralizzate(tmp_path: Path) -> None:
    df = tabella_scritta()
    path = scrivi_tabella(df, tmp_path / "out" / "tabella.csv", "csv")
    assert path == tmp_path / "out" / "tabella.csv"
    testo = path.read_bytes().decode("utf-8")
    assert not testo.startswith("\ufeff")
    with path.open(encoding="utf-8", newline="") as f:
        righe = list(csv.reader(f))
    assert righe[0] == COLONNE
    assert righe[1] == ["2026-Q1", "0089", "S1", "", "12345", "3.5", "2.5", "9", "7", "0.063",
                        "1", ""]
    assert righe[2] == ["2026-Q1", "89.7", "Città-1", "B", "0", "", "", "", "", "", "4", ""]
    # text cells neutralised, numbers (even negative ones) never
    assert righe[3] == ["2026-Q1", "'=HYPERLINK(\"x\")", "'+39", "'@B", "1", "-1.5",
                        "1234567.0", "-2", "10", "1.0", "0", ""]
    assert righe[4][1:3] == ["'-1", "a,b;c\"d"]
    assert len(righe) == 5
    # typed read-back: the same table, only the neutralised text differs
    letta = pl.read_csv(path, schema=SCHEMA)
    atteso = df.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@]")).then("'" + pl.col(c))
        .otherwise(pl.col(c)).alias(c)
        for c in ("codice_prestazione", "codice_sede", "classe_priorita"))
    assert letta.equals(atteso)


def test_csv_di_una_tabella_calcolata_rilegge_uguale(tmp_path: Path) -> None:
    righe = [riga(GEN, a, codice=c) for a in (1, 2, 3, 9) for c in ("0089", "89.7", "88.71.4")]
    righe.append(riga(GEN, 3, codice="0089", sede="S2", accesso="controllo"))
    df = tabella_prestazioni(lazy(righe), profilo=PNGLA, periodo=Periodo.parse("2026-01"))
    path = scrivi_tabella(df, tmp_path / "t.csv", "csv")
    assert pl.read_csv(path, schema=SCHEMA).equals(df)
    # untyped: codes remain the exact strings
    grezza = pl.read_csv(path, infer_schema=False)
    assert grezza["codice_prestazione"].to_list() == ["0089", "0089", "88.71.4", "89.7"]


def test_json_lista_di_oggetti(tmp_path: Path) -> None:
    df = tabella_scritta()
    path = scrivi_tabella(df, tmp_path / "tabella.json", "json")
    dati = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(dati, list)
    assert all(list(d) == COLONNE for d in dati)
    assert dati == df.to_dicts()  # values as they are: no neutralisation outside CSV
    assert dati[0]["n"] == 12345 and isinstance(dati[0]["n"], int)
    assert dati[0]["attesa_media"] == 3.5
    assert dati[1]["attesa_media"] is None
    assert "Città-1" in path.read_text(encoding="utf-8")  # ensure_ascii=False


def test_scrittura_sostituisce_il_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("vecchio\n", encoding="utf-8")
    scrivi_tabella(tabella_scritta().head(1), path, "csv")
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLONNE)
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_formato_sconosciuto_rifiutato(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formato"):
        scrivi_tabella(tabella_scritta(), tmp_path / "t.xlsx", "xlsx")  # type: ignore[arg-type]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(righe=st.lists(prenotazioni(), max_size=80), periodo=periodi,
       profilo=st.sampled_from([CARTA1995, PNGLA]))
def test_andamento_mensile_del_sito_uguale_all_oracolo(righe: list[dict[str, Any]],
                                                       periodo: str, profilo: Profilo) -> None:
    """The site's monthly trend is a published table: the same definitions as the stats
    tables (registro.statistiche), checked against the plain-Python oracle."""
    from public_site.dati import andamento_mensile

    p = Periodo.parse(periodo)
    nostro = andamento_mensile(lazy(righe), profilo=profilo, periodo=p).collect()
    assert nostro.to_dicts() == oracolo_andamento(righe, profilo=profilo, periodo=p)


def test_quota_fuori_ordine_counts_overtakes_from_before_the_period() -> None:
    """Carta §5.1: a booking of the period that overtook one booked the year before counts;
    the share is over the bookings in guarantee of the group."""
    prima = riga(datetime(2025, 12, 30, 9, 0), 40)           # appointment 8 Feb 2026
    sorpasso = riga(datetime(2026, 1, 5, 9, 0), 3)           # appointment 8 Jan 2026
    in_ordine = riga(datetime(2026, 1, 6, 9, 0), 40)         # appointment 15 Feb 2026
    (s1,) = calcola([prima, sorpasso, in_ordine])
    assert (s1["n"], s1["quota_fuori_ordine"]) == (2, 0.5)
