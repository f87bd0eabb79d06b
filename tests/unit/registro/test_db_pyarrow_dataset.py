"""Opening an ADBC connection does not import pyarrow's dataset machinery nor pandas (a third
of a second of every command, registro.db `_pyarrow_dataset_pigro`), and `pyarrow.dataset`
still works for whoever uses it. In a fresh interpreter: the test process has imported
everything already."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODICE = """
import sys
from sqlalchemy import create_engine
from registro import db
engine = create_engine("sqlite:///{db}")
with db.adbc_connection(engine) as conn:
    cur = conn.cursor()
    cur.execute("SELECT 41 + 1")
    assert cur.fetchall() == [(42,)]
    cur.close()
print("caricati", "pandas" in sys.modules, "pyarrow._dataset" in sys.modules)
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
pq.write_table(pa.table({{"a": [1, 2, 3]}}), "{pq}")
print("righe", ds.dataset("{pq}").count_rows(), pq.read_table("{pq}").num_rows)
"""


def test_adbc_without_pandas_and_dataset_on_demand(tmp_path: Path) -> None:
    codice = CODICE.format(db=tmp_path / "r.db", pq=tmp_path / "t.parquet")
    esito = subprocess.run([sys.executable, "-c", codice], capture_output=True, text=True,
                           check=True)
    assert esito.stdout.splitlines() == ["caricati False False", "righe 3 3"]
