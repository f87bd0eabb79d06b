"""The canonical CUP specialistica layout and its row-by-row validation, vectorised.

Each field has a parsing expression and an error expression (an Italian reason, or null);
a row with any error is rejected whole, with one reject line per faulty field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import polars as pl

from cup.readers import RIGA
from registro.money import cents, format_euro_it
from registro.types import (
    CLASSI_PRIORITA,
    CLASSI_RICOVERO,
    ESITI_ANNULLAMENTO,
    STATI_PRENOTAZIONE,
    STATI_RICOVERO,
    TIPI_ACCESSO,
)

# Dates outside this window are typing errors (1900, 2200), not bookings.
DATA_MIN = datetime(1990, 1, 1)
DATA_MAX = datetime(2100, 1, 1)
LUNGHEZZE = {"id_prenotazione": 64, "codice_prestazione": 20, "codice_sede": 40,
             "id_assistito": 64, "id_ricovero": 64, "codice_reparto": 40,
             "codice_patologia": 20, "causale_annullamento": 500,
             "descrizione_patologia": 500}

_VERO = ("1", "true", "si", "sì", "s", "y", "yes", "vero")
_FALSO = ("0", "false", "no", "n", "falso")

MOTIVO_DATA = "data non valida (formati ammessi: AAAA-MM-GG o GG/MM/AAAA, con ora facoltativa)"
MOTIVO_FUORI = "data fuori dall'intervallo plausibile (1990–2099)"


@dataclass(frozen=True)
class Campo:
    """One field's parsing and checking. Both are functions of *columns* (the stripped text
    and the typed value), so validation parses each value exactly once."""

    nome: str
    """The typed column's name (money fields end in `_cent`)."""
    sorgente: str
    """The text column it comes from."""
    valore: Callable[[pl.Expr], pl.Expr]
    """text -> typed value (null when empty or invalid)."""
    errore: Callable[[pl.Expr, pl.Expr], pl.Expr]
    """(text, typed value) -> an Italian reason, or null when the field is fine."""
    dtype: pl.DataType = field(default_factory=pl.String)
    richiesto: bool = False
    importo: bool = False
    """An amount in cents: checked against the ceiling `importo_massimo` by `valida`."""


def _testo(col: pl.Expr) -> pl.Expr:
    """The field stripped, empty as null."""
    stripped = col.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def parse_datetime(testo: pl.Expr) -> pl.Expr:
    """ISO or Italian dates, optional time; a `T`, a trailing `Z` or an offset are accepted
    and the time is taken as written (CUP exports carry local wall-clock times).

    Every shape is first rewritten to `YYYY-MM-DD HH:MM:SS[.f]` with cheap string operations,
    then parsed once with an explicit format (inferring formats is several times slower).
    """
    t = (testo.str.replace(r"^(\d{2})/(\d{2})/(\d{4})", "$3-$2-$1")
         .str.replace("T", " ", literal=True)
         .str.replace(r"(Z|[+-]\d{2}:?\d{2})$", ""))
    n = t.str.len_bytes()
    t = pl.when(n == 10).then(t + " 00:00:00").when(n == 16).then(t + ":00").otherwise(t)
    return t.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")


CIFRE_INTERE_MAX = 12
"""Digits of whole euro an amount may have before it is even converted to cents: 12 digits
(under 10^14 cents) cannot wrap an Int64, whatever is added or multiplied by 100 later;
anything longer is far beyond every plausible ceiling (`importo_massimo`) anyway."""


def _punto_decimale(testo: pl.Expr) -> pl.Expr:
    """The amount's text with one decimal point: spaces dropped and, when it has a comma
    (Italian '1.234,50'), the thousands dots dropped and the comma made the point."""
    t = testo.str.replace_all(" ", "", literal=True)
    return pl.when(t.str.contains(",", literal=True)).then(
        t.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    ).otherwise(t)


