"""What the tests share: builders of exports and registers (`prenotazioni`, `sito`,
`report`, `tutela`), the API's fixtures (`api`), the CLI runner (`cli`) and the plain-Python
oracles (`oracoli`). Imported as `supporto.…` (pyproject's `pythonpath = ["tests"]`)."""

from __future__ import annotations

from pathlib import Path

RADICE = Path(__file__).resolve().parents[2]
"""The repository's root, wherever the test that asks sits."""
CARTELLA_TESTS = RADICE / "tests"
"""tests/: the bad-input corpus (`data/bad`) and the golden site (`golden/sito`)."""
