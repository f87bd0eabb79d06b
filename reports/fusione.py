"""`registro stats --da-ritorni`: the regional table from the authorities' Osservatorio returns.

Each authority keeps its own register and sends its return (`registro report osservatorio`):
per lettura × prestazione × sede × classe, the statistics *and* the histogram of the waits in
whole days of the bookings in guarantee. The region adds the histograms up and recomputes;
the result is **identical** to `registro stats` on the union of all the bookings, because
every statistic of the table is a function of the day histogram (DESIGN.md "Statistics"):

- n = Σ c(d); the mean = Σ d·c(d) / n, rounded half up from the exact integers;
- the median and the p90 are order statistics: the value at rank r is the least d whose
  cumulative count exceeds r (r = ⌊(n−1)/2⌋ and ⌊n/2⌋ for the median, ⌈0.9·n⌉−1 for p90);
- the share within target counts, for each return row, the days ≤ *that row's* target, so
  authorities with different local targets still merge exactly; `standard_giorni` is the
  common target, null when the rows merged carry different ones;
- `n_fuori_garanzia` adds up;
- `quota_fuori_ordine` (the specialist lists' chronological order) is empty: the returns do
  not carry the overtake counts.

Under a profile whose targets ignore the priority class (carta1995) the return still has a
row per class; the regional table merges them, as `registro stats` would. The limits are in
docs/scala.md: sites must carry regional codes (two authorities using `S001` for different
places would be merged), every return must use the same profile and period, and the same
authority twice is refused rather than counted twice.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from registro import statistiche
from registro.errors import ErroreUtente
from registro.periodo import Periodo
from registro.standards import Profilo
from reports.stats import CHIAVI, SCHEMA, Lettura

NOMI = ("osservatorio.csv", "osservatorio.json")
NUMERICHE = {"n": pl.Int64, "standard_giorni": pl.Int64, "n_fuori_garanzia": pl.Int64}
RICHIESTE = ["ente", "periodo", "lettura", "profilo", *CHIAVI, *NUMERICHE, "istogramma"]


def trova_ritorni(percorsi: list[Path]) -> list[Path]:
    """Every return under the paths given (a file, or a folder searched at any depth); a
    folder holding both the CSV and the JSON of one return counts once, by its CSV."""
    trovati: list[Path] = []
    for p in percorsi:
        p = Path(p)
        if p.is_file():
            trovati.append(p)
        elif p.is_dir():
            for cartella in sorted({f.parent for n in NOMI for f in p.rglob(n)}):
                csv = cartella / NOMI[0]
                trovati.append(csv if csv.exists() else cartella / NOMI[1])
        else:
            raise ErroreUtente(f"{p}: non esiste")
    if not trovati:
        raise ErroreUtente("nessun ritorno trovato (file osservatorio.csv o osservatorio.json) "
                           f"in: {', '.join(str(p) for p in percorsi)}")
    return trovati


def _leggi(path: Path) -> pl.DataFrame:
    try:
        if path.suffix.lower() == ".json":
            df = pl.read_json(path, infer_schema_length=None)
            df = df.select(pl.all().cast(pl.String))
        else:
            df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise ErroreUtente(f"{path}: ritorno illeggibile: {str(exc).splitlines()[0]}") from exc
    mancanti = [c for c in RICHIESTE if c not in df.columns]
    if mancanti:
        raise ErroreUtente(f"{path}: non è un ritorno dell'Osservatorio (colonne assenti: "
                           f"{', '.join(mancanti)})")
    df = df.select(RICHIESTE).with_columns(
        pl.col(c).replace("", None) for c in CHIAVI).with_columns(
        pl.col(c).replace("", None).cast(t, strict=False).alias(c)
        for c, t in NUMERICHE.items())
    return df.with_columns(_file=pl.lit(str(path)), _riga=pl.int_range(2, df.height + 2))


def leggi_ritorni(files: list[Path], periodo: Periodo, lettura: Lettura) -> pl.DataFrame:
    """The rows of every return for `periodo` and `lettura`, checked: one profile, no
    authority twice, every histogram adding up to its n."""
    tutte = pl.concat([_leggi(f) for f in files], how="vertical")
    righe = tutte.filter((pl.col("periodo") == periodo.etichetta)
                         & (pl.col("lettura") == lettura))
    if righe.height == 0:
        trovati = sorted(set(tutte["periodo"].drop_nulls()))
        raise ErroreUtente(f"nessuna riga per il periodo {periodo.etichetta} e la lettura "
                           f"{lettura} nei ritorni (periodi presenti: {', '.join(trovati)})")
    doppi = (righe.group_by("ente").agg(pl.col("_file").unique().sort())
             .filter(pl.col("_file").list.len() > 1))
    if doppi.height:
        r = doppi.row(0, named=True)
        raise ErroreUtente(f"l'ente {r['ente']!r} compare in più ritorni "
                           f"({', '.join(r['_file'])}): lo si conterebbe due volte")
    profili = sorted(set(righe["profilo"].drop_nulls()))
    if len(profili) != 1:
        raise ErroreUtente(f"i ritorni usano profili diversi ({', '.join(profili)}): "
                           "le tabelle non sarebbero confrontabili")
    return righe


def _giorni(righe: pl.DataFrame) -> pl.LazyFrame:
    """One row per return row × day of wait: (keys, giorni, conta, entro)."""
    coppie = pl.col("istogramma").str.extract_all(r'"-?\d+"\s*:\s*\d+')
    return (righe.lazy()
            .with_columns(_coppia=coppie).explode("_coppia")
            .filter(pl.col("_coppia").is_not_null())
            .with_columns(
                giorni=pl.col("_coppia").str.extract(r'"(-?\d+)"', 1).cast(pl.Int64),
                conta=pl.col("_coppia").str.extract(r":\s*(\d+)", 1).cast(pl.Int64))
            .with_columns(entro=pl.when(pl.col("giorni") <= pl.col("standard_giorni"))
                          .then(pl.col("conta")).otherwise(0)))


def _controlla(righe: pl.DataFrame) -> None:
    """A return whose histogram does not add up to n, or whose rows in guarantee carry no
    single target, cannot be merged exactly: refuse it, naming the row."""
    somme = _giorni(righe).group_by("_file", "_riga").agg(somma=pl.col("conta").sum())
    errate = (righe.lazy().join(somme, on=["_file", "_riga"], how="left")
              .filter((pl.col("somma").fill_null(0) != pl.col("n").fill_null(-1))
                      | ((pl.col("n") > 0) & pl.col("standard_giorni").is_null()))
              .collect())
    if errate.height:
        r = errate.row(0, named=True)
        raise ErroreUtente(
            f"{r['_file']}, riga {r['_riga']}: l'istogramma somma {r['somma'] or 0} ma n è "
            f"{r['n']}, o manca lo standard: il ritorno non è fondibile in modo esatto "
            f"({errate.height} righe così)")


def fondi(righe: pl.DataFrame, *, profilo: Profilo, periodo: Periodo) -> pl.DataFrame:
    """The regional table, with the columns and the order of `reports.stats.COLONNE`."""
    _controlla(righe)
    classe = (pl.col("classe_priorita") if profilo.per_classe
              else pl.lit(None, dtype=pl.String)).alias("classe_priorita")
    gruppi = righe.lazy().select(
        "codice_prestazione", "codice_sede", classe, "n", "standard_giorni",
        "n_fuori_garanzia").group_by(CHIAVI).agg(
        n_fuori_garanzia=pl.col("n_fuori_garanzia").sum(),
        standard_giorni=pl.when(pl.col("standard_giorni").filter(pl.col("n") > 0)
                                .n_unique() == 1)
        .then(pl.col("standard_giorni").filter(pl.col("n") > 0).first()),
    )
    giorni = (_giorni(righe).with_columns(classe)
              .group_by(*CHIAVI, "giorni").agg(pl.col("conta").sum(), pl.col("entro").sum()))
    stat = giorni.group_by(CHIAVI).agg(
        n=pl.col("conta").sum(), somma=(pl.col("giorni") * pl.col("conta")).sum(),
        entro=pl.col("entro").sum(),
        attesa_mediana=statistiche.mediana_da_conteggi(pl.col("giorni"), pl.col("conta")),
        attesa_p90=statistiche.p90_da_conteggi(pl.col("giorni"), pl.col("conta")),
    )
    return (
        gruppi.join(stat, on=CHIAVI, how="left", nulls_equal=True)
        .select(
            pl.lit(periodo.etichetta, dtype=pl.String).alias("periodo"), *CHIAVI,
            pl.col("n").fill_null(0),
            statistiche.media(pl.col("somma"), pl.col("n")).alias("attesa_media"),
            "attesa_mediana",
            "attesa_p90",
            pl.when(pl.col("n") > 0).then(pl.col("standard_giorni")).alias("standard_giorni"),
            statistiche.quota(pl.col("entro"), pl.col("n")).alias("quota_entro_standard"),
            "n_fuori_garanzia",
            # the returns carry no overtake counts (Carta §5.1): not known regionally
            pl.lit(None, dtype=pl.Float64).alias("quota_fuori_ordine"),
        )
        .sort(CHIAVI, nulls_last=False)
        .select(pl.col(c).cast(t) for c, t in SCHEMA.items())
        .collect())
