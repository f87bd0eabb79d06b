"""A plain-Python, row-at-a-time oracle of reports.stats.tabella_prestazioni, for the tests.

Written from DESIGN.md "Statistics" without polars and without registro.rules: the guarantee
rule is spelled out here, only the target comes from `profilo.standard(...)`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from registro.periodo import Periodo
from registro.standards import Profilo
from supporto.oracoli.agende import scavalcati


def _giorno(valore: date | datetime) -> date:
    return valore.date() if isinstance(valore, datetime) else valore


def _mezzo_su(num: int, den: int, decimali: int) -> float:
    """num/den rounded half away from zero to `decimali` places."""
    q = Fraction(num, den) * 10**decimali
    unita = math.floor(abs(q) + Fraction(1, 2))
    return (unita if q >= 0 else -unita) / 10**decimali


def in_garanzia(r: dict[str, Any], profilo: Profilo) -> tuple[int, int] | None:
    """(wait, target) of a booking in guarantee, None outside it."""
    target = profilo.standard(tipo=r["tipo"], codice_prestazione=r["codice_prestazione"],
                              classe_priorita=r["classe_priorita"])
    primo = r["tipo_accesso"] is None or r["tipo_accesso"] == "primo"
    scelta = r["scelta_utente"] is True
    if primo and not scelta and target is not None:
        return (_giorno(r["data_appuntamento"]) - _giorno(r["data_prenotazione"])).days, target
    return None


def mediana(valori: list[int]) -> float:
    ordinate = sorted(valori)
    n = len(ordinate)
    return float(ordinate[n // 2]) if n % 2 else (ordinate[n // 2 - 1] + ordinate[n // 2]) / 2


def andamento(righe: list[dict[str, Any]], *, profilo: Profilo,
              periodo: Periodo) -> list[dict[str, Any]]:
    """The site's monthly trend: per service and month of booking, over every site and
    class, the bookings in guarantee: n, median, the one target (or None), share within."""
    gruppi: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for r in righe:
        giorno = _giorno(r["data_prenotazione"])
        misura = in_garanzia(r, profilo)
        if periodo.inizio <= giorno < periodo.fine and misura is not None:
            gruppi.setdefault((r["codice_prestazione"], f"{giorno:%Y-%m}"), []).append(misura)
    out = []
    for (codice, mese), misure in sorted(gruppi.items()):
        attese = [a for a, _ in misure]
        standard = {s for _, s in misure}
        out.append({
            "mese": mese, "codice_prestazione": codice, "n": len(misure),
            "attesa_mediana": mediana(attese),
            "standard_giorni": standard.pop() if len(standard) == 1 else None,
            "quota_entro_standard": _mezzo_su(sum(1 for a, s in misure if a <= s),
                                              len(misure), 3),
        })
    return out


def tabella(righe: list[dict[str, Any]], *, profilo: Profilo, periodo: Periodo,
            lettura: str = "ex_ante") -> list[dict[str, Any]]:
    # the chronological order over the whole agenda (oracle_agende), before the period
    scavalchi = scavalcati([{**r, "in_garanzia": in_garanzia(r, profilo) is not None}
                            for r in righe])
    gruppi: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for r in righe:
        if lettura == "ex_ante":
            giorno = _giorno(r["data_prenotazione"])
            dentro = periodo.inizio <= giorno < periodo.fine
        else:
            giorno = _giorno(r["data_appuntamento"])
            dentro = r["stato"] == "erogata" and periodo.inizio <= giorno < periodo.fine
        if not dentro:
            continue
        classe = r["classe_priorita"] if profilo.per_classe else None
        chiave = (r["codice_prestazione"], r["codice_sede"], classe)
        gruppi.setdefault(chiave, []).append(r)

    out = []
    for chiave in sorted(gruppi, key=lambda k: (k[0], k[1], k[2] is not None, k[2] or "")):
        attese: list[int] = []
        standard: list[int] = []
        fuori = 0
        scavalcano = 0
        for r in gruppi[chiave]:
            misura = in_garanzia(r, profilo)
            if misura is not None:
                attese.append(misura[0])
                standard.append(misura[1])
                scavalcano += scavalchi.get(r["id_prenotazione"], 0) > 0
            else:
                fuori += 1
        n = len(attese)
        riga: dict[str, Any] = {
            "periodo": periodo.etichetta,
            "codice_prestazione": chiave[0],
            "codice_sede": chiave[1],
            "classe_priorita": chiave[2],
            "n": n,
            "attesa_media": None,
            "attesa_mediana": None,
            "attesa_p90": None,
            "standard_giorni": None,
            "quota_entro_standard": None,
            "n_fuori_garanzia": fuori,
            "quota_fuori_ordine": None,
        }
        if n:
            ordinate = sorted(attese)
            if n % 2 == 1:
                mediana = float(ordinate[n // 2])
            else:
                mediana = (ordinate[n // 2 - 1] + ordinate[n // 2]) / 2
            rango = math.ceil(Fraction(9, 10) * n)  # exact: no float 0.9
            entro = sum(1 for a, s in zip(attese, standard, strict=True) if a <= s)
            riga.update(
                attesa_media=_mezzo_su(sum(attese), n, 1),
                attesa_mediana=mediana,
                attesa_p90=ordinate[rango - 1],
                standard_giorni=standard[0] if len(set(standard)) == 1 else None,
                quota_entro_standard=_mezzo_su(entro, n, 3),
                quota_fuori_ordine=_mezzo_su(scavalcano, n, 3),
            )
        out.append(riga)
    return out
