"""`registro demo`: the whole main job on synthetic data, on an embedded SQLite register.

Composition layer (like the CLI): synthetic CUP export for one ASL-year -> init -> ingest ->
check -> statistics -> sanctions listing, then a short summary of what a Direttore Sanitario
would look at and where the outputs are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from rich.console import Console

from registro.money import format_euro_it
from registro.settings import load_settings


def esegui_demo(out_dir: Path, *, rows: int, seed: int, console: Console,
                passo: Callable[[str], AbstractContextManager[None]]) -> dict[str, object]:
    from cup.ingest import ingest
    from cup.synthetic import SEDI, scrivi_csv
    from registro.catalogo import catalogo_nazionale, importa_catalogo
    from registro.check import check, leggi_prenotazioni
    from registro.csvsafe import scrivi_csv as scrivi_tabella_csv
    from registro.db import make_engine, migrate
    from registro.periodo import Periodo
    from registro.standards import carica_profilo
    from reports.registro_sanzioni import elenco_sanzioni, scrivi_sanzioni, totali
    from reports.stats import scrivi_tabella, tabella_prestazioni

    t0 = time.perf_counter()
    anno = 2025
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "registro.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    settings = load_settings(db_url=f"sqlite:///{db_path}", data_dir=out_dir / "dati")
    engine = make_engine(settings.db_url)

    export = out_dir / f"cup_{anno}.csv"
    with passo(f"1/5 export CUP sintetico ({rows:,} prenotazioni)"):
        scrivi_csv(export, rows=rows, seed=seed, anno=anno)
    with passo("2/5 schema e catalogo"):
        migrate(engine)
        importa_catalogo(catalogo_nazionale(), engine=engine)
        import polars as pl

        from registro.catalogo import importa_sedi
        sedi_csv = out_dir / "sedi.csv"
        scrivi_tabella_csv(pl.DataFrame(SEDI, schema=["codice", "nome", "comune", "indirizzo"],
                                        orient="row"), sedi_csv)
        importa_sedi(sedi_csv, engine=engine)
    with passo("3/5 ingest"):
        esito = ingest(export, engine=engine, settings=settings)
    with passo("4/5 verifica, bonum e malum"):
        verifica = check(engine=engine, settings=settings)
    with passo("5/5 tabelle dei tempi di attesa"):
        pren = leggi_prenotazioni(engine).lazy()
        periodo = Periodo.parse(str(anno))
        tabelle = {}
        for profilo in ("carta1995", "pngla"):
            for lettura in ("ex_ante", "ex_post"):
                t = tabella_prestazioni(pren, profilo=carica_profilo(profilo),
                                        periodo=periodo, lettura=lettura)
                tabelle[(profilo, lettura)] = scrivi_tabella(
                    t, out_dir / f"tempi_attesa_{anno}_{profilo}_{lettura}.csv", "csv")
        sanz = elenco_sanzioni(engine)
        sanz_path = scrivi_sanzioni(sanz, out_dir / "sanzioni.csv", "csv")
    tot = totali(sanz)
    secondi = time.perf_counter() - t0

    def riga(tipo: str) -> str:
        n, c = tot.get(tipo, (0, 0))
        return f"{n:,} per {format_euro_it(c)}"

    console.print(f"\n[bold]registro demo[/] — {settings.ente}, anno {anno} ({secondi:.0f} s)")
    console.print(f"  prenotazioni: {esito.righe:,} lette, {esito.accettate:,} nel registro, "
                  f"{esito.scartate:,} scartate")
    console.print(f"  in garanzia: {verifica.in_garanzia:,}; superamenti dello standard "
                  f"(da motivare): {verifica.superamenti:,}")
    console.print(f"  bonum: {riga('bonum')}; rimborsi ticket: {riga('rimborso_ticket')}")
    console.print(f"  malum: {riga('malum')}; rimborsi della differenza: "
                  f"{riga('rimborso_differenza')}")
    console.print(f"  registro: {db_path}")
    console.print(f"  tabelle: {tabelle[('carta1995', 'ex_ante')]} (e le altre tre letture)")
    console.print(f"  sanzioni: {sanz_path}")
    if esito.scartate:
        console.print(f"  scarti: {esito.file_scarti}")
    return {"esito": esito.as_dict(), "verifica": verifica.as_dict(), "secondi": secondi}
