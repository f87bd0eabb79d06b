"""`registro token create|revoke` and `registro serve` (registered by servizio.cli.principale).

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from servizio.cli.comune import apri_registro, leggi_impostazioni, operatore, schema_pronto

token_app = typer.Typer(help="Token dell'API interna (bearer, con ruolo).",
                        no_args_is_help=True,
    rich_markup_mode="markdown")


class Ruolo(StrEnum):
    direzione = "direzione"
    cup = "cup"
    upt = "upt"
    lettura = "lettura"


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    ruolo: Annotated[Ruolo, typer.Option(help="direzione, cup, upt o lettura.")],
    nome: Annotated[str, typer.Option(help="Chi userà il token (persona o servizio).")],
) -> None:
    """Crea un token e lo stampa una sola volta (si conserva solo la sua impronta)."""
    from registro.audit import registra_audit
    from registro.db import transazione
    from servizio.api import service

    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    with transazione(engine) as session:
        token = service.crea_token(session=session, nome=nome, ruolo=ruolo.value)
        registra_audit(session=session, utente=operatore(), ruolo="cli",
                               azione="token create", risorsa="utente_api", riferimento=nome,
                               prima=None, dopo={"nome": nome, "ruolo": ruolo.value})
    typer.echo(token)
    typer.echo(f"token per {nome!r} (ruolo {ruolo.value}): conservarlo ora, non sarà più "
               "mostrato", err=True)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    nome: Annotated[str, typer.Option(help="Il nome del token da revocare.")],
) -> None:
    """Revoca i token attivi di NOME: da subito le richieste con quel token hanno 401."""
    from registro.audit import registra_audit
    from registro.db import transazione
    from servizio.api import service

    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    with transazione(engine) as session:
        n = service.revoca_token(session=session, nome=nome)
        registra_audit(session=session, utente=operatore(), ruolo="cli",
                               azione="token revoke", risorsa="utente_api", riferimento=nome,
                               prima=None, dopo={"nome": nome, "revocati": n})
    typer.echo(f"token di {nome!r} revocato")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Indirizzo di ascolto.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Porta.")] = 8000,
    workers: Annotated[int, typer.Option(help="Processi uvicorn.")] = 1,
) -> None:
    """Avvia l'API interna (uvicorn); documentazione su /docs."""
    import uvicorn

    from servizio.api.app import create_app

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    engine.dispose()
    if workers > 1:
        # uvicorn needs an import string for several workers: the factory reads the
        # settings from the environment and REGISTRO_CONFIG, as `load_settings` does.
        import os

        os.environ["REGISTRO_DB_URL"] = settings.db_url
        uvicorn.run("servizio.api.app:app_da_ambiente", factory=True, host=host, port=port,
                    workers=workers, log_level="info")
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
