"""Standards profiles: the maximum waits are data, never constants in the rules (Carta §2.2).

A profile is a list of `Regola`: each matches on some keys and gives a target in days; the
most specific matching rule wins, and between rules equally specific the later one wins (so a
local TOML file, appended after its base profile, overrides it).

- `carta1995` (seeds/003 §5.4): laboratorio 2 days (48 h), immagini 5, visita 7,
  strumentale 7; urgent bookings are outside the guarantee ("salvo urgenze"), and so are
  laboratory tests run with a programmed periodicity (catalog `periodica`: "fatti salvi
  esami che per ragioni tecniche vengono eseguiti con periodicità programmata") unless a
  rule naming their `codice_prestazione` (a local target) gives them one. It has no
  class targets for ricoveri, so those are pngla's unless the local file sets them.
- `pngla` (Piano nazionale di governo delle liste d'attesa): U 3 days (72 h), B 10,
  D 30 for visits and 60 for diagnostics, P 120; ricoveri A 30, B 60, C 180, D 365.

Local TOML (setting `standard_locali`):

    profilo = "carta1995"            # base, optional (default: the setting `profilo`)
    [[specialistica]]                # any of tipo, codice_prestazione, classe_priorita
    tipo = "immagini"
    giorni = 10
    [[specialistica]]
    codice_prestazione = "89.7"
    giorni = 5
    [[ricoveri]]                     # any of classe_priorita, codice_reparto, codice_patologia
    codice_reparto = "36"
    codice_patologia = "81.51"
    giorni = 90
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from registro.errors import ErroreUtente

# Weights make "most specific" a number: a code beats a type, a class refines either.
PESI_SPECIALISTICA = {"codice_prestazione": 4, "classe_priorita": 2, "tipo": 1}
PESI_RICOVERI = {"codice_patologia": 4, "codice_reparto": 2, "classe_priorita": 1}


@dataclass(frozen=True)
class Regola:
    giorni: int
    chiavi: tuple[tuple[str, str], ...]
    """(key, value) pairs the rule matches on; all must match."""

    def matches(self, valori: dict[str, str | None]) -> bool:
        return all(valori.get(k) == v for k, v in self.chiavi)

    def peso(self, pesi: dict[str, int]) -> int:
        return sum(pesi[k] for k, _ in self.chiavi)


@dataclass(frozen=True)
class Profilo:
    nome: str
    specialistica: tuple[Regola, ...]
    ricoveri: tuple[Regola, ...]
    classi_fuori_garanzia: frozenset[str] = field(default_factory=frozenset)
    """Priority classes measured against no target under this profile."""
    periodiche_fuori_garanzia: bool = False
    """Periodic tests (catalog `periodica`) get a target only from a rule naming their
    code: the type's target does not apply to them."""

    @property
    def per_classe(self) -> bool:
        """Whether targets depend on the priority class: then tables are split by class."""
        return any(k == "classe_priorita" for r in self.specialistica for k, _ in r.chiavi)

    def standard(self, *, tipo: str | None, codice_prestazione: str | None,
                 classe_priorita: str | None, periodica: bool = False) -> int | None:
        """Target in days for one booking's service and class; None when none applies."""
        if classe_priorita in self.classi_fuori_garanzia:
            return None
        valori = {"tipo": tipo, "codice_prestazione": codice_prestazione,
                  "classe_priorita": classe_priorita}
        regole = (self._per_codice() if periodica and self.periodiche_fuori_garanzia
                  else self.specialistica)
        return _best(regole, valori, PESI_SPECIALISTICA)

    def _per_codice(self) -> tuple[Regola, ...]:
        """The rules that name a service code: the only ones a periodic test obeys."""
        return tuple(r for r in self.specialistica
                     if any(k == "codice_prestazione" for k, _ in r.chiavi))

    def attesa_massima(self, *, classe_priorita: str | None, codice_reparto: str | None,
                       codice_patologia: str | None) -> int | None:
        """Maximum wait in days for a planned admission (ward/pathology overrides win)."""
        valori = {"classe_priorita": classe_priorita, "codice_reparto": codice_reparto,
                  "codice_patologia": codice_patologia}
        return _best(self.ricoveri, valori, PESI_RICOVERI)

    def standard_expr(self) -> pl.Expr:
        """The same choice as `standard`, as one lazy polars expression over the columns
        tipo, codice_prestazione, classe_priorita and periodica (Boolean, null = false): the
        bulk paths never loop."""
        tutte = _expr(self.specialistica, PESI_SPECIALISTICA, self.classi_fuori_garanzia)
        if not self.periodiche_fuori_garanzia:
            return tutte
        per_codice = _expr(self._per_codice(), PESI_SPECIALISTICA, self.classi_fuori_garanzia)
        return pl.when(pl.col("periodica").fill_null(False)).then(per_codice).otherwise(tutte)

    def attesa_massima_expr(self) -> pl.Expr:
        """`attesa_massima` as a lazy expression (classe_priorita, codice_reparto,
        codice_patologia)."""
        return _expr(self.ricoveri, PESI_RICOVERI, frozenset())


