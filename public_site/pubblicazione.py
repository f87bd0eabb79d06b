"""Atomic publication of a built site: the folder exchange, one build at a time, and the
recovery of a build that was killed.

The site is built in a temporary sibling folder and put in place in one step, so a reader
never sees half a site; only a folder carrying `MARCATORE` (a site built here) is ever
replaced, so a mistyped `--out` cannot remove someone's documents.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from registro.errors import ErroreUtente

MARCATORE = ".registro-sito"
"""File that marks a folder as a site built here: only such a folder is ever replaced."""

TESTO_MARCATORE = ("Sito generato da `registro site build`: questa cartella viene sostituita "
                   "a ogni generazione.\n")


def verifica_destinazione(out: Path) -> None:
    """Refuse a destination that exists and is not an empty folder or a site built here."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / MARCATORE).exists())):
        raise ErroreUtente(f"{out}: esiste e non è un sito generato da registro; scegliere una "
                           "cartella nuova o vuota")


def _scambia(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False when the
    system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b),
                          rename_exchange) == 0)


def metti_in_linea(nuovo: Path, out: Path) -> None:
    """Put the new site at `out`. A reader sees the old site or the new one, never half of
    one: with an atomic exchange there is not even a moment without a site. Afterwards the
    old site is at `nuovo` (the caller removes it)."""
    if not out.exists():
        nuovo.rename(out)
        return
    if _scambia(nuovo, out):
        return
    vecchio = out.parent / f".{out.name}.vecchio-{uuid.uuid4().hex[:8]}"
    out.rename(vecchio)
    nuovo.rename(out)
    shutil.rmtree(vecchio, ignore_errors=True)


@contextlib.contextmanager
def un_build_alla_volta(out: Path) -> Iterator[None]:
    """An exclusive lock beside the site: a second build waits instead of removing the
    first one's work in progress (released by the kernel if the process dies)."""
    with open(out.parent / f".{out.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def leggibile_da_tutti(radice: Path) -> None:
    """The site is public (aggregates only): readable by the web server whatever the umask
    of the process that built it (`registro` runs with an owner-only umask)."""
    for cartella, sottocartelle, file in os.walk(radice):
        os.chmod(cartella, 0o755)
        for nome in sottocartelle:
            os.chmod(os.path.join(cartella, nome), 0o755)
        for nome in file:
            os.chmod(os.path.join(cartella, nome), 0o644)


def ripristina(out: Path) -> None:
    """After a build killed mid-way: drop half-built folders; if the fallback swap was cut
    between its two renames, put the old site back."""
    for resto in out.parent.glob(f".{out.name}.nuovo-*"):
        shutil.rmtree(resto, ignore_errors=True)
    vecchi = sorted(out.parent.glob(f".{out.name}.vecchio-*"))
    if vecchi and not out.exists():
        vecchi.pop().rename(out)
    for resto in vecchi:
        shutil.rmtree(resto, ignore_errors=True)


@contextlib.contextmanager
def cartella_nuova(out: Path) -> Iterator[Path]:
    """Under the lock and after recovery, an empty sibling folder to build the site in; when
    the block ends normally it is put in place of `out`. Whatever happens, what is left at
    the temporary path (half a site, or the old one after the exchange) is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with un_build_alla_volta(out):
        ripristina(out)
        nuovo = Path(tempfile.mkdtemp(prefix=f".{out.name}.nuovo-", dir=out.parent))
        try:
            os.chmod(nuovo, 0o755)
            yield nuovo
            leggibile_da_tutti(nuovo)
            metti_in_linea(nuovo, out)
        finally:
            shutil.rmtree(nuovo, ignore_errors=True)
