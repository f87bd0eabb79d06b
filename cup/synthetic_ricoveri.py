"""A realistic synthetic planned-admission list, deterministic by seed: demo, tests, benchmarks.

The ricoveri programmati of one ASL's hospitals (`cup.synthetic.SEDI`, S001–S005) as exported
at the end of `anno`, in the layout of DESIGN.md "The ricoveri programmati export" (plus the
optional `data_cancellazione`: when the entry was cancelled).

What makes it realistic (so the Direttore Sanitario's lists mean something):

- the wards (`REPARTI`) carry real "codici disciplina" (`09` Chirurgia generale, `36`
  Ortopedia e traumatologia, ...) as `<disciplina>.<n>`; the pathologies (`PATOLOGIE`) are the
  planned procedures monitored by the national plan (PNGLA), with their ICD-9-CM intervention
  codes, each only in the wards of its disciplines;
- insertions on working days in office hours, fewer in August and at Christmas, during `anno`
  and, as a backlog, during the 600 days before it: the list on 1 January holds the entries
  still waiting then (and those admitted or cancelled earlier are not in it);
- classes A ~25 %, B ~30 %, C ~30 %, D ~15 %: oncological and cardiac surgery mostly A,
  hip and knee replacement and cataract mostly C/D;
- each ward serves each class in chronological order: the wait of a class in a ward follows
  a curve over time (a fixed per-ward level, slow seasonal swings, one level per class, more
  urgent always shorter), the admission dates of a (ward, class) are given to its entries in
  insertion order (a sort), on working days. Medians come out near A 20, B 45, C 110, D 200
  days with long tails (part of each class past its PNGLA maximum: A 30, B 60, C 180,
  D 365), and a few percent of the admissions are deliberate overtakes (an entry admitted
  while older entries of its class are still waiting), more often for class A;
- ~8 % cancelled (more often in the long-waiting classes), before the date they would have
  been admitted, 80 % with their `data_cancellazione`; entries whose admission would fall
  after the end of `anno` are still `in_attesa`;
- ids numbered per year of insertion (`R2025-000001`, ...; the backlog's `R2024-…` have gaps
  where entries were resolved before 1 January); `id_assistito` pseudonymous (`A0123456`).

Everything is drawn with numpy in whole-column arrays, in a fixed order, and turned into
text with polars: no loop over rows (loops over wards and pathologies only); 200,000 rows
take well under a second. The ASL's structure (ward sizes, how good each ward is, its
seasonal swings) comes from a fixed seed, so it is the same ASL for every `seed`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from cup.synthetic import (
    _STRUTTURA_SEED,
    Arr,
    _calendario,
    _in_giorni_aperti,
    _pesi_prenotazione,
)

COLONNE_RICOVERI: tuple[str, ...] = (
    "id_ricovero", "data_inserimento", "codice_reparto", "codice_patologia",
    "descrizione_patologia", "classe_priorita", "stato", "data_ricovero",
    "data_cancellazione", "id_assistito", "aggiornato_il",
)

# (codice, nome, presidio): codice is "<codice disciplina>.<ward number>", presidio a hospital
# site code of `cup.synthetic.SEDI`.
REPARTI: list[tuple[str, str, str]] = [
    ("07.01", "Cardiochirurgia", "S001"),
    ("08.01", "Cardiologia", "S001"),
    ("09.01", "Chirurgia generale", "S001"),
    ("09.02", "Chirurgia generale", "S003"),
    ("13.01", "Chirurgia toracica", "S001"),
    ("14.01", "Chirurgia vascolare", "S002"),
    ("26.01", "Medicina generale", "S004"),
    ("30.01", "Neurochirurgia", "S001"),
    ("34.01", "Oculistica", "S002"),
    ("36.01", "Ortopedia e traumatologia", "S001"),
    ("36.02", "Ortopedia e traumatologia", "S004"),
    ("37.01", "Ostetricia e ginecologia", "S003"),
    ("38.01", "Otorinolaringoiatria", "S002"),
    ("43.01", "Urologia", "S001"),
    ("64.01", "Oncologia", "S005"),
]

# (codice ICD-9-CM dell'intervento, descrizione, discipline that perform it): the planned
# admissions monitored by the PNGLA.
PATOLOGIE: list[tuple[str, str, tuple[str, ...]]] = [
    ("85.4", "Mastectomia (tumore maligno della mammella)", ("09",)),
    ("60.5", "Prostatectomia radicale (tumore maligno della prostata)", ("43",)),
    ("45.7", "Colectomia parziale (tumore maligno del colon)", ("09",)),
    ("48.5", "Resezione addomino-perineale del retto (tumore maligno del retto)", ("09",)),
    ("68.4", "Isterectomia addominale totale (tumore maligno dell'utero)", ("37",)),
    ("32.4", "Lobectomia polmonare (tumore maligno del polmone)", ("13",)),
    ("06.4", "Tiroidectomia totale (tumore maligno della tiroide)", ("09", "38")),
    ("86.4", "Asportazione radicale di lesione della cute (melanoma)", ("09",)),
    ("01.59", "Asportazione di lesione cerebrale (tumore cerebrale)", ("30",)),
    ("99.25", "Chemioterapia (infusione di sostanze chemioterapiche)", ("64",)),
    ("36.1", "By-pass aortocoronarico", ("07",)),
    ("00.66", "Angioplastica coronarica percutanea (PTCA)", ("08",)),
    ("88.56", "Coronarografia", ("08",)),
    ("38.12", "Endoarteriectomia carotidea", ("14",)),
    ("81.51", "Protesi d'anca (sostituzione totale)", ("36",)),
    ("81.54", "Protesi di ginocchio (sostituzione totale)", ("36",)),
    ("53.0", "Riparazione monolaterale di ernia inguinale", ("09",)),
    ("51.23", "Colecistectomia laparoscopica", ("09",)),
    ("13.41", "Intervento di cataratta (facoemulsificazione)", ("34",)),
    ("28.2", "Tonsillectomia", ("38",)),
    ("49.46", "Emorroidectomia", ("09",)),
    ("50.11", "Biopsia percutanea del fegato", ("26",)),
]

CLASSI_RICOVERO = ("A", "B", "C", "D")
STATI_RICOVERO = ("in_attesa", "ricoverato", "cancellato")

# Share of each class (A, B, C, D) by kind of pathology.
PROFILI_CLASSE: dict[str, tuple[float, float, float, float]] = {
    "oncologia": (0.80, 0.17, 0.03, 0.00),
    "oncologia_lenta": (0.50, 0.35, 0.15, 0.00),  # prostate, thyroid
    "cardiochirurgia": (0.70, 0.25, 0.05, 0.00),
    "cardiologia": (0.35, 0.45, 0.20, 0.00),
    "vascolare": (0.35, 0.45, 0.20, 0.00),
    "diagnostica": (0.30, 0.50, 0.20, 0.00),
    "protesi": (0.01, 0.19, 0.50, 0.30),
    "cataratta": (0.00, 0.10, 0.55, 0.35),
    "chirurgia_minore": (0.04, 0.46, 0.40, 0.10),
}
# codice patologia -> (profilo, admissions a year relative to the others)
VOLUMI: dict[str, tuple[str, float]] = {
    "85.4": ("oncologia", 4.0), "60.5": ("oncologia_lenta", 2.5),
    "45.7": ("oncologia", 3.0), "48.5": ("oncologia", 1.2), "68.4": ("oncologia", 2.5),
    "32.4": ("oncologia", 1.8), "06.4": ("oncologia_lenta", 2.0),
    "86.4": ("oncologia", 1.5), "01.59": ("oncologia", 1.2), "99.25": ("oncologia", 7.0),
    "36.1": ("cardiochirurgia", 1.5), "00.66": ("cardiologia", 5.0),
    "88.56": ("cardiologia", 5.0), "38.12": ("vascolare", 1.2),
    "81.51": ("protesi", 6.0), "81.54": ("protesi", 6.0), "13.41": ("cataratta", 14.0),
    "53.0": ("chirurgia_minore", 9.0), "51.23": ("chirurgia_minore", 8.0),
    "28.2": ("chirurgia_minore", 3.0), "49.46": ("chirurgia_minore", 3.0),
    "50.11": ("diagnostica", 1.5),
}
# How long each ward makes its patients wait, relative to the others: some good, some bad.
FATTORE_REPARTO: dict[str, float] = {
    "07.01": 1.3, "08.01": 0.8, "09.01": 0.75, "09.02": 1.3, "13.01": 1.1, "14.01": 1.2,
    "26.01": 1.6, "30.01": 1.0, "34.01": 1.0, "36.01": 1.6, "36.02": 0.7, "37.01": 0.9,
    "38.01": 1.3, "43.01": 1.2, "64.01": 0.6,
}
# Wait in days of each class in an average ward at an average time of year (before the
# per-ward and seasonal factors), the share cancelled, the share admitted out of turn.
ATTESA_CLASSE = (19.0, 50.0, 88.0, 205.0)
P_CANCELLATO = (0.05, 0.07, 0.11, 0.14)
P_SORPASSO = (0.035, 0.02, 0.012, 0.01)
P_DATA_CANCELLAZIONE = 0.8
ARRETRATO_GIORNI = 600  # the backlog: insertions simulated this many days before 1 January
ATTESA_MASSIMA = 540  # no entry waits longer (so the backlog window holds every waiting one)
# Seasonal swings of each ward's waits: (period in days, amplitude of the log-wait).
ONDE = ((365.25, 0.35), (130.0, 0.15), (47.0, 0.08))
SIGMA_TENDENZA = 0.4  # how fast a ward's waits grow or shrink (log-wait per year)


def _disciplina(codice_reparto: str) -> str:
    return codice_reparto.split(".", 1)[0]


def _struttura() -> tuple[Arr, Arr, Arr, Arr, Arr]:
    """The ASL's fixed wards: (size, wait factor, per-class wait factor, seasonal phases,
    trend of the log-wait per year)."""
    rng = np.random.default_rng(_STRUTTURA_SEED + 1)
    n = len(REPARTI)
    dimensione = np.exp(rng.normal(0.0, 0.3, n))
    fattore = np.array([FATTORE_REPARTO[codice] for codice, _, _ in REPARTI])
    # per class, bounded so that a more urgent class always waits less in the same ward
    per_classe = np.exp(np.clip(rng.normal(0.0, 0.12, (n, 4)), -0.2, 0.2))
    fasi = rng.uniform(0.0, 2 * np.pi, (n, len(ONDE)))
    tendenza = rng.normal(0.0, SIGMA_TENDENZA, n)
    return dimensione, fattore, per_classe, fasi, tendenza


def _coppie(dimensione: Arr) -> tuple[Arr, Arr, Arr]:
    """Every (pathology, ward) pair a pathology may be admitted to, and its probability: the
    pathology's volume split among its wards by their size."""
    pat: list[int] = []
    rep: list[int] = []
    peso: list[float] = []
    for i, (codice, _, discipline) in enumerate(PATOLOGIE):
        reparti = [j for j, (cr, _, _) in enumerate(REPARTI) if _disciplina(cr) in discipline]
        if not reparti:
            raise ValueError(f"patologia {codice}: nessun reparto delle discipline {discipline}")
        quota = dimensione[reparti] / dimensione[reparti].sum()
        pat += [i] * len(reparti)
        rep += reparti
        peso += list(VOLUMI[codice][1] * quota)
    p = np.array(peso)
    return np.array(pat), np.array(rep), p / p.sum()


