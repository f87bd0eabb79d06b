"""The Conferenza report for people: records counted in the half-year of their fact, numbers
the Italian way, chart labels wrapped and never cut."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from registro.periodo import Periodo
from reports.conferenza import grafico_barre, numero_testo, percento, punti, sanzioni_nel_periodo
from reports.registro_sanzioni import data_evento

H1, H2 = Periodo.parse("2025-H1"), Periodo.parse("2025-H2")


def _registri(*righe: tuple[str, str, datetime, datetime | None]) -> pl.DataFrame:
    """(tipo, stato of the booking, appointment, cancellation), all issued on 31 December."""
    return pl.DataFrame(
        [{"tipo": t, "importo_cent": 2582, "stato": "emesso",
          "data_emissione": date(2025, 12, 31), "stato_prenotazione": s,
          "data_appuntamento": a, "data_disdetta": d} for t, s, a, d in righe],
        schema={"tipo": pl.String, "importo_cent": pl.Int64, "stato": pl.String,
                "data_emissione": pl.Date, "stato_prenotazione": pl.String,
                "data_appuntamento": pl.Datetime("us"), "data_disdetta": pl.Datetime("us")},
    ).with_columns(data_evento=data_evento())


def test_issued_in_december_for_a_march_appointment_counts_in_h1() -> None:
    df = _registri(("malum", "non_presentato", datetime(2025, 3, 10, 9), None))
    assert sanzioni_nel_periodo(df, H1)["malum"] == (1, 2582)
    assert sanzioni_nel_periodo(df, H2)["malum"] == (0, 0)


def test_a_cancellation_counts_on_its_own_day_not_the_appointments() -> None:
    # cancelled late on 30 June for an appointment on 1 July: the fact is the cancellation
    df = _registri(("malum", "disdetta_utente", datetime(2025, 7, 1, 9),
                    datetime(2025, 6, 30, 18)),
                   ("bonum", "erogata", datetime(2025, 7, 1, 9), None))
    assert sanzioni_nel_periodo(df, H1) == {"bonum": (0, 0), "malum": (1, 2582),
                                            "referto_non_ritirato": (0, 0)}
    assert sanzioni_nel_periodo(df, H2)["bonum"] == (1, 2582)


def test_a_record_without_its_booking_keeps_its_issue_date() -> None:
    df = _registri(("bonum", None, None, None))  # type: ignore[arg-type]
    assert sanzioni_nel_periodo(df, H2)["bonum"] == (1, 2582)


def test_italian_numbers() -> None:
    assert percento(0.542) == "54,2 %"
    assert percento(1.0) == "100,0 %"
    assert punti(2.5) == "+2,5" and punti(-1.0) == "−1,0" and punti(0.0) == "0,0"
    assert punti(None) == "—"
    assert numero_testo("1234") == "1.234" and numero_testo("4.5") == "4,5"


def test_chart_labels_are_wrapped_never_cut() -> None:
    lunga = "Diagnostica per immagini - Medicina nucleare e radioterapia oncologica"
    g = grafico_barre([{"branca": lunga, "quota_entro_standard": 0.5},
                       {"branca": "Cardiologia", "quota_entro_standard": None}], "branca")
    prima, seconda = g["barre"]
    assert " ".join(prima["linee"]) == lunga and len(prima["linee"]) > 1
    assert all(len(linea) <= 34 for linea in prima["linee"])
    assert seconda["linee"] == ["Cardiologia"] and seconda["quota"] is None
    assert seconda["y"] >= prima["y"] + prima["alto"]          # rows never overlap
    assert g["altezza"] >= seconda["y"] + seconda["alto"]
