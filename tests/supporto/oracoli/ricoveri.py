"""A plain-Python, row-at-a-time oracle of the ricoveri rules and reports, for the tests.

Written from DESIGN.md ("Rules": Breach, Chronological order; "Statistics") without polars:
only the maximum wait comes from `profilo.attesa_massima(...)`. Mirrors
registro.ordine (derivati_ricoveri, fuori_ordine), reports.monitoring.lista_monitoraggio and
reports.stats_ricoveri.tabella_ricoveri. At the end, the builders of the tests' inputs.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import polars as pl

from registro.letture import SCHEMA_RICOVERI
from registro.periodo import Periodo
from registro.standards import Profilo
from supporto.oracoli.stats import _mezzo_su, mediana

Riga = dict[str, Any]


def _giorno(valore: date | datetime | None) -> date | None:
    if valore is None:
        return None
    return valore.date() if isinstance(valore, datetime) else valore


def _data(valore: date | datetime) -> date:
    """The calendar day of a value known to be there."""
    giorno = _giorno(valore)
    assert giorno is not None
    return giorno


def _massima(profilo: Profilo, r: Riga) -> int | None:
    return profilo.attesa_massima(classe_priorita=r["classe_priorita"],
                                  codice_reparto=r["codice_reparto"],
                                  codice_patologia=r["codice_patologia"])


def derivati(righe: list[Riga], profilo: Profilo, oggi: date) -> list[Riga]:
    out = []
    for r in righe:
        inserito = _data(r["data_inserimento"])
        attesa: int | None = None
        if r["stato"] == "ricoverato" and r["data_ricovero"] is not None:
            attesa = (_data(r["data_ricovero"]) - inserito).days
        elif r["stato"] == "in_attesa":
            attesa = (oggi - inserito).days
        massima = _massima(profilo, r)
        sup = attesa is not None and massima is not None and attesa > massima
        out.append({**r, "attesa_giorni": attesa, "attesa_massima": massima,
                    "superamento": sup})
    return out


def _in_attesa_il(y: Riga, giorno: date) -> bool:
    """Was entry y on the list, still waiting, on that day?"""
    if _data(y["data_inserimento"]) > giorno:
        return False
    ricovero = _giorno(y["data_ricovero"])
    if ricovero is not None and ricovero <= giorno:
        return False
    if y["stato"] == "cancellato":
        cancellato = _giorno(y["data_cancellazione"])
        if cancellato is None or cancellato <= giorno:
            return False
    return True


def fuori_ordine(righe: list[Riga]) -> list[Riga]:
    coppie = []
    for x in righe:
        if x["stato"] != "ricoverato" or x["data_ricovero"] is None:
            continue
        giorno = _giorno(x["data_ricovero"])
        assert giorno is not None
        for y in righe:
            if (y["codice_reparto"] == x["codice_reparto"]
                    and y["classe_priorita"] <= x["classe_priorita"]
                    and y["data_inserimento"] < x["data_inserimento"]
                    and _in_attesa_il(y, giorno)):
                coppie.append({
                    "id_ricovero": x["id_ricovero"], "id_scavalcato": y["id_ricovero"],
                    "codice_reparto": x["codice_reparto"],
                    "classe_priorita": x["classe_priorita"],
                    "classe_scavalcato": y["classe_priorita"],
                    "data_ricovero": x["data_ricovero"],
                    "data_inserimento_scavalcato": y["data_inserimento"],
                })
    coppie.sort(key=lambda c: (c["id_ricovero"], c["data_inserimento_scavalcato"],
                               c["id_scavalcato"]))
    return coppie


LISTE = ["superamento_senza_motivazione", "fuori_ordine_senza_motivazione", "in_scadenza"]
URGENZA = {"prestazioni": ["U", "B", "D", "P"], "ricoveri": ["A", "B", "C", "D"]}
"""Most urgent first: the list is sorted by list, then class, then days beyond the target."""


def lista(*, prenotazioni: list[Riga], ricoveri: list[Riga], coppie: list[Riga],
          motivazioni: list[Riga], giorni_preavviso: int = 14,
          includi_motivati: bool = False) -> list[Riga]:
    """`ricoveri` as returned by `derivati` (waits as of the list's day)."""
    motivati = {(m["registro"], m["id"], m["oggetto"]) for m in motivazioni}
    out: list[Riga] = []

    def aggiungi(lista_: str, registro: str, id_: str, codice: str, sede: str,
                 classe: str | None, giorni: int, soglia: int | None, dal: date,
                 oggetto: str) -> None:
        motivato = (registro, id_, oggetto) in motivati
        if motivato and not includi_motivati:
            return
        out.append({"lista": lista_, "registro": registro, "id": id_,
                    "codice_reparto_o_prestazione": codice, "codice_sede_o_patologia": sede,
                    "classe_priorita": classe, "giorni": giorni, "soglia": soglia, "dal": dal,
                    "motivato": motivato, "termine": None, "servizio": None})

    for p in prenotazioni:
        if p["superamento"]:
            dal = _data(p["data_prenotazione"]) + timedelta(days=p["standard_giorni"] + 1)
            aggiungi(LISTE[0], "prestazioni", p["id_prenotazione"], p["codice_prestazione"],
                     p["codice_sede"], p["classe_priorita"], p["attesa_giorni"],
                     p["standard_giorni"], dal, "superamento")
    per_id = {r["id_ricovero"]: r for r in ricoveri}
    for r in ricoveri:
        if r["stato"] in ("ricoverato", "in_attesa") and r["superamento"]:
            dal = _data(r["data_inserimento"]) + timedelta(days=r["attesa_massima"] + 1)
            aggiungi(LISTE[0], "ricoveri", r["id_ricovero"], r["codice_reparto"],
                     r["codice_patologia"], r["classe_priorita"], r["attesa_giorni"],
                     r["attesa_massima"], dal, "superamento")
    scavalcati: dict[str, int] = {}
    for c in coppie:
        scavalcati[c["id_ricovero"]] = scavalcati.get(c["id_ricovero"], 0) + 1
    for id_, quanti in scavalcati.items():
        x = per_id[id_]
        aggiungi(LISTE[1], "ricoveri", id_, x["codice_reparto"], x["codice_patologia"],
                 x["classe_priorita"], quanti, None, _data(x["data_ricovero"]),
                 "fuori_ordine")
    for r in ricoveri:
        if r["stato"] != "in_attesa" or r["attesa_massima"] is None:
            continue
        restano = r["attesa_massima"] - r["attesa_giorni"]
        if 0 <= restano <= giorni_preavviso:
            dal = _data(r["data_inserimento"]) + timedelta(days=r["attesa_massima"] + 1)
            aggiungi(LISTE[2], "ricoveri", r["id_ricovero"], r["codice_reparto"],
                     r["codice_patologia"], r["classe_priorita"], r["attesa_giorni"],
                     r["attesa_massima"], dal, "superamento")

    def chiave(v: Riga) -> tuple[int, int, int, str, str]:
        distanza = v["giorni"] if v["soglia"] is None else v["giorni"] - v["soglia"]
        classi = URGENZA[v["registro"]]
        urgenza = classi.index(v["classe_priorita"]) if v["classe_priorita"] in classi else 4
        return (LISTE.index(v["lista"]), urgenza, -distanza, v["id"], v["registro"])

    return sorted(out, key=chiave)


def tabella(righe: list[Riga], *, profilo: Profilo, periodo: Periodo,
            coppie: list[Riga]) -> list[Riga]:
    ultimo = periodo.fine - timedelta(days=1)
    fuori = {c["id_ricovero"] for c in coppie}
    attese: dict[tuple[str, str, str], list[int]] = {}
    n_fuori: dict[tuple[str, str, str], int] = {}
    in_corso: dict[tuple[str, str, str], list[int]] = {}
    for r in righe:
        k = (r["codice_reparto"], r["codice_patologia"], r["classe_priorita"])
        inserito = _data(r["data_inserimento"])
        ricovero = _giorno(r["data_ricovero"])
        if (r["stato"] == "ricoverato" and ricovero is not None
                and periodo.inizio <= ricovero < periodo.fine):
            attese.setdefault(k, []).append((ricovero - inserito).days)
            if r["id_ricovero"] in fuori:
                n_fuori[k] = n_fuori.get(k, 0) + 1
        if _in_attesa_il(r, ultimo):
            in_corso.setdefault(k, []).append((ultimo - inserito).days)

    out = []
    for k in sorted(set(attese) | set(in_corso)):
        standard = profilo.attesa_massima(codice_reparto=k[0], codice_patologia=k[1],
                                          classe_priorita=k[2])
        valori = attese.get(k, [])
        n = len(valori)
        waiting = in_corso.get(k, [])
        riga: Riga = {
            "periodo": periodo.etichetta, "codice_reparto": k[0], "codice_patologia": k[1],
            "classe_priorita": k[2], "n": n, "attesa_media": None, "attesa_mediana": None,
            "attesa_p90": None, "standard_giorni": standard, "quota_entro_standard": None,
            "in_attesa": len(waiting), "attesa_massima_in_corso": max(waiting, default=None),
            "fuori_ordine": n_fuori.get(k, 0),
        }
        if n:
            ordinate = sorted(valori)
            mediana = (float(ordinate[n // 2]) if n % 2 else
                       (ordinate[n // 2 - 1] + ordinate[n // 2]) / 2)
            rango = math.ceil(Fraction(9, 10) * n)
            riga.update(attesa_media=_mezzo_su(sum(valori), n, 1), attesa_mediana=mediana,
                        attesa_p90=ordinate[rango - 1])
            if standard is not None:
                entro = sum(1 for a in valori if a <= standard)
                riga["quota_entro_standard"] = _mezzo_su(entro, n, 3)
        out.append(riga)
    return out


def per_reparto(righe: list[Riga], *, profilo: Profilo, periodo: Periodo, coppie: list[Riga],
                reparti: dict[str, str], soglia: int) -> list[Riga]:
    """The Conferenza report's table per ward (reports.conferenza.ricoveri_per_reparto)."""
    attese: dict[str, list[tuple[int, int | None]]] = {}
    for r in righe:
        ricovero = _giorno(r["data_ricovero"])
        if (r["stato"] == "ricoverato" and ricovero is not None
                and periodo.inizio <= ricovero < periodo.fine):
            attesa = (ricovero - _data(r["data_inserimento"])).days
            attese.setdefault(r["codice_reparto"], []).append((attesa, _massima(profilo, r)))
    gruppi = tabella(righe, profilo=profilo, periodo=periodo, coppie=coppie)
    lista: dict[str, tuple[int, int]] = {}
    for g in gruppi:
        a, f = lista.get(g["codice_reparto"], (0, 0))
        lista[g["codice_reparto"]] = (a + g["in_attesa"], f + g["fuori_ordine"])
    out = []
    for reparto in sorted(set(attese) | set(lista)):
        valori = attese.get(reparto, [])
        n = len(valori)
        entro = sum(1 for a, m in valori if m is not None and a <= m)
        soppresso = n < soglia
        in_attesa, fuori = lista.get(reparto, (0, 0))
        out.append({
            "codice_reparto": reparto, "reparto": reparti.get(reparto),
            "n": None if soppresso else n,
            "attesa_media": None if soppresso or not n else _mezzo_su(
                sum(a for a, _ in valori), n, 1),
            "attesa_mediana": None if soppresso or not n else mediana([a for a, _ in valori]),
            "entro_standard": None if soppresso or not n else entro,
            "quota_entro_standard": None if soppresso or not n else _mezzo_su(entro, n, 3),
            "in_attesa": in_attesa if in_attesa == 0 or in_attesa >= soglia else None,
            "fuori_ordine": fuori if fuori == 0 or fuori >= soglia else None,
            "soppresso": soppresso,
        })
    return out


# --- building inputs (shared by the ricoveri tests) -----------------------------------------

SCHEMA_PRENOTAZIONI_IN = {
    "id_prenotazione": pl.String(), "codice_prestazione": pl.String(),
    "codice_sede": pl.String(), "classe_priorita": pl.String(), "attesa_giorni": pl.Int32(),
    "standard_giorni": pl.Int32(), "superamento": pl.Boolean(),
    "data_prenotazione": pl.Datetime("us"),
}

SCHEMA_MOTIVAZIONI_IN = {
    "registro": pl.String(), "id": pl.String(), "oggetto": pl.String(),
    "registrata_il": pl.Datetime("us"),
}


def _ts(valore: date | datetime | None, ora: time = time(10, 0)) -> datetime | None:
    if valore is None or isinstance(valore, datetime):
        return valore
    return datetime.combine(valore, ora)


def voce(id_: str, inserita: date | datetime, *, reparto: str = "36", patologia: str = "81.51",
         classe: str = "B", stato: str = "in_attesa", ricovero: date | datetime | None = None,
         cancellazione: date | datetime | None = None) -> Riga:
    """One list entry; a bare date means 10:00 that day (admissions at 08:00)."""
    return {"id_ricovero": id_, "data_inserimento": _ts(inserita),
            "codice_reparto": reparto, "codice_patologia": patologia,
            "classe_priorita": classe, "stato": stato,
            "data_ricovero": _ts(ricovero, time(8, 0)),
            "data_cancellazione": _ts(cancellazione, time(9, 0))}


def frame(righe: list[Riga], schema: dict[str, Any] | None = None) -> pl.DataFrame:
    return pl.DataFrame(righe, schema=schema or SCHEMA_RICOVERI)
