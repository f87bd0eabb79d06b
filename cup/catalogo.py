"""The catalog of services (and the site list): small tables, kept through the ORM.

The package ships the national codes monitored by the PNGLA plus common laboratory tests
(`registro/data/catalogo.csv`); a local CSV with the same columns adds or updates entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from cup.readers import leggi
from cup.schema import IMPORTO_MASSIMO, importo_ben_formato, motivo_oltre_massimo, parse_cents
from registro import db
from registro.errors import ErroreUtente, senza_nul
from registro.models import Prestazione, Reparto, Sede
from registro.money import cents
from registro.types import TIPI_PRESTAZIONE

COLONNE_CATALOGO = ("codice", "descrizione", "tipo", "branca", "tariffa", "periodica")
COLONNE_SEDI = ("codice", "nome", "comune", "indirizzo")
COLONNE_REPARTI = ("codice", "nome", "presidio")


@dataclass
class EsitoImport:
    aggiunte: int
    aggiornate: int
    invariate: int


def catalogo_nazionale() -> Path:
    return Path(str(resources.files("registro") / "data" / "catalogo.csv"))


def reparti_demo() -> Path:
    """The wards of the synthetic ASL (the demo's planned-admission list)."""
    return Path(str(resources.files("registro") / "data" / "reparti_demo.csv"))


def _leggi(path: Path, colonne: tuple[str, ...], obbligatorie: tuple[str, ...]) -> pl.DataFrame:
    df = leggi(Path(path))  # the same sniffing as the CUP files
    mancanti = [c for c in obbligatorie if c not in df.columns]
    if mancanti:
        raise ErroreUtente(f"{path}: colonne assenti: {', '.join(mancanti)} "
                           f"(attese: {','.join(colonne)}); nessun dato è stato scritto")
    return df.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                            for c in colonne if c not in df.columns])


def importa_catalogo(path: Path, *, engine: Engine,
                     importo_massimo: Decimal | None = None) -> EsitoImport:
    """Add or update services from a CSV `codice,descrizione,tipo,branca,tariffa[,periodica]`.

    `periodica` (optional, `1`/`0`, empty or absent = 0) marks laboratory tests run with a
    programmed periodicity, outside the carta1995 48-hour target (seeds/003 §5.4). All or
    nothing: one bad line refuses the file with every problem listed. A tariff above
    `importo_massimo` (the setting) is such a line: it would feed sums of cents.
    """
    massimo = importo_massimo if importo_massimo is not None else IMPORTO_MASSIMO

    df = _leggi(path, COLONNE_CATALOGO, ("codice", "descrizione", "tipo"))
    df = df.with_columns(
        pl.col(c).str.strip_chars() for c in COLONNE_CATALOGO
    ).with_columns(pl.col("tipo").str.to_lowercase(),
                   tariffa_cent=parse_cents(pl.col("tariffa")),
                   _periodica=pl.col("periodica").fill_null("").replace("", "0"))
    problemi = df.select(
        "_riga",
        pl.when(pl.col("codice").is_null() | (pl.col("codice") == "")).then(pl.lit("codice vuoto"))
        .when(~pl.col("tipo").is_in(list(TIPI_PRESTAZIONE)))
        .then(pl.lit(f"tipo non ammesso (ammessi: {', '.join(TIPI_PRESTAZIONE)})"))
        .when((pl.col("tariffa_cent") > cents(massimo))
              | (pl.col("tariffa_cent").is_null() & importo_ben_formato(pl.col("tariffa"))))
        .then(pl.lit(f"tariffa: {motivo_oltre_massimo(massimo)}"))
        .when(pl.col("tariffa").is_not_null() & (pl.col("tariffa") != "")
              & (pl.col("tariffa_cent").is_null() | (pl.col("tariffa_cent") < 0)))
        .then(pl.lit("tariffa non valida"))
        .when(~pl.col("_periodica").is_in(["0", "1"]))
        .then(pl.lit("periodica non valida (ammessi: 1, 0 o vuoto)"))
        .when((pl.col("_periodica") == "1") & (pl.col("tipo") != "laboratorio"))
        .then(pl.lit("periodica vale solo per gli esami di laboratorio")).alias("motivo"),
    ).filter(pl.col("motivo").is_not_null())
    if problemi.height:
        primi = problemi.head(20)
        elenco = "; ".join(f"riga {r}: {m}" for r, m in
                           zip(primi["_riga"].to_list(), primi["motivo"].to_list(),
                               strict=True))
        raise ErroreUtente(f"{path}: catalogo non importato: {elenco}")
    esito = EsitoImport(0, 0, 0)
    with db.session_scope(engine) as session:
        for rec in df.select("codice", "descrizione", "tipo", "branca", "tariffa_cent",
                             (pl.col("_periodica") == "1").alias("periodica")
                             ).to_dicts():  # a catalog: hundreds of rows
            nuovo = Prestazione(**rec)
            vecchio = session.get(Prestazione, rec["codice"])
            if vecchio is None:
                session.add(nuovo)
                esito.aggiunte += 1
            elif vecchio.model_dump() != nuovo.model_dump():
                for k, v in rec.items():
                    setattr(vecchio, k, v)
                esito.aggiornate += 1
            else:
                esito.invariate += 1
        session.commit()
    return esito


def importa_sedi(path: Path, *, engine: Engine) -> EsitoImport:
    """Add or complete delivery sites from a CSV `codice,nome,comune,indirizzo`."""
    return _importa_anagrafica(path, engine, Sede, COLONNE_SEDI)


