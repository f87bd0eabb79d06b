"""The site's one writer: every file of a build goes through it, and no path is written twice.

Two generators that claim the same page (two codes that slug alike, a page and a data file
of one name) are a bug to see at build time, not a page silently overwritten. Paths are
relative to the site's root and may not leave it.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath


class PercorsoDuplicato(Exception):
    """A build tried to write the same file twice."""


class Scrittore:
    def __init__(self, radice: Path) -> None:
        self.radice = Path(radice)
        self.scritti: dict[str, Path] = {}

    def _destinazione(self, percorso: str) -> Path:
        rel = PurePosixPath(percorso)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"percorso fuori dal sito: {percorso!r}")
        chiave = rel.as_posix()
        if chiave in self.scritti:
            raise PercorsoDuplicato(f"{chiave} già scritto in questa generazione del sito")
        dest = self.radice.joinpath(*rel.parts)
        self.scritti[chiave] = dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest

    def testo(self, percorso: str, contenuto: str) -> Path:
        dest = self._destinazione(percorso)
        dest.write_text(contenuto, encoding="utf-8")
        return dest

    def byte(self, percorso: str, contenuto: bytes) -> Path:
        dest = self._destinazione(percorso)
        dest.write_bytes(contenuto)
        return dest

    def copia(self, origine: Path, percorso: str) -> Path:
        dest = self._destinazione(percorso)
        shutil.copyfile(origine, dest)
        return dest

    def riserva(self, percorso: str) -> Path:
        """Claim a path for a file written by another function (e.g. a CSV writer)."""
        return self._destinazione(percorso)
