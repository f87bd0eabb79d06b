"""Standards profiles: the targets are data; the most specific rule wins; local files win."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registro.errors import ErroreUtente
from registro.periodo import Periodo
from registro.standards import CARTA1995, PNGLA, Profilo, carica_profilo


@pytest.mark.parametrize("tipo, giorni", [
    ("laboratorio", 2), ("immagini", 5), ("visita", 7), ("strumentale", 7)])
def test_carta1995_targets(tipo: str, giorni: int) -> None:
    assert CARTA1995.standard(tipo=tipo, codice_prestazione="x", classe_priorita=None) == giorni
    assert CARTA1995.standard(tipo=tipo, codice_prestazione="x", classe_priorita="D") == giorni
    # "salvo urgenze": urgent bookings are outside the Carta's guarantee.
    assert CARTA1995.standard(tipo=tipo, codice_prestazione="x", classe_priorita="U") is None


@pytest.mark.parametrize("classe, tipo, giorni", [
    ("U", "visita", 3), ("B", "immagini", 10), ("D", "visita", 30), ("D", "immagini", 60),
    ("D", "strumentale", 60), ("D", "laboratorio", 60), ("P", "visita", 120),
    (None, "visita", None),
])
def test_pngla_targets(classe: str | None, tipo: str, giorni: int | None) -> None:
    assert PNGLA.standard(tipo=tipo, codice_prestazione="x", classe_priorita=classe) == giorni
    assert PNGLA.per_classe and not CARTA1995.per_classe


@pytest.mark.parametrize("classe, giorni", [("A", 30), ("B", 60), ("C", 180), ("D", 365)])
def test_ricoveri_class_targets(classe: str, giorni: int) -> None:
    for profilo in (CARTA1995, PNGLA):
        assert profilo.attesa_massima(classe_priorita=classe, codice_reparto="36",
                                      codice_patologia="81.51") == giorni


def test_local_file_most_specific_wins(tmp_path: Path) -> None:
    path = tmp_path / "locali.toml"
    path.write_text(
        'profilo = "carta1995"\n'
        '[[specialistica]]\ntipo = "immagini"\ngiorni = 10\n'
        '[[specialistica]]\ncodice_prestazione = "88.71.4"\ngiorni = 4\n'
        '[[specialistica]]\nclasse_priorita = "U"\ntipo = "visita"\ngiorni = 1\n'
        '[[ricoveri]]\ncodice_reparto = "36"\ngiorni = 90\n'
        '[[ricoveri]]\ncodice_reparto = "36"\ncodice_patologia = "81.51"\ngiorni = 120\n',
        encoding="utf-8")
    p = carica_profilo("carta1995", path)
    assert p.standard(tipo="immagini", codice_prestazione="87.37.1", classe_priorita=None) == 10
    assert p.standard(tipo="immagini", codice_prestazione="88.71.4", classe_priorita=None) == 4
    assert p.standard(tipo="visita", codice_prestazione="89.7", classe_priorita=None) == 7
    # The local file gives urgent visits a target: they come back into the guarantee.
    assert p.standard(tipo="visita", codice_prestazione="89.7", classe_priorita="U") == 1
    assert p.standard(tipo="immagini", codice_prestazione="88.71.4", classe_priorita="U") == 4
    assert p.attesa_massima(classe_priorita="A", codice_reparto="36",
                            codice_patologia="81.51") == 120
    assert p.attesa_massima(classe_priorita="A", codice_reparto="36",
                            codice_patologia="53.0") == 90
    assert p.attesa_massima(classe_priorita="A", codice_reparto="09",
                            codice_patologia="53.0") == 30


@pytest.mark.parametrize("testo, problema", [
    ('[[specialistica]]\ngiorni = 3\n', "almeno una chiave"),
    ('[[specialistica]]\ntipo = "visita"\n', "giorni"),
    ('[[specialistica]]\ncolore = "blu"\ngiorni = 3\n', "colore"),
    ('profilo = "boh"\n', "profilo sconosciuto"),
    ("non è toml", "illeggibile"),
])
def test_bad_local_file_is_a_clear_error(tmp_path: Path, testo: str, problema: str) -> None:
    path = tmp_path / "locali.toml"
    path.write_text(testo, encoding="utf-8")
    with pytest.raises(ErroreUtente, match=problema):
        carica_profilo("carta1995", path)


TIPI = st.sampled_from(["laboratorio", "immagini", "visita", "strumentale"])
CODICI = st.sampled_from(["89.7", "88.71.4", "90.62.2", "45.23"])
CLASSI = st.one_of(st.none(), st.sampled_from(["U", "B", "D", "P"]))


@st.composite
def profili(draw: st.DrawFn) -> Profilo:
    from registro.standards import Regola

    base = draw(st.sampled_from([CARTA1995, PNGLA]))
    extra = []
    for _ in range(draw(st.integers(0, 5))):
        chiavi = {}
        if draw(st.booleans()):
            chiavi["tipo"] = draw(TIPI)
        if draw(st.booleans()):
            chiavi["codice_prestazione"] = draw(CODICI)
        if draw(st.booleans()) or not chiavi:
            chiavi["classe_priorita"] = draw(st.sampled_from(["U", "B", "D", "P"]))
        extra.append(Regola(giorni=draw(st.integers(0, 400)), chiavi=tuple(sorted(chiavi.items()))))
    return Profilo(nome="x", specialistica=base.specialistica + tuple(extra),
                   ricoveri=base.ricoveri, classi_fuori_garanzia=base.classi_fuori_garanzia,
                   periodiche_fuori_garanzia=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(profilo=profili(), righe=st.lists(st.tuples(TIPI, CODICI, CLASSI, st.booleans()),
                                          min_size=1, max_size=30))
def test_expression_equals_scalar_rule(profilo: Profilo,
                                       righe: list[tuple[str, str, str | None, bool]]) -> None:
    df = pl.DataFrame(righe, schema=["tipo", "codice_prestazione", "classe_priorita",
                                     "periodica"], orient="row")
    got = df.select(profilo.standard_expr().alias("g"))["g"].to_list()
    want = [profilo.standard(tipo=t, codice_prestazione=c, classe_priorita=k, periodica=p)
            for t, c, k, p in righe]
    assert got == want


def test_carta_esami_periodici_fuori_garanzia(tmp_path: Path) -> None:
    """§5.4: "fatti salvi esami che per ragioni tecniche vengono eseguiti con periodicità
    programmata": no 48-hour target for them under carta1995; a local target naming the
    code still sets one; pngla has no such exception."""
    lab = {"tipo": "laboratorio", "codice_prestazione": "90.28.1", "classe_priorita": None}
    assert CARTA1995.standard(**lab) == 2
    assert CARTA1995.standard(**lab, periodica=True) is None
    assert PNGLA.standard(**{**lab, "classe_priorita": "D"}, periodica=True) == 60
    locale = tmp_path / "locali.toml"
    locale.write_text('[[specialistica]]\ncodice_prestazione = "90.28.1"\ngiorni = 7\n'
                      '[[specialistica]]\ntipo = "laboratorio"\ngiorni = 3\n',
                      encoding="utf-8")
    p = carica_profilo("carta1995", locale)
    assert p.standard(**lab, periodica=True) == 7  # the code's own target
    altro = {**lab, "codice_prestazione": "90.27.1"}
    assert p.standard(**altro) == 3
    assert p.standard(**altro, periodica=True) is None  # a type-wide target does not reach it
    df = pl.DataFrame({"tipo": ["laboratorio"] * 3, "codice_prestazione": ["90.28.1"] * 3,
                       "classe_priorita": [None] * 3, "periodica": [False, True, None]})
    assert df.select(CARTA1995.standard_expr())["literal"].to_list() == [2, None, 2]


@pytest.mark.parametrize("testo, inizio, fine", [
    ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-H1", date(2026, 1, 1), date(2026, 7, 1)),
    ("2026-H2", date(2026, 7, 1), date(2027, 1, 1)),
    ("2026-Q2", date(2026, 4, 1), date(2026, 7, 1)),
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-05", date(2026, 5, 1), date(2026, 6, 1)),
    ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
])
def test_periods(testo: str, inizio: date, fine: date) -> None:
    p = Periodo.parse(testo)
    assert (p.inizio, p.fine, p.etichetta) == (inizio, fine, testo)


@pytest.mark.parametrize("testo", ["2026-13", "2026-H3", "2026-Q5", "26", "0000", "9999-12",
                                   "２０２６", "2026-00", ""])
def test_bad_periods(testo: str) -> None:
    with pytest.raises(ErroreUtente, match="periodo non valido"):
        Periodo.parse(testo)
