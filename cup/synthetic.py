"""A realistic synthetic CUP export, deterministic by seed: for the demo, tests and benchmarks.

One ASL, one year of specialistica bookings in the canonical layout (`cup.schema`).

What makes it realistic (so the demo's breaches and bonum/malum totals mean something):

- the services are the shipped catalog's (the PNGLA codes and common laboratory tests),
  each offered at a plausible subset of ~25 sites of one fictitious ASL (`SEDI`): RM only
  at hospitals, TC and endoscopies mostly there, laboratory almost everywhere;
- bookings spread over the year's working days (few on Saturdays, Sundays and holidays,
  fewer in August and at Christmas), between 08:00 and 18:00; appointments between 07:30
  and 19:00 on open days (laboratory in the morning);
- priority classes U 5 %, B 20 %, D 35 %, P 25 %, none 15 % for first access, ~20 % of
  follow-ups (`controllo`, no class), ~8 % `scelta_utente`;
- waits lognormal by type (laboratory 0–3 days, imaging median ~8, visits ~10,
  instrumental ~14; urgent 0–4 days; P up to months), scaled by a fixed per-site and
  per-(service, site) factor, so that some sites are good and some bad;
- outcomes: appointments past the year are `prenotata`; the others mostly `erogata`,
  ~6 % `non_presentato` (10 % of them with `forza_maggiore`), ~7 % `disdetta_utente`
  with cancellations clustered around the 48-hour notice boundary, ~2 % `annullata_ente`
  (rinuncia / riprogrammata; ~15 % for `emergenza`);
- tickets: ~45 % exempt (0.00); the others pay the tariff up to 36.15 €; `quota_ordinaria`
  is what a non-exempt citizen pays, on every row;
- reports (`data_ritiro_referto`, delivered bookings only): ~92 % collected within 20 days,
  ~5 % late (31–75 days after the service), ~3 % never collected. Drawn from a stream of
  their own (`RITIRO_SEED`), after everything else: the other columns are those the same
  seed gave before the column existed.

Everything is drawn with numpy in whole-column arrays, in a fixed order, and turned into
text with polars (lookup tables and gathers): no loop over rows (loops over the catalog
and the calendar only);
a million rows take a couple of seconds. The structure of the ASL (who offers what, how
good each site is) comes from a fixed seed, so it is the same ASL for every `seed`.
"""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from registro.festivi import festivi
from registro.money import cents

Arr = npt.NDArray[Any]

COLONNE: tuple[str, ...] = (
    "id_prenotazione", "data_prescrizione", "data_prenotazione", "data_appuntamento",
    "codice_prestazione", "codice_sede", "classe_priorita", "tipo_accesso", "scelta_utente",
    "stato", "data_disdetta", "causale_annullamento", "esito_annullamento", "importo_ticket",
    "quota_ordinaria", "forza_maggiore", "data_ritiro_referto", "id_assistito", "aggiornato_il",
)

