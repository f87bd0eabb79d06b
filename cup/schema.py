"""The canonical CUP specialistica layout and its row-by-row validation, vectorised.

Each field has a parsing expression and an error expression (an Italian reason, or null);
a row with any error is rejected whole, with one reject line per faulty field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from cup.readers import RIGA
from registro.types import CLASSI_PRIORITA, ESITI_ANNULLAMENTO, STATI_PRENOTAZIONE, TIPI_ACCESSO

# name -> required
COLONNE: dict[str, bool] = {
    "id_prenotazione": True,
    "data_prescrizione": False,
    "data_prenotazione": True,
    "data_appuntamento": True,
    "codice_prestazione": True,
    "codice_sede": True,
    "classe_priorita": False,
    "tipo_accesso": False,
    "scelta_utente": False,
    "stato": True,
    "data_disdetta": False,
    "causale_annullamento": False,
    "esito_annullamento": False,
    "importo_ticket": False,
    "quota_ordinaria": False,
    "forza_maggiore": False,
    "id_assistito": True,
    "aggiornato_il": False,
}
CANONICHE: tuple[str, ...] = tuple(COLONNE)
OBBLIGATORIE: tuple[str, ...] = tuple(c for c, req in COLONNE.items() if req)

# Dates outside this window are typing errors (1900, 2200), not bookings.
DATA_MIN = datetime(1990, 1, 1)
DATA_MAX = datetime(2100, 1, 1)
LUNGHEZZE = {"id_prenotazione": 64, "codice_prestazione": 20, "codice_sede": 40,
             "id_assistito": 64}

_FORMATI_DATA = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                 "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_VERO = ("1", "true", "si", "sì", "s", "y", "yes", "vero")
_FALSO = ("0", "false", "no", "n", "falso")

# The typed frame that leaves validation (money as integer cents).
SCHEMA_VALIDO: dict[str, pl.DataType] = {
    "id_prenotazione": pl.String(),
    "data_prescrizione": pl.Date(),
    "data_prenotazione": pl.Datetime("us"),
    "data_appuntamento": pl.Datetime("us"),
    "codice_prestazione": pl.String(),
    "codice_sede": pl.String(),
    "classe_priorita": pl.String(),
    "tipo_accesso": pl.String(),
    "scelta_utente": pl.Boolean(),
    "stato": pl.String(),
    "data_disdetta": pl.Datetime("us"),
    "causale_annullamento": pl.String(),
    "esito_annullamento": pl.String(),
    "importo_ticket_cent": pl.Int64(),
    "quota_ordinaria_cent": pl.Int64(),
    "forza_maggiore": pl.Boolean(),
    "id_assistito": pl.String(),
    "aggiornato_il": pl.Datetime("us"),
}

MOTIVO_DATA = "data non valida (formati ammessi: AAAA-MM-GG o GG/MM/AAAA, con ora facoltativa)"
MOTIVO_FUORI = "data fuori dall'intervallo plausibile (1990–2099)"


@dataclass(frozen=True)
class Campo:
    nome: str
    valore: pl.Expr
    """The typed value (null when empty or invalid)."""
    errore: pl.Expr
    """An Italian reason, or null when the field is fine."""


def _testo(nome: str) -> pl.Expr:
    """The field stripped, empty as null."""
    col = pl.col(nome).str.strip_chars()
    return pl.when(col == "").then(None).otherwise(col)


def parse_datetime(testo: pl.Expr) -> pl.Expr:
    """ISO or Italian dates, optional time; a `T`, a trailing `Z` or an offset are accepted
    and the time is taken as written (CUP exports carry local wall-clock times)."""
    norm = (testo.str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "")
            .str.replace("T", " ", literal=True))
    return pl.coalesce([norm.str.to_datetime(f, strict=False, time_unit="us")
                        for f in _FORMATI_DATA])


def parse_cents(testo: pl.Expr) -> pl.Expr:
    """'12,50', '12.50', '1.234,50' -> 1250 / 123450 cents; null when not a valid amount."""
    t = testo.str.replace_all(" ", "", literal=True)
    t = pl.when(t.str.contains(",", literal=True)).then(
        t.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    ).otherwise(t)
    ok = t.str.contains(r"^-?\d+(\.\d{1,2})?$")
    intero = t.str.extract(r"^-?(\d+)", 1).cast(pl.Int64, strict=False)
    frazione = t.str.extract(r"\.(\d{1,2})$", 1).str.pad_end(2, "0").cast(pl.Int64, strict=False)
    segno = pl.when(t.str.starts_with("-")).then(-1).otherwise(1)
    return pl.when(ok).then(segno * (intero * 100 + frazione.fill_null(0)))


def _campo_data(nome: str, richiesto: bool) -> Campo:
    testo = _testo(nome)
    valore = parse_datetime(testo)
    errore = (
        pl.when(testo.is_null() & pl.lit(richiesto)).then(pl.lit("campo obbligatorio mancante"))
        .when(testo.is_not_null() & valore.is_null()).then(pl.lit(MOTIVO_DATA))
        .when((valore < DATA_MIN) | (valore >= DATA_MAX)).then(pl.lit(MOTIVO_FUORI))
    )
    return Campo(nome, valore, errore)


def _campo_testo(nome: str, richiesto: bool) -> Campo:
    testo = _testo(nome)
    massimo = LUNGHEZZE.get(nome)
    troppo_lungo = testo.str.len_chars() > (massimo or 10**9)
    errore = (
        pl.when(testo.is_null() & pl.lit(richiesto)).then(pl.lit("campo obbligatorio mancante"))
        .when(troppo_lungo).then(pl.lit(f"valore troppo lungo (massimo {massimo} caratteri)"))
    )
    return Campo(nome, testo, errore)


def _campo_scelta(nome: str, ammessi: tuple[str, ...], richiesto: bool,
                  default: str | None = None, maiuscolo: bool = False) -> Campo:
    testo = _testo(nome)
    testo = testo.str.to_uppercase() if maiuscolo else testo.str.to_lowercase()
    errore = (
        pl.when(testo.is_null() & pl.lit(richiesto)).then(pl.lit("campo obbligatorio mancante"))
        .when(testo.is_not_null() & ~testo.is_in(list(ammessi)))
        .then(pl.lit(f"valore non ammesso (ammessi: {', '.join(ammessi)}"
                     + (" o vuoto)" if not richiesto else ")")))
    )
    valore = testo.fill_null(default) if default else testo
    return Campo(nome, valore, errore)


def _campo_flag(nome: str) -> Campo:
    testo = _testo(nome).str.to_lowercase()
    valore = pl.when(testo.is_in(list(_VERO))).then(True).otherwise(False)
    errore = pl.when(testo.is_not_null() & ~testo.is_in(list(_VERO + _FALSO))).then(
        pl.lit("valore non ammesso (ammessi: 1, 0 o vuoto)"))
    return Campo(nome, valore, errore)


def _campo_importo(nome: str) -> Campo:
    testo = _testo(nome)
    valore = parse_cents(testo)
    errore = (
        pl.when(testo.is_not_null() & valore.is_null())
        .then(pl.lit("importo non valido (un numero in euro con al più due decimali)"))
        .when(valore < 0).then(pl.lit("importo negativo"))
    )
    return Campo(f"{nome}_cent", valore, errore)


def campi() -> list[Campo]:
    return [
        _campo_testo("id_prenotazione", True),
        _campo_data("data_prescrizione", False),
        _campo_data("data_prenotazione", True),
        _campo_data("data_appuntamento", True),
        _campo_testo("codice_prestazione", True),
        _campo_testo("codice_sede", True),
        _campo_scelta("classe_priorita", CLASSI_PRIORITA, False, maiuscolo=True),
        _campo_scelta("tipo_accesso", TIPI_ACCESSO, False, default="primo"),
        _campo_flag("scelta_utente"),
        _campo_scelta("stato", STATI_PRENOTAZIONE, True),
        _campo_data("data_disdetta", False),
        _campo_testo("causale_annullamento", False),
        _campo_scelta("esito_annullamento", ESITI_ANNULLAMENTO, False),
        _campo_importo("importo_ticket"),
        _campo_importo("quota_ordinaria"),
        _campo_flag("forza_maggiore"),
        _campo_testo("id_assistito", True),
        _campo_data("aggiornato_il", False),
    ]


def colonne_mancanti(columns: list[str]) -> list[str]:
    return [c for c in OBBLIGATORIE if c not in columns]


def valida(df: pl.DataFrame, codici_catalogo: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a mapped text frame into (valid typed rows with `_riga`, reject lines).

    Reject lines: `_riga`, `campo`, `valore`, `motivo`, one per faulty field.
    """
    df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in CANONICHE if c not in df.columns])
    specs = campi()
    origine = {s.nome: (s.nome[:-5] if s.nome.endswith("_cent") else s.nome) for s in specs}
    typed = df.lazy().with_columns(
        [s.valore.alias(f"v:{s.nome}") for s in specs]
        + [s.errore.alias(f"e:{s.nome}") for s in specs]
    )
    # Rules across fields, on the typed values.
    v = {s.nome: pl.col(f"v:{s.nome}") for s in specs}
    catalogo = pl.Series(codici_catalogo, dtype=pl.String)
    typed = typed.with_columns(
        pl.coalesce(
            pl.col("e:codice_prestazione"),
            pl.when(v["codice_prestazione"].is_not_null()
                    & ~v["codice_prestazione"].is_in(catalogo.implode()))
            .then(pl.lit("codice prestazione non presente nel catalogo "
                         "(registro catalogo import, poi reingestare il file)")),
        ).alias("e:codice_prestazione"),
        pl.coalesce(
            pl.col("e:data_appuntamento"),
            pl.when(v["data_appuntamento"].cast(pl.Date) < v["data_prenotazione"].cast(pl.Date))
            .then(pl.lit("appuntamento precedente alla data di prenotazione")),
        ).alias("e:data_appuntamento"),
        pl.coalesce(
            pl.col("e:data_disdetta"),
            pl.when((v["stato"] == "disdetta_utente") & v["data_disdetta"].is_null()
                    & pl.col("e:data_disdetta").is_null())
            .then(pl.lit("data_disdetta obbligatoria quando lo stato è disdetta_utente")),
        ).alias("e:data_disdetta"),
    )
    errori = [f"e:{s.nome}" for s in specs]
    esaminate = typed.with_columns(
        _ok=pl.all_horizontal([pl.col(e).is_null() for e in errori])).collect()

    validi = esaminate.filter(pl.col("_ok")).select(
        [pl.col(RIGA)]
        + [pl.col(f"v:{s.nome}").cast(SCHEMA_VALIDO[s.nome]).alias(s.nome) for s in specs]
    )
    bad = esaminate.filter(~pl.col("_ok"))
    scarti = (
        bad.select(
            pl.col(RIGA),
            *[pl.struct(campo=pl.lit(origine[s.nome]), valore=pl.col(origine[s.nome]),
                        motivo=pl.col(f"e:{s.nome}")).alias(s.nome) for s in specs],
        )
        .unpivot(index=RIGA, variable_name="_c", value_name="_e")
        .unnest("_e")
        .filter(pl.col("motivo").is_not_null())
        .select(RIGA, "campo", pl.col("valore").str.slice(0, 200), "motivo")
        .sort(RIGA, "campo")
    )
    return validi, scarti