def _vuoto() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(COLONNE_RICOVERI, pl.String))


def _simula(n: int, rng: np.random.Generator, anno: int) -> dict[str, Arr]:
    """`n` entries inserted over the backlog window and `anno`, and what became of them by
    the end of `anno`. Days are counted from 1 January of `anno`, minutes from its 00:00."""
    dimensione, fattore, per_classe, fasi, tendenza = _struttura()
    coppia_pat, coppia_rep, p_coppia = _coppie(dimensione)
    profili = np.array([PROFILI_CLASSE[VOLUMI[c][0]] for c, _, _ in PATOLOGIE])
    cum_profili = np.cumsum(profili, axis=1)

    # the calendar from 1 January two years before `anno`: insertion weights and open days
    inizio = date(anno - 2, 1, 1).toordinal()
    off = date(anno, 1, 1).toordinal() - inizio
    fine = date(anno + 1, 1, 1).toordinal() - date(anno, 1, 1).toordinal() - 1  # 31 Dec
    settimana, festivo = _calendario(anno - 2, off + fine + ATTESA_MASSIMA + 60)
    feriale = (settimana < 5) & ~festivo
    pesi = np.concatenate([
        _pesi_prenotazione(a, settimana[date(a, 1, 1).toordinal() - inizio:],
                           festivo[date(a, 1, 1).toordinal() - inizio:])
        for a in (anno - 2, anno - 1, anno)])
    pesi = (pesi * feriale[:len(pesi)])[off - ARRETRATO_GIORNI:]
    pesi = pesi / pesi.sum()

    # -- every draw is a whole column, always in this order: same seed, same list ----------
    coppia = rng.choice(len(p_coppia), size=n, p=p_coppia)
    u_classe = rng.random(n)
    g_ins = rng.choice(len(pesi), size=n, p=pesi) - ARRETRATO_GIORNI
    m_ins = rng.integers(8 * 60, 17 * 60, size=n)
    z = rng.standard_normal(n)
    u_sorpasso = rng.random(n)
    u_anticipo = rng.random(n)
    u_cancellato = rng.random(n)
    u_giorno_canc = rng.random(n)
    u_ora_canc = rng.random(n)
    con_data_canc = rng.random(n) < P_DATA_CANCELLAZIONE
    u_agg = rng.random(n)
    u_giorno_agg = rng.random(n)
    m_agg = rng.integers(8 * 60, 18 * 60, size=n)
    assistiti = min(max(500, int(n * 0.85)), 9_999_999)
    assistito = rng.integers(1, assistiti + 1, size=n)

    pat = coppia_pat[coppia]
    rep = coppia_rep[coppia]
    classe = np.minimum((u_classe[:, None] >= cum_profili[pat]).sum(axis=1), 3)

    # -- the wait: a curve per (ward, class) over the day of insertion ----------------------
    giorno_assoluto = g_ins + date(anno, 1, 1).toordinal()
    onda = sum(ampiezza * np.sin(2 * np.pi * giorno_assoluto / periodo + fasi[rep, k])
               for k, (periodo, ampiezza) in enumerate(ONDE))
    onda = onda + tendenza[rep] * (g_ins - 182) / 365.25
    attesa = (np.array(ATTESA_CLASSE)[classe] * fattore[rep] * per_classe[rep, classe]
              * np.exp(onda + 0.2 * z))
    previsto = g_ins + np.clip(attesa, 1.0, ATTESA_MASSIMA)
    # Each (ward, class) admits in insertion order: the k-th inserted gets the k-th date.
    t_ins = g_ins * 1440 + m_ins
    gruppo = (rep * 4 + classe).astype(np.int64)
    # (one sort key each: much faster than np.lexsort; both parts are non-negative and small)
    per_inserimento = np.argsort((gruppo << 22) | (t_ins + ARRETRATO_GIORNI * 1440),
                                 kind="stable")
    per_data = np.argsort(gruppo * 4096.0 + (previsto + ARRETRATO_GIORNI))  # ties: same value
    turno = np.empty(n)
    turno[per_inserimento] = previsto[per_data]
    zero = np.zeros(n, dtype=np.int64)
    g_turno = _in_giorni_aperti(feriale, np.ceil(turno).astype(np.int64) + off, zero) - off

    # a few admitted out of turn, earlier than their turn
    anticipo = g_ins + 1 + np.floor(u_anticipo * (g_turno - g_ins - 1) * 0.75).astype(np.int64)
    anticipo = _in_giorni_aperti(feriale, anticipo + off, zero) - off
    sorpasso = ((u_sorpasso < np.array(P_SORPASSO)[classe]) & (g_turno - g_ins >= 6)
                & (anticipo < g_turno))
    g_ric = np.where(sorpasso, anticipo, g_turno)

    # -- what happened by the end of `anno` ---------------------------------------------
    cancellato = u_cancellato < np.array(P_CANCELLATO)[classe]
    limite = np.minimum(g_ric, fine + 1)  # cancelled before the admission, within `anno`
    g_canc = g_ins + np.floor(u_giorno_canc * (limite - g_ins)).astype(np.int64)
    m_canc = np.where(g_canc == g_ins,
                      m_ins + 1 + np.floor(u_ora_canc * (18 * 60 - m_ins - 1)),
                      8 * 60 + np.floor(u_ora_canc * 600)).astype(np.int64)
    t_canc = g_canc * 1440 + m_canc
    ricoverato = ~cancellato & (g_ric <= fine)
    stato = np.select([cancellato, ricoverato], [2, 1], 0)
    risolto = np.select([cancellato, ricoverato], [g_canc, g_ric], fine + 1)

    t_ric = g_ric * 1440 + 7 * 60 + np.floor(u_agg * 300).astype(np.int64)
    g_agg = g_ins + 1 + np.floor(u_giorno_agg * (fine - g_ins)).astype(np.int64)
    t_agg_attesa = np.where((u_agg < 0.4) & (g_ins < fine), g_agg * 1440 + m_agg, t_ins)
    t_agg = np.select([cancellato, ricoverato], [t_canc, t_ric], t_agg_attesa)

    return {
        "pat": pat, "rep": rep, "classe": classe, "g_ins": g_ins, "t_ins": t_ins,
        "g_ric": g_ric, "t_canc": t_canc, "con_data_canc": con_data_canc, "stato": stato,
        "t_agg": t_agg, "assistito": assistito,
        "nella_lista": (g_ins >= 0) | (risolto >= 0),
    }


