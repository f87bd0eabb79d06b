"""The `registro` command's help in Italian, Typer's and Click's own words included.

Typer (0.29) carries its own copy of Click whose words (`Usage:`, `[OPTIONS]`, "Show this
message and exit.") are plain literals, and its help panels take their titles from module
constants computed once through `gettext` (a catalogue would need the process's language
set in the environment, for every library at once). So the few places that produce those
words are wrapped here, once, at import of the command: the table below is all there is to
translate, and `tests/functional/test_cli_aiuto.py` walks every `--help` for English left."""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import re
import sys
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


ERRORI: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(schema), sostituto) for schema, sostituto in (
        (r"^Option (\S+) requires an argument\.$", r"L'opzione \1 richiede un valore."),
        (r"^Option (\S+) requires (\d+) arguments\.$", r"L'opzione \1 richiede \2 valori."),
        (r"^Option (\S+) does not take a value\.$", r"L'opzione \1 non accetta valori."),
        (r"^No such option: ", "Opzione inesistente: "),
        (r"\(Possible options: ", "(opzioni possibili: "),
        (r"Did you mean (.+)\?", r"Forse intendevi \1?"),
        (r"^Got unexpected extra argument(?:\(s\)|s)? \((.*)\)$", r"Argomenti non previsti: \1"),
        (r"Choose from:", "Valori ammessi:"),
        (r"Value error, ", ""),
        (r"Input should be a valid integer[^.\n]*", "atteso un numero intero"),
        (r"Input should be a valid number[^.\n]*", "atteso un numero"),
        (r"Input should be a valid (?:date|datetime)[^.\n]*", "attesa una data (AAAA-MM-GG)"),
        (r"Input should be a valid boolean[^.\n]*", "atteso sì o no"),
        (r"^Invalid value for (.+?): ", r"Valore non valido per \1: "),
        (r"^Invalid value: ", "Valore non valido: "),
        (r"^Missing option", "Manca l'opzione"),
        (r"^Missing argument", "Manca l'argomento"),
        (r"^Missing parameter", "Manca il parametro"),
        (r"Value (.+) is not a valid (\w+)\.", r"il valore \1 non è valido (atteso: \2)."),
        (r"(.+) is not one of (.+)\.$", r"\1 non è tra i valori ammessi: \2."),
        (r"^(?:File|Path|Directory) (.+) does not exist\.$", r"il percorso \1 non esiste."),
        (r"^(?:File|Path|Directory) (.+) is a directory\.$", r"il percorso \1 è una cartella."),
        (r"^(?:File|Path|Directory) (.+) is a file\.$", r"il percorso \1 è un file."),
        (r"^(?:File|Path|Directory) (.+) is not readable\.$",
         r"il percorso \1 non è leggibile."),
        (r"^(?:File|Path|Directory) (.+) is not writable\.$",
         r"il percorso \1 non è scrivibile."),
        (r"^Could not open file (.+?): ", r"Impossibile aprire il file \1: "),
    ))
"""Click's and Typer's usage errors, written as f-strings (no catalogue can reach them):
translated where they are shown, by pattern, so that an operator's mistake gets an Italian
line like every other error of the command."""


def traduci(testo: str) -> str:
    return TRADUZIONI.get(testo, testo)


def traduci_errore(testo: str) -> str:
    for schema, sostituto in ERRORI:
        testo = schema.sub(sostituto, testo)
    for inglese, italiano in TIPI.items():
        testo = testo.replace(f"(atteso: {inglese}).", f"(atteso: {italiano}).")
    return testo


_installato = False


def installa() -> None:
    """Put the Italian words in place (idempotent)."""
    global _installato
    if _installato:
        return
    _installato = True
    import typer.core
    import typer.main
    from typer import _click

    typer.core._ = traduci  # type: ignore[assignment]
    # typer.rich_utils (rich's Markdown, markdown-it, the traceback: ≈ 45 ms) is imported
    # by Typer only to show help or an error: translated when that happens, not paid by
    # every command's start-up
    if "typer.rich_utils" in sys.modules:
        _traduci_rich_utils(sys.modules["typer.rich_utils"])
    else:
        sys.meta_path.insert(0, _AlCaricamento())

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


def _traduci_rich_utils(rich_utils: Any) -> None:
    """The words of Typer's help panels and error box (module typer.rich_utils)."""
    rich_utils._ = traduci
    for nome, valore in list(vars(rich_utils).items()):
        if nome.isupper() and isinstance(valore, str) and valore in TRADUZIONI:
            setattr(rich_utils, nome, TRADUZIONI[valore])
    rich_utils.OptionHighlighter.highlights = [
        r.replace("Usage: ", "Uso: ") for r in rich_utils.OptionHighlighter.highlights]
    mostra = rich_utils.rich_format_error

    @functools.wraps(mostra)
    def mostra_in_italiano(errore: Any) -> None:
        originale = errore.format_message
        errore.format_message = lambda: traduci_errore(originale())
        mostra(errore)

    rich_utils.rich_format_error = mostra_in_italiano


class _AlCaricamento(importlib.abc.MetaPathFinder):
    """Finds nothing of its own: at the first import of typer.rich_utils it hands the
    module's own spec back with a loader that translates the module once executed, then
    leaves `sys.meta_path`."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "typer.rich_utils":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Traducente(spec.loader)
        return spec


class _Traducente(importlib.abc.Loader):
    def __init__(self, caricatore: Any) -> None:
        self.caricatore = caricatore

    def create_module(self, spec: Any) -> Any:
        return self.caricatore.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.caricatore.exec_module(module)
        _traduci_rich_utils(module)


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
