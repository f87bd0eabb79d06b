"""The `registro` command's help in Italian, Typer's and Click's own words included.

Typer (0.29) carries its own copy of Click whose words (`Usage:`, `[OPTIONS]`, "Show this
message and exit.") are plain literals, and its help panels take their titles from module
constants computed once through `gettext` (a catalogue would need the process's language
set in the environment, for every library at once). So the few places that produce those
words are wrapped here, once, at import of the command: the table below is all there is to
translate, and `tests/functional/test_cli_aiuto.py` walks every `--help` for English left."""

from __future__ import annotations

import functools
from typing import Any

TRADUZIONI = {
    "Options": "Opzioni",
    "Arguments": "Argomenti",
    "Commands": "Comandi",
    "Error": "Errore",
    "Aborted.": "Interrotto.",
    "Aborted!": "Interrotto.",
    "(deprecated) ": "(deprecato) ",
    "[default: {}]": "[predefinito: {}]",
    "[env var: {}]": "[variabile d'ambiente: {}]",
    "[required]": "[obbligatorio]",
    "default: {default}": "predefinito: {default}",
    "env var: {var}": "variabile d'ambiente: {var}",
    "required": "obbligatorio",
    "(dynamic)": "(calcolato)",
    "Try [blue]'{command_path} {help_option}'[/] for help.":
        "Per l'aiuto: [blue]'{command_path} {help_option}'[/].",
    "Show this message and exit.": "Mostra questo aiuto ed esce.",
    "Install completion for the current shell.":
        "Installa il completamento automatico per la shell in uso.",
    "Show completion for the current shell, to copy it or customize the installation.":
        "Mostra lo script di completamento per la shell in uso, da copiare o adattare.",
    "Missing command.": "Manca il comando.",
    "No such command {name!r}.": "Comando inesistente: {name!r}.",
}

USO = {"Usage: ": "Uso: ", "[OPTIONS]": "[OPZIONI]", "COMMAND [ARGS]...": "COMANDO [ARGOMENTI]..."}

TIPI = {"str": "testo", "text": "testo", "int": "intero", "integer": "intero",
        "float": "numero", "path": "percorso", "file": "file", "directory": "cartella",
        "list[Path]": "percorsi", "datetime": "data"}
"""Typer shows each option's type in angle brackets (`<str>`): the same in Italian."""


def traduci(testo: str) -> str:
    return TRADUZIONI.get(testo, testo)


_installato = False


def installa() -> None:
    """Put the Italian words in place (idempotent)."""
    global _installato
    if _installato:
        return
    _installato = True
    import typer.core
    import typer.main
    import typer.rich_utils
    from typer import _click

    for modulo in (typer.core, typer.rich_utils):
        modulo._ = traduci  # type: ignore[attr-defined]
    for nome, valore in list(vars(typer.rich_utils).items()):
        if nome.isupper() and isinstance(valore, str) and valore in TRADUZIONI:
            setattr(typer.rich_utils, nome, TRADUZIONI[valore])
    typer.rich_utils.OptionHighlighter.highlights = [
        r.replace("Usage: ", "Uso: ") for r in typer.rich_utils.OptionHighlighter.highlights]

    get_usage = _click.core.Command.get_usage

    @functools.wraps(get_usage)
    def uso(self: Any, ctx: Any) -> str:
        testo = get_usage(self, ctx)
        for inglese, italiano in USO.items():
            testo = testo.replace(inglese, italiano)
        return testo

    _click.core.Command.get_usage = uso  # type: ignore[method-assign]

    get_help_option = _click.core.Command.get_help_option

    @functools.wraps(get_help_option)
    def aiuto(self: Any, ctx: Any) -> Any:
        opzione = get_help_option(self, ctx)
        if opzione is not None and opzione.help:
            opzione.help = traduci(opzione.help)
        return opzione

    _click.core.Command.get_help_option = aiuto  # type: ignore[method-assign]

    completamento = typer.main.get_install_completion_arguments

    @functools.wraps(completamento)
    def completamento_it() -> Any:
        parametri = completamento()
        for p in parametri:
            p.help = traduci(getattr(p, "help", None) or "")  # type: ignore[attr-defined]
        return parametri

    typer.main.get_install_completion_arguments = completamento_it

    for classe in (typer.core.TyperOption, typer.core.TyperArgument):
        _tipo_in_italiano(classe)


def _tipo_in_italiano(classe: Any) -> None:
    originale = classe.display_type_rich

    @functools.wraps(originale)
    def tipo(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False):
            return None   # a switch takes no value: no type to show
        testo = originale(self, ctx)
        if testo and testo.startswith("<") and testo.endswith(">"):
            return f"<{TIPI.get(testo[1:-1], testo[1:-1])}>"
        return testo

    classe.display_type_rich = tipo
