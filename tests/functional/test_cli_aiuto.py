"""Help in one language: every `registro … --help` (every command, enumerated from the Typer
app) in Italian, Typer's and Click's own words included, and no description cut mid-way in
the list of a group's commands."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from servizio.cli import principale

INGLESE = ["Usage", "Options", "Commands", "Arguments", "Show this message", "[default:",
           "[required]", "[env var", "Install completion", "Show completion", "[OPTIONS]",
           "COMMAND", "[ARGS]", "<str>", "<bool>", "<path>", "<int>", "<text>", "list[",
           "(dynamic)", "(deprecated)"]


def _comandi() -> list[tuple[list[str], Any]]:
    trovati: list[tuple[list[str], Any]] = []

    def visita(cmd: Any, percorso: list[str]) -> None:
        trovati.append((percorso, cmd))
        for nome, sotto in getattr(cmd, "commands", {}).items():
            visita(sotto, [*percorso, nome])

    visita(typer.main.get_command(principale.app), [])
    return trovati


COMANDI = _comandi()


def _aiuto(percorso: list[str]) -> str:
    res = CliRunner().invoke(principale.app, [*percorso, "--help"], prog_name="registro",
                             env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return res.output


def _piano(testo: str) -> str:
    """The text as read, without the panels' borders and the wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", testo).split())


@pytest.mark.parametrize("percorso", [p for p, _ in COMANDI],
                         ids=lambda p: " ".join(p) or "registro")
def test_help_is_italian_throughout(percorso: list[str]) -> None:
    testo = _aiuto(percorso)
    assert "Uso: registro" in testo and "Mostra questo aiuto ed esce." in testo
    rimasti = [parola for parola in INGLESE if parola in testo]
    assert rimasti == [], (rimasti, testo)


@pytest.mark.parametrize("percorso, gruppo",
                         [(p, c) for p, c in COMANDI if getattr(c, "commands", None)],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_no_description_is_cut_in_a_commands_list(percorso: list[str], gruppo: Any) -> None:
    """Each command listed with the whole first paragraph of its help, one complete
    sentence (Typer kept the docstring's line breaks, cutting sentences across lines)."""
    righe = {}
    for riga in _aiuto(percorso).split("Comandi", 1)[1].splitlines():
        parole = _piano(riga).split(" ", 1)
        if len(parole) == 2 and parole[0] in gruppo.commands:
            righe[parole[0]] = parole[1]
    for nome, cmd in gruppo.commands.items():
        # (Markdown: a `code` span is shown without its backticks.)
        primo = " ".join((cmd.help or "").strip().split("\n\n")[0].split()).replace("`", "")
        assert primo.endswith("."), (nome, primo)
        # On one line of a wide terminal: the whole sentence, not a piece of it.
        assert righe.get(nome) == primo, (nome, righe.get(nome), primo)


ERRORI_DI_USO = {
    "valore mancante": (["check", "--al"], "L'opzione '--al' richiede un valore."),
    "comando sbagliato": (["checkk"], "Forse intendevi 'check'?"),
    "opzione inesistente": (["check", "--foo"], "Opzione inesistente: --foo"),
    "scelta non ammessa": (["stats", "--period", "2025", "--format", "xml"],
                           "'xml' non è tra i valori ammessi"),
    "non un intero": (["demo", "--rows", "abc"], "atteso un numero intero"),
    "argomento in più": (["check", "extra"], "Argomenti non previsti: extra"),
    "opzione obbligatoria": (["token", "create"], "Manca l'opzione '--ruolo'. Valori ammessi:"),
}
INGLESE_NEGLI_ERRORI = ["requires", "No such", "Did you mean", "Invalid value", "Missing",
                        "is not", "Input should", "Value error", "Choose from", "unexpected",
                        "Try '"]


@pytest.mark.parametrize("caso", sorted(ERRORI_DI_USO))
def test_usage_errors_are_italian(caso: str) -> None:
    """An operator's typing mistake gets Click's message in Italian too, exit 2."""
    argomenti, atteso = ERRORI_DI_USO[caso]
    res = CliRunner().invoke(principale.app, argomenti, prog_name="registro",
                             env={"COLUMNS": "400", "NO_COLOR": "1"})
    testo = _piano(res.output)
    assert res.exit_code == 2, testo
    assert atteso in testo and "Errore" in testo, testo
    rimasti = [parola for parola in INGLESE_NEGLI_ERRORI if parola in testo]
    assert rimasti == [], (rimasti, testo)


def test_help_words_are_translated_without_loading_them_at_start_up() -> None:
    """typer.rich_utils (rich's Markdown, markdown-it) is not imported by a command's
    start-up, only when help or an error is shown, and is in Italian then (a new process:
    this one has imported it already)."""
    import subprocess
    import sys

    codice = (
        "import sys\n"
        "import servizio.cli.principale\n"
        "assert 'typer.rich_utils' not in sys.modules\n"
        "import typer.rich_utils as r\n"
        "assert r.OPTIONS_PANEL_TITLE == 'Opzioni', r.OPTIONS_PANEL_TITLE\n"
        "assert any('Uso: ' in h for h in r.OptionHighlighter.highlights)\n"
        "print('ok')\n")
    esito = subprocess.run([sys.executable, "-c", codice], capture_output=True, text=True,
                           check=False)
    assert esito.stdout.strip() == "ok", esito.stderr
