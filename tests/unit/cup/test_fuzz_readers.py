"""Fuzzing the readers: arbitrary bytes never raise anything but the project's user error;
arbitrary-but-valid exports always split into accepted + rejected rows that add up."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cup.ingest import prepara
from cup.schema import CANONICHE
from registro.errors import ErroreUtente

CATALOGO = ["89.7", "88.71.4", "90.62.2"]
KEY = b"fuzz"


def _prova(contenuto: bytes, suffisso: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"export{suffisso}"
        path.write_bytes(contenuto)
        try:
            validi, scarti, righe, _ = prepara(path, None, CATALOGO, KEY)
        except ErroreUtente:
            return
        respinte = scarti["_riga"].n_unique() if scarti.height else 0
        assert validi.height + respinte == righe


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contenuto=st.binary(max_size=2000), suffisso=st.sampled_from([".csv", ".jsonl",
                                                                       ".parquet"]))
def test_arbitrary_bytes(contenuto: bytes, suffisso: str) -> None:
    _prova(contenuto, suffisso)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.just(",".join(CANONICHE)).map(lambda h: h.encode()),
       corpo=st.binary(max_size=3000))
def test_valid_header_arbitrary_body(header: bytes, corpo: bytes) -> None:
    _prova(header + b"\n" + corpo, ".csv")


TESTO = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",),
                                      exclude_characters="\x00"), max_size=12)
DATA = st.one_of(st.dates().map(str), st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
                 TESTO)


@st.composite
def righe_valide(draw: st.DrawFn) -> dict[str, str]:
    return {
        "id_prenotazione": draw(st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True)),
        "data_prescrizione": draw(st.one_of(st.just(""), DATA)),
        "data_prenotazione": draw(DATA),
        "data_appuntamento": draw(DATA),
        "codice_prestazione": draw(st.sampled_from([*CATALOGO, "00.00"])),
        "codice_sede": draw(TESTO),
        "classe_priorita": draw(st.sampled_from(["", "U", "B", "D", "P", "X"])),
        "tipo_accesso": draw(st.sampled_from(["", "primo", "controllo", "altro"])),
        "scelta_utente": draw(st.sampled_from(["", "1", "0", "forse"])),
        "stato": draw(st.sampled_from(["erogata", "non_presentato", "disdetta_utente",
                                       "annullata_ente", "prenotata", "boh"])),
        "data_disdetta": draw(st.one_of(st.just(""), DATA)),
        "causale_annullamento": draw(TESTO),
        "esito_annullamento": draw(st.sampled_from(["", "rinuncia", "riprogrammata", "x"])),
        "importo_ticket": draw(st.one_of(st.decimals(-100, 1000, places=2).map(str), TESTO)),
        "quota_ordinaria": draw(st.one_of(st.just(""), st.decimals(0, 100, places=2)
                                          .map(lambda d: str(d).replace(".", ",")))),
        "forza_maggiore": draw(st.sampled_from(["", "1", "0"])),
        "data_ritiro_referto": draw(st.one_of(st.just(""), DATA)),
        "id_assistito": draw(st.from_regex(r"A[0-9]{7}", fullmatch=True)),
        "aggiornato_il": draw(st.one_of(st.just(""), DATA)),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(righe=st.lists(righe_valide(), min_size=1, max_size=15),
       sep=st.sampled_from([",", ";"]), encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_arbitrary_valid_csv(righe: list[dict[str, str]], sep: str, encoding: str) -> None:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'

    lines = [sep.join(CANONICHE)] + [sep.join(cell(r[c]) for c in CANONICHE) for r in righe]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "export.csv"
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        validi, scarti, n, _ = prepara(path, None, CATALOGO, KEY)
        assert n == len(righe)
        respinte = scarti["_riga"].n_unique() if scarti.height else 0
        assert validi.height + respinte == n
        assert set(validi["_riga"]).isdisjoint(set(scarti["_riga"]))