# (codice, nome, comune, indirizzo): fictitious sites of a fictitious ASL.
SEDI: list[tuple[str, str, str, str]] = [
    ("S001", "Ospedale Civile di Castelmarino", "Castelmarino", "Via dell'Ospedale 1"),
    ("S002", "Ospedale San Giuseppe", "Borgo San Vito", "Viale dei Tigli 20"),
    ("S003", "Presidio Ospedaliero di Roccalta", "Roccalta", "Via Garibaldi 112"),
    ("S004", "Ospedale Santa Maria della Pieve", "Pieve Calda", "Piazza della Pieve 3"),
    ("S005", "Ospedale di Valdora", "Valdora", "Via Matteotti 45"),
    ("S006", "Poliambulatorio di Castelmarino Centro", "Castelmarino", "Via Roma 18"),
    ("S007", "Poliambulatorio di Castelmarino Nord", "Castelmarino", "Via delle Querce 7"),
    ("S008", "Poliambulatorio di Borgo San Vito", "Borgo San Vito", "Corso Italia 56"),
    ("S009", "Poliambulatorio di San Lorenzo al Piano", "San Lorenzo al Piano",
     "Via Mazzini 9"),
    ("S010", "Poliambulatorio di Montefiore Alto", "Montefiore Alto",
     "Piazza del Municipio 2"),
    ("S011", "Poliambulatorio di Serravalle Nuova", "Serravalle Nuova", "Via Cavour 31"),
    ("S012", "Poliambulatorio di Fontanella Maggiore", "Fontanella Maggiore",
     "Via della Stazione 4"),
    ("S013", "Poliambulatorio di Colle Aurelio", "Colle Aurelio", "Via XX Settembre 15"),
    ("S014", "Casa della Comunità di Villanova d'Aronne", "Villanova d'Aronne",
     "Via dei Mulini 10"),
    ("S015", "Casa della Comunità di Torricella", "Torricella", "Via San Rocco 5"),
    ("S016", "Casa della Comunità di Ponte Lungo", "Ponte Lungo",
     "Piazza Vittorio Veneto 8"),
    ("S017", "Casa della Comunità di Roccalta Bassa", "Roccalta", "Via del Lavoro 22"),
    ("S018", "Casa della Comunità di Valdora Est", "Valdora", "Via dei Castagni 14"),
    ("S019", "Casa della Comunità di Pieve Calda", "Pieve Calda", "Via Nazionale 61"),
    ("S020", "Casa della Comunità di Monte Aronne", "Monte Aronne", "Via della Chiesa 2"),
    ("S021", "Casa della Comunità di Castelmarino Sud", "Castelmarino",
     "Viale della Repubblica 90"),
    ("S022", "Punto prelievi di Borgo San Vito", "Borgo San Vito", "Via Dante 3"),
    ("S023", "Punto prelievi di Fontanella Maggiore", "Fontanella Maggiore",
     "Piazza Garibaldi 11"),
    ("S024", "Punto prelievi di Colle Aurelio", "Colle Aurelio", "Via Leopardi 6"),
    ("S025", "Punto prelievi di Serravalle Nuova", "Serravalle Nuova", "Via Pascoli 27"),
]

_STRUTTURA_SEED = 19950519  # the ASL's fixed structure (DPCM 19 maggio 1995)
RITIRO_SEED = 4121991  # the reports' collection: a stream of its own (L. 412/1991)
TETTO_TICKET_CENT = 3615  # 36,15 € per ricetta
QUOTA_ESENTI = 0.45

CLASSI = ("U", "B", "D", "P", None)
P_CLASSI = (0.05, 0.20, 0.35, 0.25, 0.15)
TIPI = ("laboratorio", "immagini", "visita", "strumentale")
STATI = ("prenotata", "erogata", "annullata_ente", "disdetta_utente", "non_presentato")
CAUSALI = ("emergenza", "guasto apparecchiatura", "assenza medico")
QUOTA_TIPO = {"laboratorio": 0.22, "immagini": 0.30, "visita": 0.32, "strumentale": 0.16}
P_CONTROLLO = {"laboratorio": 0.12, "immagini": 0.15, "visita": 0.30, "strumentale": 0.20}
# Median wait in days with no class, before the per-group, per-site and per-class factors
# (overall medians come out near 8 for imaging, 10 for visits, 14 for instrumental).
MEDIANA_TIPO = {"laboratorio": 0.9, "immagini": 4.3, "visita": 6.2, "strumentale": 8.8}

# How often each service is booked, relative to the others of its type (default 1).
POPOLARITA = {
    "89.7": 0.3, "89.7A.3": 3.0, "95.02": 3.0, "89.7B.7": 2.5, "89.7A.7": 2.5, "89.26": 2.0,
    "89.7B.8": 1.5, "89.13": 1.5, "89.7B.6": 0.6,
    "88.76.1": 3.0, "87.37.1": 2.5, "88.72.3": 2.0, "88.73.5": 2.0, "87.44.1": 2.5,
    "88.77.2": 1.5, "88.74.1": 1.5, "88.73.1": 1.5, "88.78": 1.2, "88.91.1": 1.2,
    "88.93": 1.2, "88.94.1": 1.2,
    "89.52": 5.0, "89.50": 2.0, "89.37.1": 1.5, "45.23": 1.5, "45.13": 1.5,
    "45.42": 0.5, "45.25": 0.6, "95.09.1": 1.5,
    "91.49.2": 4.0, "90.62.2": 3.0, "90.27.1": 2.5, "90.16.3": 2.0, "90.14.3": 2.0,
}