def _best(regole: tuple[Regola, ...], valori: dict[str, str | None],
          pesi: dict[str, int]) -> int | None:
    best: tuple[int, int] | None = None
    giorni: int | None = None
    for ordine, regola in enumerate(regole):
        if regola.matches(valori):
            rank = (regola.peso(pesi), ordine)
            if best is None or rank > best:
                best, giorni = rank, regola.giorni
    return giorni


def _expr(regole: tuple[Regola, ...], pesi: dict[str, int],
          fuori: frozenset[str]) -> pl.Expr:
    """First match in (specificity, order) descending order wins, as in `_best`."""
    ordinate = sorted(enumerate(regole), key=lambda ir: (ir[1].peso(pesi), ir[0]), reverse=True)
    expr: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for _, regola in reversed(ordinate):  # built inside out: the best rule ends outermost
        cond = pl.all_horizontal([pl.col(k) == v for k, v in regola.chiavi])
        expr = pl.when(cond.fill_null(False)).then(pl.lit(regola.giorni, dtype=pl.Int32)
                                                   ).otherwise(expr)
    if fuori:
        expr = pl.when(pl.col("classe_priorita").is_in(sorted(fuori)).fill_null(False)
                       ).then(pl.lit(None, dtype=pl.Int32)).otherwise(expr)
    return expr


def _r(giorni: int, **chiavi: str) -> Regola:
    return Regola(giorni=giorni, chiavi=tuple(sorted(chiavi.items())))


RICOVERI_PNGLA = (_r(30, classe_priorita="A"), _r(60, classe_priorita="B"),
                  _r(180, classe_priorita="C"), _r(365, classe_priorita="D"))

CARTA1995 = Profilo(
    nome="carta1995",
    specialistica=(_r(2, tipo="laboratorio"), _r(5, tipo="immagini"),
                   _r(7, tipo="visita"), _r(7, tipo="strumentale")),
    ricoveri=RICOVERI_PNGLA,
    classi_fuori_garanzia=frozenset({"U"}),
    periodiche_fuori_garanzia=True,
)

PNGLA = Profilo(
    nome="pngla",
    specialistica=(
        _r(3, classe_priorita="U"), _r(10, classe_priorita="B"),
        _r(60, classe_priorita="D"), _r(30, classe_priorita="D", tipo="visita"),
        _r(120, classe_priorita="P"),
    ),
    ricoveri=RICOVERI_PNGLA,
)

PROFILI = {"carta1995": CARTA1995, "pngla": PNGLA}

_CHIAVI_SPEC = set(PESI_SPECIALISTICA)
_CHIAVI_RIC = set(PESI_RICOVERI)


def carica_profilo(nome: str = "carta1995", locali: Path | None = None) -> Profilo:
    """The named base profile, extended by a local TOML file when one is given."""
    if locali is None:
        if nome not in PROFILI:
            raise ErroreUtente(f"profilo sconosciuto: {nome!r} (ammessi: {', '.join(PROFILI)})")
        return PROFILI[nome]
    try:
        data = tomllib.loads(Path(locali).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ErroreUtente(f"{locali}: file degli standard locali illeggibile: {exc}") from exc
    base = carica_profilo(str(data.get("profilo", nome)))
    spec = base.specialistica + _regole(locali, data.get("specialistica", []), _CHIAVI_SPEC)
    ric = base.ricoveri + _regole(locali, data.get("ricoveri", []), _CHIAVI_RIC)
    # A class the local file gives a target to is measured against it, urgent ones included.
    con_target = {v for r in spec for k, v in r.chiavi if k == "classe_priorita"}
    return Profilo(nome=f"{base.nome}+locale", specialistica=spec, ricoveri=ric,
                   classi_fuori_garanzia=base.classi_fuori_garanzia - con_target,
                   periodiche_fuori_garanzia=base.periodiche_fuori_garanzia)


def _regole(path: Path, items: list[dict[str, object]], ammesse: set[str]) -> tuple[Regola, ...]:
    out = []
    for i, item in enumerate(items, start=1):
        giorni = item.get("giorni")
        chiavi = {k: str(v) for k, v in item.items() if k != "giorni"}
        ignote = set(chiavi) - ammesse
        if not isinstance(giorni, int) or giorni < 0 or ignote or not chiavi:
            raise ErroreUtente(
                f"{path}: regola {i} non valida: servono 'giorni' (intero ≥ 0) e almeno una "
                f"chiave tra {', '.join(sorted(ammesse))}"
                + (f"; chiavi sconosciute: {', '.join(sorted(ignote))}" if ignote else ""))
        out.append(Regola(giorni=giorni, chiavi=tuple(sorted(chiavi.items()))))
    return tuple(out)
