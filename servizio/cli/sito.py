"""`registro site …`: build the public waiting-times site (registered by servizio.cli.principale).

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from servizio.cli.comune import apri_registro, leggi_impostazioni, passo, schema_pronto

site_app = typer.Typer(help="Sito pubblico dei tempi di attesa (file statici).",
                       no_args_is_help=True,
    rich_markup_mode="markdown")

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


@site_app.command("build")
def build(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Cartella del sito (sostituita per "
                                                        "intero a ogni generazione).")],
    period: Annotated[str | None, typer.Option(
        "--period", help="2026, 2026-H1, 2026-Q2 o 2026-05 (predefinito: l'ultimo anno "
                         "completo con prenotazioni).")] = None,
) -> None:
    """Genera il sito pubblico: pagine per prestazione, sede e reparto, diritti, metodologia,
    dati aperti (CSV, JSON, datapackage.json) e registro stampabile; stampa il percorso di
    index.html."""
    from public_site.build import build_site
    from registro.esecuzioni import Attivita, esecuzione
    from registro.periodo import Periodo

    settings = leggi_impostazioni(ctx)
    periodo = Periodo.parse(period) if period else None
    engine = apri_registro(settings)
    schema_pronto(engine)
    with passo("generazione del sito"), esecuzione(engine, Attivita.SITO, period) as run:
        esito = build_site(engine=engine, settings=settings, out=out_dir, periodo=periodo)
        run.dettaglio = f"{esito.pagine} pagine, periodo {esito.periodo}"
    for avviso in esito.avvisi:
        _err.print(f"[yellow]avviso:[/] {avviso}", highlight=False)
    _out.print(str(esito.index), highlight=False)