def carica_catalogo() -> pl.DataFrame:
    """The shipped catalog (`registro/data/catalogo.csv`), every column as text."""
    dati = resources.files("registro").joinpath("data", "catalogo.csv").read_bytes()
    return pl.read_csv(io.BytesIO(dati), infer_schema=False)


def _tipo_sede(nome: str) -> str:
    for prefisso, tipo in (("Ospedale", "ospedale"), ("Presidio", "ospedale"),
                           ("Poliambulatorio", "poliambulatorio"),
                           ("Casa della Comunità", "cdc")):
        if nome.startswith(prefisso):
            return tipo
    return "prelievi"


def _gruppo(codice: str, tipo: str) -> str:
    """The group of a service that decides where it is offered and how long it waits."""
    if tipo == "laboratorio":
        return "lab"
    if codice.startswith(("88.91", "88.93", "88.94", "88.95")):
        return "rm"
    if codice.startswith(("87.03", "87.41", "88.01", "88.38")):
        return "tc"
    if codice.startswith("87.37"):
        return "mammo"
    if codice in ("87.44.1", "88.99.2"):
        return "rx"
    if codice.startswith("88.7"):
        return "eco"
    if codice.startswith("45."):
        return "endo"
    if codice in ("89.52", "89.37.1", "89.37.2", "95.09.1", "95.11", "95.41.1"):
        return "base"
    if codice in ("89.50", "89.41", "89.43", "89.44", "93.08.1"):
        return "cardio"
    return "visita"


# Probability that a site of each kind offers a service of each group (hospitals offer all
# but RM at the smallest one; every service is offered at >= 4 hospitals).
OFFERTA = {
    #          ospedale  poliamb.  cdc   prelievi
    "lab":    (1.0,      1.0,      1.0,  1.0),
    "rm":     (1.0,      0.0,      0.0,  0.0),
    "tc":     (1.0,      0.0,      0.0,  0.0),
    "mammo":  (1.0,      0.35,     0.0,  0.0),
    "rx":     (1.0,      0.5,      0.0,  0.0),
    "eco":    (1.0,      0.7,      0.25, 0.0),
    "endo":   (1.0,      0.2,      0.0,  0.0),
    "base":   (1.0,      0.9,      0.6,  0.0),
    "cardio": (1.0,      0.35,     0.0,  0.0),
    "visita": (1.0,      0.7,      0.25, 0.0),
}
VOLUME_SEDE = {"ospedale": 3.0, "poliambulatorio": 2.0, "cdc": 1.0, "prelievi": 1.5}
ATTESA_GRUPPO = {"lab": 1.0, "rm": 1.6, "tc": 1.2, "mammo": 1.3, "rx": 0.35, "eco": 1.0,
                 "endo": 1.5, "base": 0.6, "cardio": 1.2, "visita": 1.0}


@lru_cache(maxsize=4)
def _struttura(codici: tuple[str, ...], tipi: tuple[str, ...]) -> tuple[Arr, Arr, Arr, Arr]:
    """The ASL's fixed structure for a catalog: (site choice table, per-site wait factor,
    per-(service, site) wait factor, per-service wait factor)."""
    rng = np.random.default_rng(_STRUTTURA_SEED)
    kinds = [_tipo_sede(nome) for _, nome, _, _ in SEDI]
    k_idx = np.array([("ospedale", "poliambulatorio", "cdc", "prelievi").index(k)
                      for k in kinds])
    n_sedi = len(SEDI)
    qualita = np.exp(rng.normal(0.0, 0.45, n_sedi))
    per_coppia = np.exp(rng.normal(0.0, 0.35, (len(codici), n_sedi)))
    peso = np.zeros((len(codici), n_sedi))
    volume = np.array([VOLUME_SEDE[k] for k in kinds])
    for i, (codice, tipo) in enumerate(zip(codici, tipi, strict=True)):
        gruppo = _gruppo(codice, tipo)
        prob = np.array(OFFERTA[gruppo])[k_idx]
        offre = rng.random(n_sedi) < prob
        if gruppo == "rm":
            offre &= np.array([s[0] != "S005" for s in SEDI])
        if tipo != "laboratorio":
            offre &= k_idx != 3
        peso[i] = np.where(offre, volume * np.exp(rng.normal(0.0, 0.3, n_sedi)), 0.0)
    cumulata = np.cumsum(peso / peso.sum(axis=1, keepdims=True), axis=1)
    cumulata[:, -1] = 1.0
    # Row i's cumulative shares shifted into (i, i+1]: one searchsorted picks every site.
    scelta = (np.arange(len(codici))[:, None] + cumulata).ravel()
    fattore = np.array([ATTESA_GRUPPO[_gruppo(c, t)] for c, t in zip(codici, tipi,
                                                                      strict=True)])
    return scelta, qualita, per_coppia, fattore


