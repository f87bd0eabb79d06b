"""`registro scheduler`: the command line of the periodic jobs, apart from `servizio.scheduled`
so that every other command starts without importing APScheduler and the models.

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from servizio.cli.comune import apri_registro, leggi_impostazioni, schema_pronto

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from registro.settings import Settings

scheduler_app = typer.Typer(
    help="Il processo dei lavori periodici (senza sottocomando: lo avvia; si ferma con "
         "SIGTERM).", invoke_without_command=True,
    rich_markup_mode="markdown")


def _contesto(ctx: typer.Context) -> tuple[Engine, Settings]:

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    return engine, settings


@scheduler_app.callback()
def _avvia(ctx: typer.Context) -> None:
    """Avvia lo scheduler (processo di lunga durata)."""
    if ctx.invoked_subcommand is not None:
        return
    from servizio.scheduled import servi

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    engine, settings = _contesto(ctx)
    servi(engine=engine, settings=settings)


@scheduler_app.command("list")
def lista(ctx: typer.Context) -> None:
    """Elenca i lavori: quando scattano, il prossimo avvio, l'ultimo esito."""
    from servizio.scheduled import elenco

    engine, settings = _contesto(ctx)
    for r in elenco(engine=engine, settings=settings):
        prossima = r["prossima"].strftime("%Y-%m-%d %H:%M") if r["prossima"] else "-"
        ultimo = r["ultimo_scatto"].strftime("%Y-%m-%d %H:%M") if r["ultimo_scatto"] else "-"
        typer.echo(f"{r['id']:<20} prossimo {prossima}  ultimo {ultimo} "
                   f"{r['esito'] or ''}{' (in corso)' if r['in_corso'] else ''}  "
                   f"— {r['descrizione']}")


@scheduler_app.command("run")
def esegui_ora(ctx: typer.Context,
               job: Annotated[str, typer.Argument(help="Id del lavoro (vedi `list`).")]
               ) -> None:
    """Esegue subito un lavoro (salvo che sia già in corso in un altro processo)."""
    from registro.errors import ErroreUtente
    from servizio.scheduled import esegui_lavoro

    engine, settings = _contesto(ctx)
    riga = esegui_lavoro(engine=engine, settings=settings, job_id=job, manuale=True)
    if riga is None:
        raise ErroreUtente(f"{job}: già in esecuzione in un altro processo")
    typer.echo(f"{job}: {riga}")


