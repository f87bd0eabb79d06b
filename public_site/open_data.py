"""The site's open data: every published table as CSV and JSON, described by a Frictionless
`datapackage.json`.

The same tables as the pages (aggregates only, small cells already emptied), with the
columns of `public_site.dati.COLONNE_*`; the descriptions of the columns are written once
here, for the Data Package a re-user reads.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from public_site.contesti import Risorsa
from public_site.dati import COLONNE_CATALOGO, Pubblicazione
from public_site.scrittore import Scrittore
from registro.csvsafe import scrivi_csv, scrivi_json
from registro.importi import quota_fissa_cent, ticket_cent_expr
from registro.settings import Settings

FILE_DATI = {
    "prestazioni": ("tempi_attesa_prestazioni",
                    "Tempi di attesa per prestazione e sede (lettura ex ante)"),
    "andamento": ("andamento_mensile", "Andamento mensile per prestazione (tutte le sedi)"),
    "ricoveri": ("tempi_attesa_ricoveri",
                 "Ricoveri programmati per reparto, patologia e classe di priorità"),
    "catalogo": ("catalogo_prestazioni", "Catalogo delle prestazioni con tariffa"),
    "registro": ("registro_prestazioni",
                 "Registro delle prestazioni (Carta dei servizi §5.1): ogni prestazione per "
                 "sede di erogazione, tempi di attesa e somma da pagare"),
}
"""Each published table: its file name (without extension) and its title."""

DESCRIZIONI_CAMPI = {
    "periodo": "Periodo di riferimento (anno, semestre, trimestre o mese)",
    "mese": "Mese di prenotazione (AAAA-MM)",
    "codice_prestazione": "Codice del nomenclatore della prestazione",
    "descrizione": "Descrizione della prestazione",
    "branca": "Branca specialistica",
    "tipo": "Tipo: laboratorio, immagini, visita, strumentale",
    "codice_sede": "Codice della sede di erogazione (nel registro delle prestazioni: vuoto "
                   "per una prestazione del catalogo che nessuna sede eroga)",
    "nome_sede": "Nome della sede di erogazione",
    "classe_priorita": "Classe di priorità (vuota se gli standard non dipendono dalla classe)",
    "soppresso": "Vero se le prenotazioni in garanzia sono meno della soglia di pubblicazione: "
                 "i valori statistici sono vuoti (dati insufficienti)",
    "soppresso_lista": "Vero se le persone in lista sono meno della soglia di pubblicazione "
                       "(e più di zero): lunghezza della lista e attesa più lunga sono vuote",
    "n": "Numero di prenotazioni (o ricoveri) in garanzia nel periodo",
    "attesa_media": "Attesa media in giorni (1 decimale)",
    "attesa_mediana": "Attesa mediana in giorni",
    "attesa_p90": "90° percentile dell'attesa in giorni (rango più vicino)",
    "standard_giorni": "Tempo massimo di attesa (standard) in giorni",
    "quota_entro_standard": "Quota di prenotazioni con attesa entro lo standard (0-1)",
    "n_fuori_garanzia": "Prenotazioni fuori garanzia (controlli, scelta dell'utente, urgenze); "
                        "vuoto se tra 1 e la soglia di pubblicazione",
    "codice_reparto": "Codice del reparto",
    "nome_reparto": "Nome del reparto",
    "codice_patologia": "Codice della patologia o dell'intervento",
    "descrizione_patologia": "Descrizione della patologia o dell'intervento",
    "fuori_ordine": "Ricoveri del periodo fuori dall'ordine cronologico della lista",
    "in_attesa": "Persone in lista d'attesa alla fine del periodo",
    "attesa_massima_in_corso": "Attesa più lunga in corso alla fine del periodo, in giorni",
    "codice": "Codice del nomenclatore",
    "tariffa_euro": "Tariffa intera in euro (vuota se il catalogo non la indica)",
    "ticket_euro": "Ticket in euro: la tariffa fino al massimo per prestazione fissato "
                   "dall'Azienda (impostazione ticket_massimo); vuoto senza tariffa",
    "quota_fissa_ricetta_euro": "Quota fissa regionale per ricetta in euro, in aggiunta al "
                                "ticket; vuota se la Regione non la applica",
    "prenotazioni_nel_periodo": "Vero se la prestazione ha prenotazioni nella sede nel "
                                "periodo; falso: nessuna prenotazione nel periodo (n = 0, "
                                "valori statistici vuoti)",
}

TIPI_FRICTIONLESS = {pl.String: "string", pl.Int64: "integer", pl.Float64: "number",
                     pl.Boolean: "boolean"}


def _euro_testo(cent: pl.Expr) -> pl.Expr:
    """`registro.money.format_euro` as an expression ('25.82', two places, decimal point):
    integer arithmetic on the cents, no float and no Python call per row; null stays null."""
    assoluto = cent.abs()
    testo = ((assoluto // 100).cast(pl.String) + "."
             + (assoluto % 100).cast(pl.String).str.zfill(2))
    return pl.when(cent < 0).then(pl.lit("-") + testo).otherwise(testo)


def _importi(df: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """The amounts a citizen pays (registro.importi) as euro text, after the other columns:
    full tariff, ticket, fixed quota per prescription (empty when the region sets none)."""
    quota = quota_fissa_cent(settings.quota_fissa_ricetta)
    return df.with_columns(
        _euro_testo(pl.col("tariffa_cent")).alias("tariffa_euro"),
        _euro_testo(ticket_cent_expr(pl.col("tariffa_cent"), settings.ticket_massimo)
                    ).alias("ticket_euro"),
        _euro_testo(pl.lit(quota, dtype=pl.Int64)).alias("quota_fissa_ricetta_euro"),
    ).drop("tariffa_cent")


def tabelle_aperte(pub: Pubblicazione, settings: Settings) -> dict[str, pl.DataFrame]:
    """The published tables by their `FILE_DATI` key; amounts in euro, as the CSV contracts
    want them (new columns after the old ones)."""
    catalogo = _importi(pub.catalogo.select("codice", "descrizione", "tipo", "branca",
                                            "tariffa_cent"), settings).select(COLONNE_CATALOGO)
    return {"prestazioni": pub.prestazioni, "andamento": pub.andamento,
            "ricoveri": pub.ricoveri, "catalogo": catalogo,
            "registro": _importi(pub.registro, settings)}


def _schema(df: pl.DataFrame) -> dict[str, object]:
    campi = []
    for colonna, dtype in df.schema.items():
        tipo = "number" if colonna.endswith("_euro") else TIPI_FRICTIONLESS.get(
            type(dtype), "string")
        campi.append({"name": colonna, "type": tipo,
                      "description": DESCRIZIONI_CAMPI.get(colonna, colonna)})
    return {"fields": campi, "missingValues": [""]}


def scrivi_dati_aperti(scrittore: Scrittore, pub: Pubblicazione, settings: Settings,
                       oggi: date) -> list[Risorsa]:
    """CSV + JSON of every published table and the Frictionless `datapackage.json`."""
    risorse = []
    for chiave, df in tabelle_aperte(pub, settings).items():
        nome, titolo = FILE_DATI[chiave]
        csv_path, json_path = f"dati/{nome}.csv", f"dati/{nome}.json"
        scrivi_csv(df, scrittore.riserva(csv_path))
        scrivi_json(df, scrittore.riserva(json_path))
        risorse.append(Risorsa(name=nome.replace("_", "-"), title=titolo, path=f"{nome}.csv",
                               schema=_schema(df), righe=df.height, csv=csv_path,
                               json=json_path))
    pacchetto = {
        "name": "registro-tempi-attesa",
        "title": f"Tempi di attesa — {settings.ente}",
        "description": (f"Tempi di attesa delle prestazioni specialistiche e dei ricoveri "
                        f"programmati, periodo {pub.periodo.etichetta}, dati al "
                        f"{pub.data_dati.isoformat() if pub.data_dati else 'n.d.'}. "
                        f"Solo dati aggregati; le celle con meno di "
                        f"{settings.soglia_pubblicazione} casi sono soppresse."),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "created": f"{oggi.isoformat()}T00:00:00Z",
        "resources": [r.descrittore() for r in risorse],
    }
    scrittore.testo("dati/datapackage.json",
                    json.dumps(pacchetto, ensure_ascii=False, indent=2) + "\n")
    return risorse