def _calendario(anno: int, giorni: int) -> tuple[Arr, Arr]:
    """For `giorni` days from 1 January of `anno`: weekday (Mon=0) and holiday flag."""
    inizio = date(anno, 1, 1).toordinal()
    settimana = (np.arange(giorni) + date(anno, 1, 1).weekday()) % 7
    feste = {d.toordinal() - inizio for a in range(anno - 1, anno + giorni // 365 + 2)
             for d in festivi(a)}
    festivo = np.isin(np.arange(giorni), np.array(sorted(feste)))
    return settimana, festivo


def _in_giorni_aperti(aperto: Arr, g: Arr, attesa: Arr) -> Arr:
    """The appointment day for a booking on day `g` and a wait of `attesa` calendar days,
    counted in open days instead (so appointments spread evenly over the open days): the
    same day when the wait is 0 and the day is open, else the k-th open day after it."""
    posizioni = np.flatnonzero(aperto)
    aperti_fino = np.cumsum(aperto)  # open days in [0, i]
    quota = len(posizioni) / len(aperto)
    k = np.where(attesa > 0, np.maximum(1, np.rint(attesa * quota)), 0).astype(np.int64)
    primo = aperti_fino[g] - aperto[g]  # index in `posizioni` of the first open day >= g
    return np.asarray(posizioni[np.minimum(primo + k, len(posizioni) - 1)])


def _pesi_prenotazione(anno: int, settimana: Arr, festivo: Arr) -> Arr:
    n = date(anno + 1, 1, 1).toordinal() - date(anno, 1, 1).toordinal()
    peso = np.select([settimana[:n] == 6, settimana[:n] == 5], [0.03, 0.2], 1.0)
    peso = np.where(festivo[:n], 0.03, peso)
    giorno = np.arange(n)
    agosto = (giorno >= date(anno, 8, 1).toordinal() - date(anno, 1, 1).toordinal()) & (
        giorno < date(anno, 9, 1).toordinal() - date(anno, 1, 1).toordinal())
    natale = giorno >= date(anno, 12, 24).toordinal() - date(anno, 1, 1).toordinal()
    peso = peso * np.where(agosto, 0.55, 1.0) * np.where(natale, 0.6, 1.0)
    return np.asarray(peso / peso.sum())


def _vuoto() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(COLONNE, pl.String))


