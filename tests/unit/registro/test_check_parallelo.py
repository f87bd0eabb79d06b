"""The incremental check encodes the mirror in a thread of its own (registro.check
`_InParallelo`): what it raises reaches the check, which then records no digest of the mirror
and does not put it in place (the next check is full)."""

from __future__ import annotations

import pytest

from registro.check import _InParallelo


def test_the_threads_result_and_its_error_reach_the_caller() -> None:
    fatto: list[int] = []
    _InParallelo(fatto.append, 7).attendi()
    assert fatto == [7]

    def guasto() -> None:
        raise ValueError("copia")

    with pytest.raises(ValueError, match="copia"):
        _InParallelo(guasto).attendi()


def test_aspetta_waits_for_the_thread_and_keeps_the_callers_error() -> None:
    import threading

    via = threading.Event()
    fatto: list[str] = []

    def lento() -> None:
        via.wait(5)
        fatto.append("finito")
        raise OSError("del thread")

    lavoro = _InParallelo(lento)
    via.set()
    lavoro.aspetta()
    assert fatto == ["finito"]