def genera_ricoveri(rows: int, seed: int = 1, anno: int = 2025) -> pl.DataFrame:
    """`rows` entries of the planned-admission list as exported at the end of `anno`: those
    inserted during `anno` and the backlog still waiting on 1 January; the export's columns,
    all text (empty fields null), in insertion order. Same arguments, same frame."""
    if rows < 0:
        raise ValueError(f"rows={rows}: deve essere >= 0")
    if rows == 0:
        return _vuoto()
    # About 45 % of the simulated entries are in the list (the rest of the backlog window was
    # admitted or cancelled before 1 January): simulate enough, then keep exactly `rows`.
    fattore = 2.4
    while True:
        rng = np.random.default_rng(seed)
        n_sim = int(rows * fattore) + 200
        sim = _simula(n_sim, rng, anno)
        tenuti = np.flatnonzero(sim["nella_lista"])
        if len(tenuti) >= rows:
            break
        fattore *= 1.25 * rows / max(len(tenuti), 1)
    scelti = np.sort(rng.choice(tenuti, size=rows, replace=False))

    # the list's numbering: per year of insertion, in insertion order (the backlog's numbers
    # have gaps: entries admitted or cancelled before 1 January are not in the list)
    inizio_anno = [(date(a, 1, 1).toordinal() - date(anno, 1, 1).toordinal(), a)
                   for a in (anno - 2, anno - 1, anno)]
    anno_ins = np.select([sim["g_ins"] >= g for g, a in reversed(inizio_anno)],
                         [a for _, a in reversed(inizio_anno)], anno - 2)
    per_tempo = np.argsort(sim["t_ins"], kind="stable")
    rango = np.empty(n_sim, dtype=np.int64)
    rango[per_tempo] = np.arange(n_sim)
    primo_dell_anno = {a: int(np.searchsorted(anno_ins[per_tempo], a)) for _, a in inizio_anno}
    progressivo = rango - np.array([primo_dell_anno[a] for _, a in inizio_anno])[
        anno_ins - (anno - 2)] + 1
    ordine = scelti[np.argsort(sim["t_ins"][scelti], kind="stable")]
    correnti = anno_ins[ordine] == anno
    progressivo_out = progressivo[ordine]
    progressivo_out[correnti] = np.arange(1, int(correnti.sum()) + 1)

    # -- as text -----------------------------------------------------------------------------
    base = date(anno, 1, 1).toordinal() - date(1970, 1, 1).toordinal()
    prima = -ARRETRATO_GIORNI - 1
    giorni_s = (pl.Series(np.arange(prima, 370) + base, dtype=pl.Int32)
                .cast(pl.Date).dt.strftime("%Y-%m-%d"))
    ore_s = pl.Series([f"T{h:02d}:{m:02d}" for h in range(24) for m in range(60)])

    def giorno(g: Arr, nulli: Arr | None = None, ore: Arr | None = None) -> pl.Series:
        idx = pl.Series(g[ordine] - prima)
        if nulli is not None:
            idx = idx.set(pl.Series(nulli[ordine]), None)
        testo = giorni_s.gather(idx)
        return testo if ore is None else testo + ore_s.gather(pl.Series(ore[ordine]))

    def momento(minuti: Arr, nulli: Arr | None = None) -> pl.Series:
        return giorno(minuti // 1440, nulli, minuti % 1440)

    def scelta_tra(valori: list[str], indice: Arr) -> pl.Series:
        return pl.Series(valori, dtype=pl.String).gather(pl.Series(indice[ordine]))

    stato = sim["stato"]
    colonne = {
        "id_ricovero": ("R" + pl.Series(anno_ins[ordine]).cast(pl.String) + "-"
                        + pl.Series(progressivo_out).cast(pl.String).str.zfill(6)),
        "data_inserimento": momento(sim["t_ins"]),
        "codice_reparto": scelta_tra([r[0] for r in REPARTI], sim["rep"]),
        "codice_patologia": scelta_tra([p[0] for p in PATOLOGIE], sim["pat"]),
        "descrizione_patologia": scelta_tra([p[1] for p in PATOLOGIE], sim["pat"]),
        "classe_priorita": scelta_tra(list(CLASSI_RICOVERO), sim["classe"]),
        "stato": scelta_tra(list(STATI_RICOVERO), stato),
        "data_ricovero": giorno(sim["g_ric"], stato != 1),
        "data_cancellazione": momento(sim["t_canc"], (stato != 2) | ~sim["con_data_canc"]),
        "id_assistito": "A" + pl.Series(sim["assistito"][ordine]).cast(pl.String).str.zfill(7),
        "aggiornato_il": momento(sim["t_agg"]),
    }
    return pl.DataFrame([serie.alias(nome) for nome, serie in colonne.items()])


def scrivi_csv_ricoveri(path: Path, rows: int, seed: int = 1, anno: int = 2025) -> Path:
    """Write the synthetic list as CSV (UTF-8, `,`, header, empty = null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    genera_ricoveri(rows, seed=seed, anno=anno).write_csv(path, null_value="")
    return path


def reparti_csv() -> str:
    """`REPARTI` as the CSV `registro reparti import` loads (`codice,nome,presidio`)."""
    return pl.DataFrame(REPARTI, schema=["codice", "nome", "presidio"],
                        orient="row").write_csv()

