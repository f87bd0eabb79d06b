"""A plain-Python oracle of the semestral tutela figures (reports.tutela.sezione): loops and
dictionaries, its own day counting, none of the module's code. Written from the
definitions in reports/tutela.py and registro/tutela/regole.py:

- a term of n days from day D is due on the n-th day after D (calendar days, or working
  days: not Sunday, not a public holiday, not the patron's day, not Saturday unless it is a
  working day); met when the step that closes it is dated on or before that day;
- the report sees each segnalazione as it stood on the period's last day (later steps
  erased);
- counts by kind, channel, service, outcome over those received in the period; reply
  figures over the replies (at once or by letter) dated in the period.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from registro.festivi import festivi

TIPI = ["disfunzione", "suggerimento", "reclamo"]
CANALI = ["lettera", "modulo", "telefono", "fax", "colloquio", "email"]
ESITI = ["accolta", "parzialmente_accolta", "respinta", "in_riesame", "in_istruttoria"]
PASSI = ["risolta_il", "trasmessa_il", "servizi_informati_il", "informazioni_ricevute_il",
         "risposta_il", "riesame_il", "riesame_concluso_il"]


def lavorativo(d: date, sabato: bool, patrono: str | None) -> bool:
    if d.weekday() == 6 or (d.weekday() == 5 and not sabato):
        return False
    if patrono and d.strftime("%m-%d") == patrono:
        return False
    return d not in festivi(d.year)


def conta(d: date, opz: dict[str, Any]) -> bool:
    return opz["calendario"] == "solari" or lavorativo(d, opz["sabato"], opz["patrono"])


def scade(inizio: date, n: int, opz: dict[str, Any]) -> date:
    giorni_buoni: list[date] = []
    d = inizio
    while len(giorni_buoni) < n:
        d = d + timedelta(days=1)
        if conta(d, opz):
            giorni_buoni.append(d)
    return giorni_buoni[-1] if giorni_buoni else inizio


def giorni(inizio: date, fine: date, opz: dict[str, Any]) -> int:
    n = 0
    d = inizio
    while d < fine:
        d = d + timedelta(days=1)
        if conta(d, opz):
            n += 1
    return n


def _quota(k: int, n: int) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    q = (Decimal(k) / Decimal(n)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return f"{q:.3f}"


def sezione(segnalazioni: list[dict[str, Any]], *, inizio: date, fine: date,
            opz: dict[str, Any], soglia: int) -> dict[str, list[dict[str, Any]]]:
    """`opz`: calendario, sabato, patrono and the day counts trasmissione,
    informazione_servizi, risposta_servizi, risposta, ritardo."""
    ultimo = fine - timedelta(days=1)

    def nel(d: date | None) -> bool:
        return d is not None and inizio <= d < fine

    per: dict[str, dict[str, int]] = {"tipo": dict.fromkeys(TIPI, 0),
                                      "canale": dict.fromkeys(CANALI, 0),
                                      "servizio": {}, "esito": dict.fromkeys(ESITI, 0)}
    ricevute = tardive = risposte = immediate = nei = tutti = 0
    riesami = conclusi = in_ritardo = 0
    durate: list[int] = []
    for originale in segnalazioni:
        if originale["ricevuta_il"] > ultimo:
            continue
        s = dict(originale)
        for c in PASSI:
            if s[c] is not None and s[c] > ultimo:
                s[c] = None
        ric = s["ricevuta_il"]
        risposta = s["risolta_il"] or s["risposta_il"]
        esito = s["esito"] if risposta else None
        if s["riesame_concluso_il"]:
            esito = s["esito_riesame"]
        if s["riesame_il"] and not s["riesame_concluso_il"]:
            esito = "in_riesame"
        esito = esito or "in_istruttoria"

        # the terms: (start, end, days)
        termini = []
        # Art. 4: an urgent report's transmission term, never longer than the ordinary one
        trasmissione = (min(opz.get("trasmissione_urgente", 1), opz["trasmissione"])
                        if s.get("urgente") else opz["trasmissione"])
        termini.append((ric, s["trasmessa_il"] or s["risolta_il"], trasmissione))
        if s["trasmessa_il"]:
            termini.append((s["trasmessa_il"], s["servizi_informati_il"],
                            opz["informazione_servizi"]))
        if s["servizi_informati_il"]:
            termini.append((s["servizi_informati_il"], s["informazioni_ricevute_il"],
                            opz["risposta_servizi"]))
        termini.append((ric, risposta, opz["risposta"]))

        if nel(ric):
            ricevute += 1
            per["tipo"][s["tipo"]] += 1
            per["canale"][s["canale"]] += 1
            servizio = s["servizio"] or "non indicato"
            per["servizio"][servizio] = per["servizio"].get(servizio, 0) + 1
            per["esito"][esito] += 1
            if s["data_conoscenza"] is not None and ric > scade(s["data_conoscenza"],
                                                                 opz["ritardo"], opz):
                tardive += 1
        if nel(risposta):
            assert risposta is not None
            risposte += 1
            immediate += 1 if nel(s["risolta_il"]) else 0
            durate.append(giorni(ric, risposta, opz))
            if risposta <= scade(ric, opz["risposta"], opz):
                nei += 1
            if all(fatto is not None and fatto <= scade(da, n, opz)
                   for da, fatto, n in termini):
                tutti += 1
        riesami += 1 if nel(s["riesame_il"]) else 0
        conclusi += 1 if nel(s["riesame_concluso_il"]) else 0
        if any(fatto is None and ultimo > scade(da, n, opz) for da, fatto, n in termini):
            in_ritardo += 1

    righe = []
    for dimensione in ("tipo", "canale", "servizio", "esito"):
        voci = per[dimensione]
        for voce in (sorted(voci) if dimensione == "servizio" else list(voci)):
            n = voci[voce]
            if dimensione == "servizio" and 0 < n < soglia:
                righe.append({"dimensione": dimensione, "voce": voce, "n": None})
            else:
                righe.append({"dimensione": dimensione, "voce": voce, "n": n})

    pochi = risposte < soglia
    durate.sort()
    if durate:
        meta = len(durate) // 2
        mediana = (durate[meta] if len(durate) % 2 else
                   (durate[meta - 1] + durate[meta]) / 2)
        mediana_testo: str | None = f"{float(mediana):.1f}"
    else:
        mediana_testo = None
    riepilogo = {
        "ricevute": (str(ricevute), False), "tardive": (str(tardive), False),
        "risposte": (str(risposte), False), "risposte_immediate": (str(immediate), False),
        "mediana_giorni_risposta": (None if pochi else mediana_testo, pochi),
        "quota_risposta_nei_termini": (
            None if pochi or not risposte else _quota(nei, risposte), pochi),
        "quota_tutti_i_termini": (
            None if pochi or not risposte else _quota(tutti, risposte), pochi),
        "riesami_chiesti": (str(riesami), False), "riesami_conclusi": (str(conclusi), False),
        "in_ritardo_fine_periodo": (str(in_ritardo), False),
    }
    return {"tutela": righe,
            "tutela_riepilogo": [{"indicatore": k, "valore": v, "soppresso": s}
                                 for k, (v, s) in riepilogo.items()]}