def genera_prenotazioni(rows: int, seed: int = 1, anno: int = 2025, primo: int = 1
                        ) -> pl.DataFrame:
    """`rows` bookings made during `anno`, as a CUP export has them: the canonical columns,
    all text (empty fields null), numbered from `primo`. Same arguments, same frame."""
    if rows < 0:
        raise ValueError(f"rows={rows}: deve essere >= 0")
    if rows == 0:
        return _vuoto()
    n = rows
    catalogo = carica_catalogo()
    codici = tuple(catalogo["codice"].to_list())
    tipi_cat = tuple(catalogo["tipo"].to_list())
    scelta, qualita, per_coppia, fattore = _struttura(codici, tipi_cat)
    tipo_idx = np.array([TIPI.index(t) for t in tipi_cat])
    tariffa = np.array([cents(t) for t in catalogo["tariffa"].to_list()], dtype=np.int64)
    pop = np.array([POPOLARITA.get(c, 1.0) for c in codici])
    for t in TIPI:  # each type's share of the bookings, split by popularity
        m = np.array(tipi_cat) == t
        pop[m] = pop[m] / pop[m].sum() * QUOTA_TIPO[t]
    pop = pop / pop.sum()

    orizzonte = 366 * 3
    settimana, festivo = _calendario(anno, orizzonte)
    pesi_giorno = _pesi_prenotazione(anno, settimana, festivo)
    giorni_anno = len(pesi_giorno)
    base = date(anno, 1, 1).toordinal() - date(1970, 1, 1).toordinal()

    rng = np.random.default_rng(seed)
    # -- every draw is a whole column, always in this order: same seed, same file --------
    svc = rng.choice(len(codici), size=n, p=pop)
    sede = np.searchsorted(scelta, svc + rng.random(n), side="right") - svc * len(SEDI)
    sede = np.minimum(sede, len(SEDI) - 1)
    g_pren = rng.choice(giorni_anno, size=n, p=pesi_giorno)
    m_pren = rng.integers(8 * 60, 18 * 60 + 1, size=n)
    tipo = tipo_idx[svc]
    controllo = rng.random(n) < np.array([P_CONTROLLO[t] for t in TIPI])[tipo]
    classe = rng.choice(len(CLASSI), size=n, p=P_CLASSI)
    classe = np.where(controllo, 4, classe)
    scelta_utente = rng.random(n) < 0.08
    z = rng.standard_normal(n)
    u_stesso_giorno = rng.random(n)
    u_urgente = rng.random(n)
    u_urgente_extra = rng.random(n)
    slot = rng.random(n)
    u_giorno = rng.random(n)
    slot_extra = rng.integers(1, 5, size=n)
    ha_ricetta = rng.random(n) < 0.85
    anticipo_ricetta = np.minimum(np.floor(rng.exponential(5.0, size=n)), 20).astype(np.int64)
    u_stato = rng.random(n)
    u_disdetta = rng.random(n)
    u_disdetta2 = rng.random(n)
    u_disdetta3 = rng.random(n)
    u_annullo = rng.random(n)
    u_causale = rng.random(n)
    u_esito = rng.random(n)
    esente = rng.random(n) < QUOTA_ESENTI
    u_forza = rng.random(n)
    ritardo_agg = rng.random(n)
    assistiti = min(max(500, n // 3), 9_999_999)
    assistito = rng.integers(1, assistiti + 1, size=n)

    # -- the wait ---------------------------------------------------------------------
    visita = tipo == TIPI.index("visita")
    lab = tipo == TIPI.index("laboratorio")
    molt_classe = np.select(
        [classe == 1, classe == 2, classe == 3],
        [0.5, np.where(visita, 1.4, 2.0), np.where(visita, 3.5, 4.5)], 1.0)
    molt_classe = np.where(controllo, 3.0, molt_classe)
    molt_classe = np.where(scelta_utente, molt_classe * 1.7, molt_classe)
    sito = qualita[sede] * per_coppia[svc, sede]
    mediana = np.array([MEDIANA_TIPO[t] for t in TIPI])[tipo] * fattore[svc]
    sigma = np.where(classe == 3, 0.75, 0.85)
    attesa_lab = np.floor(mediana * np.sqrt(sito) * np.exp(0.9 * z))
    attesa_altro = np.floor(mediana * molt_classe * sito * np.exp(sigma * z))
    attesa = np.where(lab, np.minimum(attesa_lab, 10), attesa_altro)
    attesa = np.where(~lab & (u_stesso_giorno < 0.02), 0, attesa)
    urgente = np.searchsorted(np.cumsum([0.25, 0.30, 0.20, 0.15, 0.10]), u_urgente)
    urgente = urgente + np.where((sito > 1.5) & (u_urgente_extra < 0.25), slot_extra, 0)
    urgente = np.where(lab, np.minimum(urgente, 1), urgente)
    attesa = np.where(classe == 0, urgente, attesa)
    attesa = np.clip(attesa, 0, 400).astype(np.int64)
    # Appointments fall on weekdays that are not holidays, a third of them on Saturdays too.
    feriale = (settimana < 5) & ~festivo
    g_app = np.where(u_giorno < 0.35,
                     _in_giorni_aperti(feriale | ((settimana == 5) & ~festivo), g_pren, attesa),
                     _in_giorni_aperti(feriale, g_pren, attesa))

    # appointment time: laboratory 07:30–10:25 every 5', the rest 08:00–18:30 every 15'
    m_app = np.where(lab, 450 + 5 * np.floor(slot * 36), 480 + 15 * np.floor(slot * 43))
    m_app = m_app.astype(np.int64)
    stesso = (g_app == g_pren) & (m_app <= m_pren)
    m_app = np.where(stesso, np.minimum((m_pren + 14) // 15 * 15 + 15 * slot_extra, 19 * 60),
                     m_app)
    t_pren = (g_pren + base) * 1440 + m_pren
    t_app = (g_app + base) * 1440 + m_app

    g_ricetta = g_pren - np.where(classe == 0, np.minimum(anticipo_ricetta, 2),
                                  anticipo_ricetta)

    # -- what happened --------------------------------------------------------------------
    passato = g_app < giorni_anno
    stato = np.select([~passato, u_stato < 0.06, u_stato < 0.13, u_stato < 0.15],
                      [0, 4, 3, 2], 1)  # index into STATI
    # citizen's cancellation: clustered around the 48-hour notice
    preavviso = np.select(
        [u_disdetta < 0.15, u_disdetta < 0.27, u_disdetta < 0.35, u_disdetta < 0.60],
        [2880, 2820, 2940, 60 + np.floor(u_disdetta2 * 2760)], -1).astype(np.int64)
    giorni_prima = 3 + np.floor(u_disdetta2 * np.maximum(attesa - 2, 0)).astype(np.int64)
    t_presto = (g_app - giorni_prima + base) * 1440 + 480 + np.floor(u_disdetta3 * 720)
    t_disdetta = np.where(preavviso >= 0, t_app - preavviso, t_presto).astype(np.int64)
    t_disdetta = np.where(t_disdetta < t_pren,
                          t_pren + np.floor(u_disdetta3 * (t_app - t_pren)), t_disdetta)
    t_disdetta = t_disdetta.astype(np.int64)
    # authority's cancellation
    emergenza = u_causale < 0.15
    causale = np.where(emergenza, 0, np.where(u_causale < 0.55, 1, 2))
    causale = np.where(visita & (causale == 1), 2, causale)
    anticipo_ente = np.where(emergenza, np.floor(u_annullo * 1440),
                             np.floor(u_annullo * 10 * 1440)).astype(np.int64)
    t_ente = np.maximum(t_app - anticipo_ente, t_pren + 1)
    esito = np.where(u_esito < 0.4, 0, 1)

    quota = np.minimum(tariffa[svc], TETTO_TICKET_CENT)
    ticket = np.where(esente, 0, quota)
    forza = (stato == 4) & (u_forza < 0.10)

    # -- reports collected: their own stream, so the columns above do not change ----------
    rng_ritiro = np.random.default_rng((seed, RITIRO_SEED))
    u_ritiro = rng_ritiro.random(n)
    u_giorni_ritiro = rng_ritiro.random(n)
    giorni_ritiro = np.select(
        [u_ritiro < 0.92, u_ritiro < 0.97],
        [np.floor(u_giorni_ritiro * 21), 31 + np.floor(u_giorni_ritiro * 45)], 0,
    ).astype(np.int64)
    g_ritiro = np.minimum(g_app + giorni_ritiro, orizzonte + 9)
    senza_ritiro = (stato != 1) | (u_ritiro >= 0.97)

    t_agg = np.select(
        [stato == 0, stato == 1, stato == 2, stato == 3],
        [t_pren + np.floor(ritardo_agg * 5), t_app + 20 + np.floor(ritardo_agg * 220),
         t_ente + np.floor(ritardo_agg * 3), t_disdetta + np.floor(ritardo_agg * 3)],
        t_app + 60 + np.floor(ritardo_agg * 2820)).astype(np.int64)

    # -- as text, in booking order (the CUP numbers bookings as they come) ---------------
    ordine = np.argsort(t_pren, kind="stable")
    prima = -40  # the day table starts 40 days before 1 January (prescriptions)
    giorni_s = (pl.Series(np.arange(prima, orizzonte + 10) + base, dtype=pl.Int32)
                .cast(pl.Date).dt.strftime("%Y-%m-%d"))
    ore_s = pl.Series([f"T{h:02d}:{m:02d}" for h in range(24) for m in range(60)])
    euro_s = pl.Series([f"{c // 100}.{c % 100:02d}" for c in range(TETTO_TICKET_CENT + 1)])

    def momento(minuti: Arr, nulli: Arr | None = None) -> pl.Series:
        m = minuti[ordine] - base * 1440
        giorno = pl.Series(m // 1440 - prima)
        ora = pl.Series(m % 1440)
        if nulli is not None:
            giorno = giorno.set(pl.Series(nulli[ordine]), None)
        return giorni_s.gather(giorno) + ore_s.gather(ora)

    def scelta_tra(valori: list[str | None], indice: Arr, nulli: Arr | None = None
                   ) -> pl.Series:
        idx = pl.Series(indice[ordine])
        if nulli is not None:
            idx = idx.set(pl.Series(nulli[ordine]), None)
        return pl.Series(valori, dtype=pl.String).gather(idx)

    ente = stato == 2
    ricetta = pl.Series(g_ricetta[ordine] - prima).set(pl.Series(~ha_ricetta[ordine]), None)
    progressivo = pl.Series(np.arange(primo, primo + n)).cast(pl.String).str.zfill(7)
    colonne = {
        "id_prenotazione": f"P{anno}-" + progressivo,
        "data_prescrizione": giorni_s.gather(ricetta),
        "data_prenotazione": momento(t_pren),
        "data_appuntamento": momento(t_app),
        "codice_prestazione": scelta_tra(list(codici), svc),
        "codice_sede": scelta_tra([s[0] for s in SEDI], sede),
        "classe_priorita": scelta_tra(list(CLASSI), classe),
        "tipo_accesso": scelta_tra(["primo", "controllo"], controllo.astype(np.int64)),
        "scelta_utente": scelta_tra(["0", "1"], scelta_utente.astype(np.int64)),
        "stato": scelta_tra(list(STATI), stato),
        "data_disdetta": momento(t_disdetta, stato != 3),
        "causale_annullamento": scelta_tra(list(CAUSALI), causale, ~ente),
        "esito_annullamento": scelta_tra(["rinuncia", "riprogrammata"], esito, ~ente),
        "importo_ticket": euro_s.gather(ticket[ordine]),
        "quota_ordinaria": euro_s.gather(quota[ordine]),
        "forza_maggiore": scelta_tra(["1"], np.zeros(n, dtype=np.int64), ~forza),
        "data_ritiro_referto": giorni_s.gather(
            pl.Series(g_ritiro[ordine] - prima).set(pl.Series(senza_ritiro[ordine]), None)),
        "id_assistito": "A" + pl.Series(assistito[ordine]).cast(pl.String).str.zfill(7),
        "aggiornato_il": momento(t_agg),
    }
    return pl.DataFrame([serie.alias(nome) for nome, serie in colonne.items()])


BLOCCO = 5_000_000
"""Above this many rows the export is generated in blocks (each an independent sample of the
same year, ids continuing): a region-year of 50 M rows would need 25 GB generated whole."""


def scrivi_csv(path: Path, rows: int, seed: int = 1, anno: int = 2025) -> Path:
    """Write the synthetic export as the canonical CSV (UTF-8, `,`, header, empty = null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows <= BLOCCO:
        genera_prenotazioni(rows, seed=seed, anno=anno).write_csv(path, null_value="")
        return path
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        for k, inizio in enumerate(range(0, rows, BLOCCO)):
            blocco = genera_prenotazioni(min(BLOCCO, rows - inizio), anno=anno,
                                         seed=seed * 1_000_003 + k, primo=inizio + 1)
            blocco.write_csv(fh, include_header=k == 0, null_value="")
    tmp.replace(path)
    return path
