"""The SHA-256 of a file, read in 1 MiB blocks: the one checksum the ingest run log and the
report archive both record (a file of any size, constant memory)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of the file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
