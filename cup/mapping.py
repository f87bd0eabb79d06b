"""Column mappings: every CUP vendor has its own headers and values.

    [colonne]            # canonical name = source column
    id_prenotazione = "AppointmentID"
    [valori.stato]       # source value = canonical value
    "Yes" = "non_presentato"
    [costanti]           # canonical columns the source lacks
    codice_prestazione = "89.7"

Source columns that no mapping names are dropped on arrival: they may hold personal data
(age, sex, names) that the register must not keep.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cup.readers import RIGA
from registro.errors import ErroreUtente


@dataclass(frozen=True)
class Mapping:
    colonne: dict[str, str] = field(default_factory=dict)
    valori: dict[str, dict[str, str]] = field(default_factory=dict)
    costanti: dict[str, str] = field(default_factory=dict)

    @classmethod
    def carica(cls, path: Path, canoniche: tuple[str, ...]) -> Mapping:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ErroreUtente(f"{path}: mapping illeggibile: {exc}") from exc
        ignote = set(data) - {"colonne", "valori", "costanti"}
        if ignote:
            raise ErroreUtente(f"{path}: sezioni sconosciute nel mapping: {', '.join(ignote)}")
        m = cls(
            colonne={k: str(v) for k, v in data.get("colonne", {}).items()},
            valori={k: {str(a): str(b) for a, b in v.items()}
                    for k, v in data.get("valori", {}).items()},
            costanti={k: str(v) for k, v in data.get("costanti", {}).items()},
        )
        for sezione in (m.colonne, m.valori, m.costanti):
            estranee = set(sezione) - set(canoniche)
            if estranee:
                raise ErroreUtente(f"{path}: colonne non canoniche nel mapping: "
                                   f"{', '.join(sorted(estranee))}")
        return m

    def applica(self, raw: pl.DataFrame, canoniche: tuple[str, ...], file: Path) -> pl.DataFrame:
        """The canonical columns present (after renaming, values, constants), plus `_riga`."""
        mancanti = [src for src in self.colonne.values() if src not in raw.columns]
        if mancanti:
            raise ErroreUtente(f"{file}: colonne indicate nel mapping ma assenti nel file: "
                               f"{', '.join(mancanti)}; nessun dato è stato scritto")
        exprs = [pl.col(RIGA)]
        for nome in canoniche:
            if nome in self.costanti:
                expr = pl.lit(self.costanti[nome], dtype=pl.String)
            elif nome in self.colonne:
                expr = pl.col(self.colonne[nome])
            elif nome in raw.columns:
                expr = pl.col(nome)
            else:
                continue
            if nome in self.valori:
                expr = expr.replace(self.valori[nome])
            exprs.append(expr.alias(nome))
        return raw.select(exprs)