def importa_reparti(path: Path, *, engine: Engine) -> EsitoImport:
    """Add or complete hospital wards from a CSV `codice,nome,presidio`."""
    return _importa_anagrafica(path, engine, Reparto, COLONNE_REPARTI)


def _importa_anagrafica(path: Path, engine: Engine, model: type[Sede] | type[Reparto],
                        colonne: tuple[str, ...]) -> EsitoImport:
    """Sites and wards: add new codes, complete the ones an ingest registered bare."""
    df = _leggi(path, colonne, ("codice", "nome"))
    df = df.with_columns(pl.col(c).str.strip_chars() for c in colonne)
    vuoti = df.filter(pl.col("codice").is_null() | pl.col("nome").is_null())
    if vuoti.height:
        raise ErroreUtente(f"{path}: codice o nome vuoti alle righe "
                           f"{', '.join(map(str, vuoti['_riga'].head(20).to_list()))}")
    esito = EsitoImport(0, 0, 0)
    with db.session_scope(engine) as session:
        for rec in df.select(colonne).to_dicts():  # an anagrafica: tens of rows
            vecchio = session.get(model, rec["codice"])
            if vecchio is None:
                session.add(model(**rec))
                esito.aggiunte += 1
            else:
                cambiato = any(getattr(vecchio, k) != v for k, v in rec.items())
                for k, v in rec.items():
                    setattr(vecchio, k, v)
                vecchio.da_completare = False
                esito.aggiornate += int(cambiato)
                esito.invariate += int(not cambiato)
        session.commit()
    return esito


# --- one row edited by hand (the console) -----------------------------------------------------

ANAGRAFICHE: dict[str, type[Prestazione] | type[Sede] | type[Reparto]] = {
    "prestazioni": Prestazione, "sedi": Sede, "reparti": Reparto}
"""The three small tables a person may edit row by row, by the name the pages use."""

CAMPI_MODIFICABILI = {"prestazioni": ("descrizione", "tipo", "branca", "tariffa", "periodica"),
                      "sedi": ("nome", "comune", "indirizzo"),
                      "reparti": ("nome", "presidio")}
LUNGHEZZA_MASSIMA = 200


def _testo(valori: dict[str, str], campo: str, obbligatorio: bool = False) -> str | None:
    testo = (valori.get(campo) or "").strip()
    senza_nul(testo, campo)
    if len(testo) > LUNGHEZZA_MASSIMA:
        raise ErroreUtente(f"{campo}: più di {LUNGHEZZA_MASSIMA} caratteri")
    if obbligatorio and not testo:
        raise ErroreUtente(f"{campo}: obbligatorio, non può essere vuoto")
    return testo or None


def _tariffa(testo: str | None, massimo: Decimal) -> int | None:
    """The same reading of an amount as the catalog CSV's (`25,82`, `25.82`)."""
    if not testo:
        return None
    valore = pl.select(parse_cents(pl.lit(testo, dtype=pl.String))).item()
    if valore is None and pl.select(importo_ben_formato(pl.lit(testo))).item():
        raise ErroreUtente(f"tariffa: {motivo_oltre_massimo(massimo)}")
    if valore is None or valore < 0:
        raise ErroreUtente("tariffa non valida (per esempio 25,82)")
    if valore > cents(massimo):
        raise ErroreUtente(f"tariffa: {motivo_oltre_massimo(massimo)}")
    return int(valore)


def modifica_voce(*, session: Session, tabella: str, codice: str, valori: dict[str, str],
                  importo_massimo: Decimal | None = None
                  ) -> tuple[dict[str, object], dict[str, object]]:
    """Change one row of the catalog, the sites or the wards with the rules of the CSV
    import; the caller audits and commits. Returns the row (before, after). A site or ward
    edited by a person is complete (`da_completare` false)."""
    if tabella not in ANAGRAFICHE:
        raise ErroreUtente(f"tabella sconosciuta: {tabella!r} "
                           f"(ammesse: {', '.join(ANAGRAFICHE)})")
    riga = session.get(ANAGRAFICHE[tabella], codice)
    if riga is None:
        raise ErroreUtente(f"{tabella}: nessuna voce con codice {codice!r}")
    prima = riga.model_dump()
    nuovi: dict[str, object]
    if isinstance(riga, Prestazione):
        tipo = (_testo(valori, "tipo", True) or "").lower()
        if tipo not in TIPI_PRESTAZIONE:
            raise ErroreUtente(f"tipo non ammesso (ammessi: {', '.join(TIPI_PRESTAZIONE)})")
        periodica = (valori.get("periodica") or "0").strip() in ("1", "on", "true")
        if periodica and tipo != "laboratorio":
            raise ErroreUtente("periodica vale solo per gli esami di laboratorio")
        massimo = importo_massimo if importo_massimo is not None else IMPORTO_MASSIMO
        nuovi = {"descrizione": _testo(valori, "descrizione", True), "tipo": tipo,
                 "branca": _testo(valori, "branca"),
                 "tariffa_cent": _tariffa(_testo(valori, "tariffa"), massimo),
                 "periodica": periodica}
    else:
        nuovi = {c: _testo(valori, c, c == "nome") for c in CAMPI_MODIFICABILI[tabella]}
        nuovi["da_completare"] = False
    for k, v in nuovi.items():
        setattr(riga, k, v)
    session.add(riga)
    session.flush()
    return prima, riga.model_dump()
