"""`registro report conferenza|osservatorio|direzione`: the scheduled reports, run by hand.

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from servizio.cli.comune import apri_registro, leggi_impostazioni, schema_pronto

report_app = typer.Typer(help="Report periodici: Conferenza dei Sindaci, Osservatorio "
                              "regionale, Direttore Sanitario.", no_args_is_help=True,
    rich_markup_mode="markdown")

_CONSEGNA = typer.Option("--consegna/--no-consegna",
                         help="Inviare per posta ai destinatari delle impostazioni (se "
                              "configurati).")


def _esegui(ctx: typer.Context, tipo: str, periodo: str | None, al: date | None,
            out: Path | None, consegnare: bool) -> None:
    from reports.service import esegui

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    esito, consegna = esegui(engine=engine, settings=settings, tipo=tipo, periodo=periodo,
                             al=al, out=out, consegnare=consegnare)
    typer.echo(f"report {tipo} {esito.periodo} v{esito.versione}: {len(esito.files)} file "
               f"archiviati in {esito.cartella}"
               + (f", copiati in {esito.copia_in}" if esito.copia_in else "")
               + f"; consegna: {consegna}")


@report_app.command()
def conferenza(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="2026, 2026-H1, 2026-Q2 o 2026-05.")],
    out: Annotated[Path | None, typer.Option(help="Cartella dove copiare i file.")] = None,
    consegnare: Annotated[bool, _CONSEGNA] = True,
) -> None:
    """Relazione alla Conferenza dei Sindaci: HTML, PDF accessibile e tabelle CSV."""
    _esegui(ctx, "conferenza", period, None, out, consegnare)


@report_app.command()
def osservatorio(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="2026, 2026-H1, 2026-Q2 o 2026-05.")],
    out: Annotated[Path | None, typer.Option(help="Cartella dove copiare i file.")] = None,
    consegnare: Annotated[bool, _CONSEGNA] = True,
) -> None:
    """Rilevazione per l'Osservatorio regionale: CSV + JSON con schema.json."""
    _esegui(ctx, "osservatorio", period, None, out, consegnare)


@report_app.command()
def direzione(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="Cartella dove copiare i file.")] = None,
    al: Annotated[str | None, typer.Option(help="Data di riferimento AAAA-MM-GG "
                                                "(predefinita: oggi).")] = None,
    consegnare: Annotated[bool, _CONSEGNA] = True,
) -> None:
    """Pacchetto mensile del Direttore Sanitario: lista di monitoraggio, superamenti per
    unità, sanzioni per sede."""
    from registro.errors import ErroreUtente

    giorno = None
    if al:
        try:
            giorno = date.fromisoformat(al)
        except ValueError:
            raise ErroreUtente(f"data non valida: {al!r} (formato AAAA-MM-GG)") from None
    _esegui(ctx, "direzione", None, giorno, out, consegnare)
