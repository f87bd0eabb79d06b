"""`registro utente create|disattiva|password`: the people who log in to the console
(registered by servizio.cli.principale). Passwords are read from a prompt or from standard
input, hashed with argon2, never printed back nor logged (a generated one is printed once).

Heavy imports (SQLAlchemy, the models, argon2) sit inside the commands."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from servizio.cli.comune import apri_registro, leggi_impostazioni, operatore, schema_pronto

utente_app = typer.Typer(help="Utenti della console web (/console).", no_args_is_help=True)


class Ruolo(StrEnum):
    direzione = "direzione"
    cup = "cup"
    upt = "upt"
    lettura = "lettura"


def _leggi_password(password_stdin: bool) -> tuple[str, bool]:
    """(password, generated?): from stdin, from a prompt on a terminal, else generated."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False
    from servizio.console.sicurezza import password_generata

    return password_generata(), True


PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="Legge la password dalla prima riga "
                                                  "dello standard input.")]


@utente_app.command("create")
def utente_create(
    ctx: typer.Context,
    ruolo: Annotated[Ruolo, typer.Option(help="direzione, cup, upt o lettura.")],
    nome: Annotated[str, typer.Option(help="Nome utente con cui la persona accede.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Crea una persona della console; password da un prompt, da --password-stdin, o
    generata e stampata una sola volta (senza terminale e senza --password-stdin)."""
    from registro.audit import registra_audit
    from registro.db import transazione
    from servizio.console import service

    password, generata = _leggi_password(password_stdin)
    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    with transazione(engine) as session:
        service.crea_utente(session=session, nome=nome, ruolo=ruolo.value, password=password)
        registra_audit(session=session, utente=operatore(), ruolo="cli",
                       azione="utente create", risorsa="utente_console", riferimento=nome[:64],
                       prima=None, dopo={"nome": nome, "ruolo": ruolo.value})
    if generata:
        typer.echo(password)
        typer.echo(f"password generata per {nome!r}: comunicarla ora, non sarà più mostrata",
                   err=True)
    typer.echo(f"utente della console {nome!r} creato (ruolo {ruolo.value})", err=True)


@utente_app.command("disattiva")
def utente_disattiva(
    ctx: typer.Context,
    nome: Annotated[str, typer.Option(help="Nome utente da disattivare.")],
) -> None:
    """Disattiva una persona: le sue sessioni finiscono subito, non può più accedere."""
    from registro.audit import registra_audit
    from registro.db import transazione
    from servizio.console import service

    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    with transazione(engine) as session:
        u = service.disattiva_utente(session=session, nome=nome)
        registra_audit(session=session, utente=operatore(), ruolo="cli",
                       azione="utente disattiva", risorsa="utente_console",
                       riferimento=nome[:64], prima={"attivo": True},
                       dopo={"attivo": False, "ruolo": u.ruolo})
    typer.echo(f"utente della console {nome!r} disattivato")


@utente_app.command("password")
def utente_password(
    ctx: typer.Context,
    nome: Annotated[str, typer.Option(help="Nome utente.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Cambia la password (prompt, --password-stdin o generata); chiude le sessioni aperte."""
    from registro.audit import registra_audit
    from registro.db import transazione
    from servizio.console import service

    password, generata = _leggi_password(password_stdin)
    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    with transazione(engine) as session:
        service.cambia_password(session=session, nome=nome, password=password)
        registra_audit(session=session, utente=operatore(), ruolo="cli",
                       azione="utente password", risorsa="utente_console",
                       riferimento=nome[:64], prima=None, dopo={"nome": nome})
    if generata:
        typer.echo(password)
        typer.echo(f"password generata per {nome!r}: comunicarla ora, non sarà più mostrata",
                   err=True)
    typer.echo(f"password di {nome!r} cambiata; le sue sessioni sono state chiuse", err=True)
