"""`registro.formato.intero`: a count as an Italian reader writes it."""

from __future__ import annotations

import numpy as np
import pytest

from registro.formato import intero


@pytest.mark.parametrize(("valore", "atteso"), [
    (0, "0"), (999, "999"), (1000, "1.000"), (1_234_567, "1.234.567"), (-4500, "-4.500"),
    (np.int64(5_000_000), "5.000.000"),   # a count straight from polars/numpy: no ",0"
])
def test_intero(valore: int, atteso: str) -> None:
    assert intero(valore) == atteso
