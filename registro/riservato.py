"""Owner-only files in the data folder: what the register keeps is nobody else's to read.

The data folder holds the pseudonym key, the archive, the rejects, the upload and spill
folders and the reports: every folder is 0700 and every file 0600. The processes set a
umask (`registro` and `registro serve` at start) so that files written by libraries (Parquet,
PDF, SQLite) are born private too; the functions here set the modes explicitly where the
register creates its own files, so a caller with a looser umask (a script importing the
package) gets the same result.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

UMASK = 0o077
CARTELLA = 0o700
FILE = 0o600
_IN_USO = ".in_uso"
_CREA = ".lock"


def applica_umask() -> None:
    """Files and folders created by this process from now on: no group/other bits."""
    os.umask(UMASK)


def cartella(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing one is tightened."""
    path = Path(path)
    mancanti = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=CARTELLA)
    for p in (path, *mancanti):
        os.chmod(p, CARTELLA)
    return path


def file(path: Path) -> Path:
    os.chmod(path, FILE)
    return path


def apri_privato(path: Path, modo: str = "wb") -> IO[bytes]:
    """Open for writing a file created 0600 from its first byte (no window in which it is
    readable by others)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, FILE)
    os.fchmod(fd, FILE)
    return os.fdopen(fd, modo)


@contextlib.contextmanager
def _base_bloccata(base: Path) -> Iterator[None]:
    """Creation and cleanup of work folders, one at a time (the lock file sits beside
    `base`, which holds work folders only)."""
    fd = os.open(base.parent / f".{base.name}{_CREA}", os.O_RDWR | os.O_CREAT, FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def cartella_di_lavoro(base: Path, prefisso: str = "ingest-") -> Iterator[Path]:
    """A private work folder under `base` (0700), locked while in use and removed after:
    `rimuovi_abbandonate` removes only folders nobody holds (the kernel releases the lock
    of a killed process), and never one between its creation and its lock."""
    cartella(base)
    with _base_bloccata(base):
        path = Path(tempfile.mkdtemp(prefix=prefisso, dir=base))
        fd = os.open(path / _IN_USO, os.O_RDWR | os.O_CREAT, FILE)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def rimuovi_abbandonate(base: Path, prefisso: str = "ingest-") -> int:
    """Remove the work folders under `base` left by a killed process (an upload holds the
    raw file, codici fiscali in clear); folders in use by a live process are left alone.
    Returns how many were removed."""
    if not base.is_dir():
        return 0
    rimosse = 0
    with _base_bloccata(base):
        for c in base.glob(f"{prefisso}*"):
            if not c.is_dir():
                continue
            try:
                fd = os.open(c / _IN_USO, os.O_RDWR | os.O_CREAT, FILE)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # in use by a live process
            shutil.rmtree(c, ignore_errors=True)
            os.close(fd)
            rimosse += 1
    return rimosse