def _norma_importo(testo: pl.Expr) -> pl.Expr:
    """The amount's (sign, whole euro digits without leading zeros, decimals) as a struct."""
    return _punto_decimale(testo).str.extract_groups(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")


def importo_ben_formato(testo: pl.Expr) -> pl.Expr:
    """Is the text an amount at all (whatever its size)? Tells 'too large' from 'garbage'."""
    return _punto_decimale(testo).str.contains(r"^-?\d+(?:\.\d{1,2})?$")


def parse_cents(testo: pl.Expr) -> pl.Expr:
    """'12,50', '12.50', '1.234,50' -> 1250 / 123450 cents; null when not a valid amount,
    and null when it has more than CIFRE_INTERE_MAX whole digits: a 17-digit ticket once
    wrapped around Int64 into a refund of 92 million billion euro, or into 84 cents."""
    parti = _norma_importo(testo)
    cifre = parti.struct.field("2").str.strip_chars_start("0")
    intero = pl.when(cifre.str.len_chars() <= CIFRE_INTERE_MAX).then(
        pl.when(cifre == "").then(pl.lit("0")).otherwise(cifre)).cast(pl.Int64, strict=False)
    frazione = parti.struct.field("3").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    segno = pl.when(parti.struct.field("1") == "-").then(-1).otherwise(1)
    return segno * (intero * 100 + frazione.fill_null(0))


IMPORTO_MASSIMO = Decimal("10000.00")
"""Default ceiling of an amount (setting `importo_massimo`): a ticket or a tariff above it is
a typing or export error, not money."""


def motivo_oltre_massimo(massimo: Decimal) -> str:
    return (f"importo oltre il massimo plausibile ({format_euro_it(cents(massimo))}, "
            "impostazione importo_massimo)")


def _mancante(richiesto: bool) -> Callable[[pl.Expr], pl.Expr]:
    def check(t: pl.Expr) -> pl.Expr:
        return t.is_null() & pl.lit(richiesto)
    return check


def _campo_data(nome: str, richiesto: bool, solo_data: bool = False) -> Campo:
    manca = _mancante(richiesto)
    return Campo(nome, nome, parse_datetime, lambda t, v: (
        pl.when(manca(t)).then(pl.lit("campo obbligatorio mancante"))
        .when(t.is_not_null() & v.is_null()).then(pl.lit(MOTIVO_DATA))
        .when((v < DATA_MIN) | (v >= DATA_MAX)).then(pl.lit(MOTIVO_FUORI))),
        dtype=pl.Date() if solo_data else pl.Datetime("us"), richiesto=richiesto)


def _campo_testo(nome: str, richiesto: bool) -> Campo:
    manca = _mancante(richiesto)
    massimo = LUNGHEZZE.get(nome, 10**9)
    return Campo(nome, nome, lambda t: t, lambda t, v: (
        pl.when(manca(t)).then(pl.lit("campo obbligatorio mancante"))
        .when(t.str.len_chars() > massimo)
        .then(pl.lit(f"valore troppo lungo (massimo {massimo} caratteri)"))),
        richiesto=richiesto)


def _campo_scelta(nome: str, ammessi: tuple[str, ...], richiesto: bool,
                  default: str | None = None, maiuscolo: bool = False) -> Campo:
    manca = _mancante(richiesto)
    ammessi_testo = f"valore non ammesso (ammessi: {', '.join(ammessi)}" + (
        " o vuoto)" if not richiesto else ")")

    def norma(t: pl.Expr) -> pl.Expr:
        return t.str.to_uppercase() if maiuscolo else t.str.to_lowercase()

    def valore(t: pl.Expr) -> pl.Expr:
        return norma(t).fill_null(default) if default else norma(t)

    return Campo(nome, nome, valore, lambda t, v: (
        pl.when(manca(t)).then(pl.lit("campo obbligatorio mancante"))
        .when(t.is_not_null() & ~norma(t).is_in(list(ammessi))).then(pl.lit(ammessi_testo))),
        richiesto=richiesto)


def _campo_flag(nome: str) -> Campo:
    return Campo(
        nome, nome,
        lambda t: t.str.to_lowercase().is_in(list(_VERO)).fill_null(False),
        lambda t, v: pl.when(t.is_not_null() & ~t.str.to_lowercase().is_in(list(_VERO + _FALSO)))
        .then(pl.lit("valore non ammesso (ammessi: 1, 0 o vuoto)")), dtype=pl.Boolean())


def _campo_importo(nome: str) -> Campo:
    return Campo(f"{nome}_cent", nome, parse_cents, lambda t, v: (
        pl.when(t.is_not_null() & v.is_null())
        .then(pl.lit("importo non valido (un numero in euro con al più due decimali)"))
        .when(v < 0).then(pl.lit("importo negativo"))), dtype=pl.Int64(), importo=True)


def _campi_prenotazioni() -> tuple[Campo, ...]:
    return (
        _campo_testo("id_prenotazione", True),
        _campo_data("data_prescrizione", False, solo_data=True),
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
        _campo_data("data_ritiro_referto", False, solo_data=True),
        _campo_testo("id_assistito", True),
        _campo_data("aggiornato_il", False),
    )


def _campi_ricoveri() -> tuple[Campo, ...]:
    return (
        _campo_testo("id_ricovero", True),
        _campo_data("data_inserimento", True),
        _campo_testo("codice_reparto", True),
        _campo_testo("codice_patologia", True),
        _campo_testo("descrizione_patologia", False),
        _campo_scelta("classe_priorita", CLASSI_RICOVERO, True, maiuscolo=True),
        _campo_scelta("stato", STATI_RICOVERO, True),
        _campo_data("data_ricovero", False),
        _campo_data("data_cancellazione", False),
        _campo_testo("id_assistito", True),
        _campo_data("aggiornato_il", False),
    )


Regole = Callable[[dict[str, pl.Expr], list[str]], dict[str, pl.Expr]]


def _regole_prenotazioni(v: dict[str, pl.Expr], catalogo: list[str]) -> dict[str, pl.Expr]:
    codici = pl.Series(catalogo, dtype=pl.String).implode()
    return {
        "codice_prestazione": pl.when(v["codice_prestazione"].is_not_null()
                                      & ~v["codice_prestazione"].is_in(codici))
        .then(pl.lit("codice prestazione non presente nel catalogo "
                     "(registro catalogo import, poi reingestare il file)")),
        "data_appuntamento": pl.when(
            v["data_appuntamento"].cast(pl.Date) < v["data_prenotazione"].cast(pl.Date))
        .then(pl.lit("appuntamento precedente alla data di prenotazione")),
        "data_disdetta": pl.when((v["stato"] == "disdetta_utente") & v["data_disdetta"].is_null())
        .then(pl.lit("data_disdetta obbligatoria quando lo stato è disdetta_utente")),
        "data_ritiro_referto": pl.when(v["data_ritiro_referto"].is_not_null()
                                       & (v["stato"] != "erogata"))
        .then(pl.lit("data_ritiro_referto presente ma la prestazione non risulta erogata"))
        .when(v["data_ritiro_referto"] < v["data_appuntamento"].cast(pl.Date))
        .then(pl.lit("ritiro del referto precedente all'appuntamento")),
    }


def _regole_ricoveri(v: dict[str, pl.Expr], _catalogo: list[str]) -> dict[str, pl.Expr]:
    return {
        "data_ricovero": pl.when((v["stato"] == "ricoverato") & v["data_ricovero"].is_null())
        .then(pl.lit("data_ricovero obbligatoria quando lo stato è ricoverato"))
        .when((v["stato"] != "ricoverato") & v["data_ricovero"].is_not_null())
        .then(pl.lit("data_ricovero presente ma il paziente non risulta ricoverato"))
        .when(v["data_ricovero"].cast(pl.Date) < v["data_inserimento"].cast(pl.Date))
        .then(pl.lit("ricovero precedente all'inserimento in lista")),
    }


@dataclass(frozen=True)
class Tracciato:
    """One export layout and the register table it feeds."""

    registro: str
    campi: tuple[Campo, ...]
    regole: Regole
    """Rules across fields, on the typed values: {field: reason or null}."""
    tabella: str
    storia: str
    chiave: str
    anagrafica: tuple[str, str]
    """(table, column): codes not yet known are registered with the code as name."""
    usa_catalogo: bool
    presenze: tuple[tuple[str, str], ...] = ()
    """(flag, column): a Boolean column, true on every row of a file that carried the
    optional column. It tells "the CUP does not track this" (column absent) from "no value"
    (column present, cell empty), which the rules treat differently."""

    @property
    def canoniche(self) -> tuple[str, ...]:
        return tuple(c.sorgente for c in self.campi)

    @property
    def obbligatorie(self) -> tuple[str, ...]:
        return tuple(c.sorgente for c in self.campi if c.richiesto)

    @property
    def schema_valido(self) -> dict[str, pl.DataType]:
        return {**{c.nome: c.dtype for c in self.campi},
                **{flag: pl.Boolean() for flag, _ in self.presenze}}


PRENOTAZIONI = Tracciato(
    registro="prestazioni", campi=_campi_prenotazioni(), regole=_regole_prenotazioni,
    tabella="prenotazione", storia="prenotazione_storia", chiave="id_prenotazione",
    anagrafica=("sede", "codice_sede"), usa_catalogo=True,
    presenze=(("ritiro_referto_tracciato", "data_ritiro_referto"),))

RICOVERI = Tracciato(
    registro="ricoveri", campi=_campi_ricoveri(), regole=_regole_ricoveri,
    tabella="ricovero", storia="ricovero_storia", chiave="id_ricovero",
    anagrafica=("reparto", "codice_reparto"), usa_catalogo=False)

TRACCIATI = {t.registro: t for t in (PRENOTAZIONI, RICOVERI)}

# The specialistica layout, by the names the rest of the code has always used.
CANONICHE = PRENOTAZIONI.canoniche
SCHEMA_VALIDO = PRENOTAZIONI.schema_valido


def colonne_mancanti(columns: list[str], tracciato: Tracciato = PRENOTAZIONI) -> list[str]:
    return [c for c in tracciato.obbligatorie if c not in columns]


def valida(df: pl.DataFrame, codici_catalogo: list[str],
           tracciato: Tracciato = PRENOTAZIONI, importo_massimo: Decimal = IMPORTO_MASSIMO
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a mapped text frame into (valid typed rows with `_riga`, reject lines).

    Reject lines: `_riga`, `campo`, `valore`, `motivo`, one per faulty field. Amounts above
    `importo_massimo` are rejected: no later sum or difference of cents can then wrap.
    """
    massimo_cent = cents(importo_massimo)
    oltre = motivo_oltre_massimo(importo_massimo)
    presenti = {flag: colonna in df.columns for flag, colonna in tracciato.presenze}
    df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                          for c in tracciato.canoniche if c not in df.columns])
    specs = tracciato.campi
    testi = {sp.sorgente for sp in specs}
    typed = df.lazy().with_columns(
        [_testo(pl.col(c)).alias(f"t:{c}") for c in testi]
    ).with_columns(
        [sp.valore(pl.col(f"t:{sp.sorgente}")).alias(f"v:{sp.nome}") for sp in specs]
    ).with_columns(
        [sp.errore(pl.col(f"t:{sp.sorgente}"), pl.col(f"v:{sp.nome}")).alias(f"e:{sp.nome}")
         for sp in specs]
    )
    v = {sp.nome: pl.col(f"v:{sp.nome}") for sp in specs}
    typed = typed.with_columns(
        pl.when((pl.col(f"v:{sp.nome}") > massimo_cent)
                | (pl.col(f"v:{sp.nome}").is_null()
                   & importo_ben_formato(pl.col(f"t:{sp.sorgente}"))))
        .then(pl.lit(oltre)).otherwise(pl.col(f"e:{sp.nome}")).alias(f"e:{sp.nome}")
        for sp in specs if sp.importo)
    typed = typed.with_columns(
        pl.coalesce(pl.col(f"e:{nome}"), errore).alias(f"e:{nome}")
        for nome, errore in tracciato.regole(v, codici_catalogo).items())
    errori = [f"e:{sp.nome}" for sp in specs]
    esaminate = typed.with_columns(
        _ok=pl.all_horizontal([pl.col(e).is_null() for e in errori])).collect()

    validi = esaminate.filter(pl.col("_ok")).select(
        [pl.col(RIGA)]
        + [pl.col(f"v:{sp.nome}").cast(sp.dtype).alias(sp.nome) for sp in specs]
        + [pl.lit(presente, dtype=pl.Boolean).alias(flag) for flag, presente in presenti.items()]
    )
    bad = esaminate.filter(~pl.col("_ok"))
    scarti = (
        bad.select(
            pl.col(RIGA),
            *[pl.struct(campo=pl.lit(sp.sorgente), valore=pl.col(sp.sorgente),
                        motivo=pl.col(f"e:{sp.nome}")).alias(sp.nome) for sp in specs],
        )
        .unpivot(index=RIGA, variable_name="_c", value_name="_e")
        .unnest("_e")
        .filter(pl.col("motivo").is_not_null())
        .select(RIGA, "campo", pl.col("valore").str.slice(0, 200), "motivo")
        .sort(RIGA, "campo")
    )
    return validi, scarti
