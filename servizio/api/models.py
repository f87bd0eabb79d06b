"""Response and request models of the API (`…Public`, `…Richiesta`): Italian descriptions,
money as text with two decimals ("25.82"), never a float; request bodies refuse unknown
fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from registro.types import (
    CanaleSegnalazione,
    EsitoSegnalazione,
    PassoSegnalazione,
    PresentataDa,
    StatoSanzione,
    StatoSegnalazione,
    TipoSegnalazione,
)
from servizio.api.parametri import SENZA_NUL, GiornoIso

T = TypeVar("T")

DataOra = Annotated[datetime, WithJsonSchema({
    "type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}",
    "examples": ["2026-03-05T09:30:00"]})]
"""Local date and time as the register keeps it (ISO 8601 without offset: not an RFC 3339
`date-time`, which requires one)."""

Euro = str
EURO_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


class Pagina(BaseModel, Generic[T]):
    """Una pagina di risultati."""

    totale: int = Field(description="Numero totale di elementi che rispondono ai filtri.")
    pagina: int = Field(description="Numero della pagina (da 1).")
    per_pagina: int = Field(description="Elementi per pagina (massimo 500).")
    elementi: list[T] = Field(description="Gli elementi di questa pagina.")


class SanzionePublic(BaseModel):
    """Un bonum, malum, rimborso o addebito per referto non ritirato."""

    id: int = Field(description="Numero del record.")
    id_prenotazione: str = Field(description="Prenotazione a cui si riferisce.")
    tipo: str = Field(description="bonum, malum, rimborso_ticket, rimborso_differenza o "
                      "referto_non_ritirato.")
    importo: Euro = Field(description="Importo in euro, due decimali (es. 25.82).",
                          pattern=EURO_PATTERN, examples=["25.82"])
    stato: StatoSanzione = Field(
        description="emesso, notificato, pagato, contestato o annullato.")
    data_emissione: date = Field(description="Data di emissione.")
    motivo: str = Field(description="Perché è stato emesso.")
    annullata_il: DataOra | None = Field(default=None, description="Quando è stato annullato.")
    motivo_annullamento: str | None = Field(default=None,
                                            description="Perché è stato annullato.")


class MotivazionePublic(BaseModel):
    """La motivazione registrata per un superamento o un ricovero fuori ordine."""

    id: int = Field(description="Numero della motivazione.")
    registro: str = Field(description="prestazioni o ricoveri.")
    riferimento: str = Field(description="id_prenotazione o id_ricovero.")
    oggetto: str = Field(description="superamento o fuori_ordine.")
    testo: str = Field(description="Il testo della motivazione.")
    autore: str = Field(description="Chi l'ha registrata.")
    registrata_il: DataOra = Field(description="Quando è stata registrata.")
    sostituisce_id: int | None = Field(default=None,
                                       description="La motivazione precedente che sostituisce.")


class VersionePrenotazionePublic(BaseModel):
    """Una versione della prenotazione come inviata dal CUP (storico)."""

    data_prescrizione: date | None = Field(default=None, description="Data della ricetta.")
    data_prenotazione: DataOra = Field(description="Quando il cittadino ha prenotato.")
    data_appuntamento: DataOra = Field(description="Data e ora assegnate.")
    codice_prestazione: str = Field(description="Codice del nomenclatore.")
    codice_sede: str = Field(description="Sede di erogazione.")
    classe_priorita: str | None = Field(default=None, description="U, B, D, P o vuota.")
    tipo_accesso: str = Field(description="primo o controllo.")
    scelta_utente: bool = Field(description="Data o sede scelte dal cittadino.")
    stato: str = Field(description="Stato della prenotazione.")
    data_disdetta: DataOra | None = Field(default=None, description="Quando è stata disdetta.")
    causale_annullamento: str | None = Field(default=None,
                                             description="Causale dell'annullamento dell'ente.")
    esito_annullamento: str | None = Field(default=None, description="rinuncia o riprogrammata.")
    importo_ticket: Euro | None = Field(default=None, pattern=EURO_PATTERN,
                                        description="Ticket pagato, in euro (es. 25.82).")
    quota_ordinaria: Euro | None = Field(
        default=None, pattern=EURO_PATTERN,
        description="Ticket ordinario della prestazione, in euro.")
    forza_maggiore: bool = Field(description="Disdetta tardiva o assenza giustificata (dl73).")
    id_assistito: str | None = Field(
        default=None, description="Identificativo pseudonimo dell'assistito (null per il "
                                  "ruolo lettura).")
    aggiornato_il: DataOra | None = Field(default=None,
                                           description="Ultima modifica secondo il CUP.")
    versione_il: DataOra = Field(description="Ordina le versioni.")
    ingest_run_id: int = Field(description="Caricamento che l'ha portata.")


class PrenotazionePublic(VersionePrenotazionePublic):
    """Una prenotazione del registro (ultima versione) con i campi derivati dalla verifica."""

    id_prenotazione: str = Field(description="Identificativo CUP della prenotazione.")
    attesa_giorni: int | None = Field(default=None,
                                      description="Giorni di calendario dalla prenotazione "
                                                  "all'appuntamento.")
    attesa_da_prescrizione: int | None = Field(default=None,
                                               description="Giorni dalla data della ricetta.")
    standard_giorni: int | None = Field(default=None, description="Tempo massimo garantito.")
    in_garanzia: bool | None = Field(default=None, description="Coperta dalla garanzia.")
    entro_standard: bool | None = Field(default=None, description="Attesa entro lo standard.")
    superamento: bool | None = Field(default=None,
                                     description="In garanzia e oltre lo standard: "
                                                 "va motivato.")
    percorso_tutela: bool | None = Field(default=None,
                                         description="dl73: diritto al percorso di tutela.")
    preferenziale: bool | None = Field(default=None,
                                       description="Da riprogrammare con precedenza.")
    verificata_il: DataOra | None = Field(
        default=None,
        description="Verifica (registro check) che ha calcolato i campi derivati della "
        "versione corrente.")
    profilo: str | None = Field(default=None, description="Profilo degli standard applicato.")


class PrenotazioneDettaglioPublic(PrenotazionePublic):
    """Una prenotazione con lo storico delle versioni, le sanzioni e le motivazioni."""

    storia: list[VersionePrenotazionePublic] = Field(
        description="Tutte le versioni ricevute, dalla più vecchia.")
    sanzioni: list[SanzionePublic] = Field(description="Bonum, malum e rimborsi.")
    motivazioni: list[MotivazionePublic] = Field(description="Motivazioni registrate.")


class VersioneRicoveroPublic(BaseModel):
    """Una versione della voce di lista come inviata (storico)."""

    data_inserimento: DataOra = Field(description="Inserimento in lista.")
    codice_reparto: str = Field(description="Reparto.")
    codice_patologia: str = Field(description="Patologia (codice).")
    descrizione_patologia: str | None = Field(default=None, description="Patologia.")
    classe_priorita: str = Field(description="Classe A, B, C o D.")
    stato: str = Field(description="in_attesa, ricoverato o cancellato.")
    data_ricovero: DataOra | None = Field(default=None, description="Data del ricovero.")
    data_cancellazione: DataOra | None = Field(default=None,
                                                description="Data della cancellazione.")
    id_assistito: str | None = Field(
        default=None, description="Identificativo pseudonimo dell'assistito (null per il "
                                  "ruolo lettura).")
    aggiornato_il: DataOra | None = Field(default=None, description="Ultima modifica.")
    versione_il: DataOra = Field(description="Ordina le versioni.")
    ingest_run_id: int = Field(description="Caricamento che l'ha portata.")


class RicoveroPublic(VersioneRicoveroPublic):
    """Una voce della lista dei ricoveri programmati con i campi derivati."""

    id_ricovero: str = Field(description="Identificativo della voce di lista.")
    attesa_giorni: int | None = Field(default=None, description="Giorni di attesa.")
    attesa_massima: int | None = Field(default=None, description="Attesa massima (giorni).")
    superamento: bool | None = Field(default=None, description="Oltre l'attesa massima.")
    fuori_ordine: int | None = Field(default=None,
                                     description="Quante voci ha scavalcato (0: in ordine).")
    verificata_il: DataOra | None = Field(
        default=None,
        description="Verifica che ha calcolato i campi derivati della versione corrente.")
    profilo: str | None = Field(default=None, description="Profilo degli standard applicato.")


class FuoriOrdinePublic(BaseModel):
    """Un ricovero che ne ha scavalcato un altro in attesa da prima."""

    id_ricovero: str = Field(description="Il ricovero fuori ordine.")
    id_scavalcato: str = Field(description="La voce scavalcata.")
    codice_reparto: str = Field(description="Reparto.")
    classe_priorita: str = Field(description="Classe del ricovero.")
    classe_scavalcato: str = Field(description="Classe della voce scavalcata.")
    data_ricovero: DataOra = Field(description="Data del ricovero.")
    data_inserimento_scavalcato: DataOra = Field(
        description="Inserimento in lista della voce scavalcata.")


class RicoveroDettaglioPublic(RicoveroPublic):
    """Una voce di lista con lo storico, le voci scavalcate e le motivazioni."""

    storia: list[VersioneRicoveroPublic] = Field(description="Tutte le versioni ricevute.")
    scavalcati: list[FuoriOrdinePublic] = Field(
        description="Le voci che questo ricovero ha scavalcato.")
    motivazioni: list[MotivazionePublic] = Field(description="Motivazioni registrate.")


class MotivazioneRichiesta(BaseModel):
    """Una nuova motivazione (l'autore è il nome del token)."""

    model_config = ConfigDict(extra="forbid")
    registro: Literal["prestazioni", "ricoveri"] = Field(description="prestazioni o ricoveri.")
    riferimento: str = Field(min_length=1, max_length=64, pattern=SENZA_NUL,
                             description="id_prenotazione o id_ricovero.")
    testo: str = Field(min_length=1, max_length=5000, pattern=SENZA_NUL,
                       description="La motivazione.")
    oggetto: Literal["superamento", "fuori_ordine"] | None = Field(
        default=None, description="superamento o fuori_ordine (predefinito: quello che serve).")


class CambioStatoRichiesta(BaseModel):
    """Il nuovo stato di una sanzione."""

    model_config = ConfigDict(extra="forbid")
    stato: StatoSanzione = Field(
        description="Nuovo stato: emesso → notificato → pagato; emesso o notificato → "
                    "contestato; contestato → emesso o annullato; qualunque stato non finale "
                    "→ annullato (con motivo). pagato e annullato sono finali.")
    motivo: str | None = Field(default=None, max_length=2000, pattern=SENZA_NUL,
                               description="Motivo: obbligatorio per annullare.")


class EsitoIngestPublic(BaseModel):
    """Il riepilogo del caricamento, lo stesso di `registro ingest --json`."""

    file: str = Field(description="Il file caricato.")
    righe: int = Field(description="Righe lette (= accettate + scartate).")
    accettate: int = Field(description="Righe valide.")
    scartate: int = Field(description="Righe scartate (negli scarti, con il motivo).")
    nuove: int = Field(description="Prenotazioni o voci nuove.")
    aggiornate: int = Field(description="Aggiornate a una versione più recente.")
    invariate: int = Field(description="Già presenti, identiche.")
    obsolete: int = Field(description="Più vecchie della versione registrata.")
    duplicate: int = Field(description="Righe ripetute nello stesso file.")
    sedi_nuove: int = Field(description="Sedi (o reparti) nuovi registrati.")
    pseudonimizzati: int = Field(description="Codici fiscali sostituiti da pseudonimi.")
    file_scarti: str = Field(description="Il CSV degli scarti.")
    ingest_run_id: int = Field(description="Numero del caricamento.")
    sha256: str = Field(description="Impronta SHA-256 del file.")
    archiviato_in: str = Field(description="Dove è stato archiviato l'originale.")


class RigaStatsPrestazioni(BaseModel):
    """Una riga della tabella dei tempi di attesa (prestazione × sede [× classe])."""

    periodo: str = Field(description="Periodo.")
    codice_prestazione: str = Field(description="Prestazione.")
    codice_sede: str = Field(description="Sede.")
    classe_priorita: str | None = Field(description="Classe (solo profilo pngla).")
    n: int = Field(description="Prenotazioni in garanzia.")
    attesa_media: float | None = Field(description="Attesa media (giorni, 1 decimale).")
    attesa_mediana: float | None = Field(description="Attesa mediana.")
    attesa_p90: int | None = Field(description="90° percentile (rango più vicino).")
    standard_giorni: int | None = Field(description="Standard del gruppo.")
    quota_entro_standard: float | None = Field(description="Quota entro lo standard.")
    n_fuori_garanzia: int = Field(description="Prenotazioni fuori garanzia.")
    quota_fuori_ordine: float | None = Field(
        default=None, description="Quota delle prenotazioni in garanzia che ne hanno "
                                  "scavalcate altre prenotate prima (Carta §5.1).")


class RigaStatsRicoveri(BaseModel):
    """Una riga della tabella dei ricoveri (reparto × patologia × classe)."""

    periodo: str = Field(description="Periodo.")
    codice_reparto: str = Field(description="Reparto.")
    codice_patologia: str = Field(description="Patologia.")
    classe_priorita: str = Field(description="Classe.")
    n: int = Field(description="Ricoveri nel periodo.")
    attesa_media: float | None = Field(description="Attesa media (giorni).")
    attesa_mediana: float | None = Field(description="Attesa mediana.")
    attesa_p90: int | None = Field(description="90° percentile.")
    standard_giorni: int | None = Field(description="Attesa massima.")
    quota_entro_standard: float | None = Field(description="Quota entro l'attesa massima.")
    in_attesa: int = Field(description="Voci in attesa a fine periodo.")
    attesa_massima_in_corso: int | None = Field(description="Attesa più lunga in corso.")
    fuori_ordine: int = Field(description="Ricoveri fuori ordine nel periodo.")


class RigaMonitoraggio(BaseModel):
    """Una voce della lista del Direttore Sanitario."""

    lista: str = Field(description="superamento_senza_motivazione, "
                                   "fuori_ordine_senza_motivazione, in_scadenza, "
                                   "tutela_in_ritardo o stato_non_aggiornato.")
    registro: str = Field(description="prestazioni, ricoveri o tutela.")
    id: str = Field(description="id_prenotazione, id_ricovero o numero della segnalazione.")
    codice_reparto_o_prestazione: str | None = Field(
        description="Reparto o prestazione (per tutela_in_ritardo: il servizio, come in "
                    "`servizio`).")
    codice_sede_o_patologia: str | None = Field(
        description="Sede o patologia (per tutela_in_ritardo: il termine, come in `termine`).")
    classe_priorita: str | None = Field(description="Classe di priorità.")
    giorni: int | None = Field(description="Attesa, o voci scavalcate.")
    soglia: int | None = Field(description="Standard o attesa massima.")
    dal: date | None = Field(description="Primo giorno oltre la soglia.")
    motivato: bool = Field(description="Ha già una motivazione.")
    termine: str | None = Field(
        default=None, description="Per tutela_in_ritardo: il termine scaduto (trasmissione, "
                                  "informazione_servizi, risposta_servizi, risposta); "
                                  "altrimenti assente.")
    servizio: str | None = Field(
        default=None, description="Per tutela_in_ritardo: il servizio interessato dalla "
                                  "segnalazione; altrimenti assente.")
    descrizione_prestazione: str | None = Field(
        default=None, description="La descrizione della prestazione, accanto al suo codice.")
    nome_sede_o_reparto: str | None = Field(
        default=None, description="Il nome della sede (prestazioni) o del reparto (ricoveri).")


class SaluteRisposta(BaseModel):
    """Stato del servizio."""

    database: Literal["raggiungibile", "non raggiungibile"] = Field(
        description="Il database risponde?")
    ultimo_ingest: DataOra | None = Field(description="Fine dell'ultimo caricamento riuscito.")
    ultimo_check: DataOra | None = Field(
        default=None, description="Fine dell'ultima verifica riuscita (`registro check`).")
    ultima_costruzione_sito: DataOra | None = Field(
        description="Fine dell'ultima costruzione del sito pubblico.")


# --- pubblica tutela (/segnalazioni) ---------------------------------------------------------

class ContattoPublic(BaseModel):
    """Come raggiungere il cittadino: solo per il ruolo `upt`."""

    nome: str | None = Field(default=None, description="Nome e cognome.")
    indirizzo: str | None = Field(default=None, description="Indirizzo (abitante a).")
    telefono: str | None = Field(default=None, description="Telefono.")
    email: str | None = Field(default=None, description="Posta elettronica.")


class ContattoRichiesta(BaseModel):
    """Il recapito del cittadino (Art. 2: i dati per le comunicazioni di merito). Resta a
    parte: lo vede solo il ruolo `upt`."""

    model_config = ConfigDict(extra="forbid")
    nome: str | None = Field(default=None, max_length=200, pattern=SENZA_NUL,
                             description="Nome e cognome.")
    indirizzo: str | None = Field(default=None, max_length=300, pattern=SENZA_NUL,
                                  description="Indirizzo (abitante a).")
    telefono: str | None = Field(default=None, max_length=40, pattern=SENZA_NUL,
                                 description="Telefono.")
    email: str | None = Field(default=None, max_length=200, pattern=SENZA_NUL,
                              description="Posta elettronica.")


class ScadenzaPublic(BaseModel):
    """Un termine del Regolamento di Pubblica Tutela per questa segnalazione."""

    termine: str = Field(description="trasmissione, informazione_servizi, risposta_servizi "
                                     "o risposta.")
    riferimento: str = Field(description="Da dove viene il termine.")
    descrizione: str = Field(description="Che cosa va fatto.")
    giorni: int = Field(description="Giorni del termine (di calendario o lavorativi, come "
                                    "da impostazione tutela_calendario).")
    dal: date = Field(description="Da quando decorre.")
    scade_il: date = Field(description="Ultimo giorno utile.")
    fatto_il: date | None = Field(description="Quando è stato rispettato (null se aperto).")
    nei_termini: bool | None = Field(description="Fatto entro il termine (null se aperto).")
    in_ritardo: bool = Field(description="Aperto e scaduto oggi.")


class PassoPublic(BaseModel):
    """Un passo della procedura, come registrato."""

    id: int = Field(description="Numero del passo.")
    passo: str = Field(description="ricevuta, risolta, trasmessa, servizi_informati, "
                                   "informazioni_ricevute, risposta_inviata, riesame, "
                                   "riesame_concluso, commissione o "
                                   "commissione_conclusa.")
    data: date = Field(description="Quando è avvenuto.")
    esito: EsitoSegnalazione | None = Field(default=None, description="Esito (risposte).")
    nota: str | None = Field(default=None, description="Nota (per la risposta: il testo).")
    autore: str = Field(description="Chi l'ha registrato.")
    registrato_il: DataOra = Field(description="Quando è stato registrato.")
    sanzione_stato: str | None = Field(
        default=None, description="Lo stato in cui il passo ha portato la sanzione "
                                  "contestata, se l'ha spostata.")


class SegnalazionePublic(BaseModel):
    """Una segnalazione all'Ufficio di Pubblica Tutela, senza il recapito del cittadino."""

    id: int = Field(description="Numero della segnalazione.")
    canale: CanaleSegnalazione = Field(description="Come è pervenuta.")
    tipo: TipoSegnalazione = Field(description="disfunzione, suggerimento o reclamo.")
    oggetto: str = Field(description="Oggetto della segnalazione.")
    servizio: str | None = Field(description="Servizio interessato.")
    ricevuta_il: date = Field(description="Data di ricevimento.")
    ricevuta_da: str = Field(description="Chi l'ha ricevuta.")
    data_conoscenza: date | None = Field(
        description="Quando il cittadino ha avuto conoscenza del fatto (art. 3).")
    id_prenotazione: str | None = Field(description="Prenotazione collegata.")
    id_ricovero: str | None = Field(description="Ricovero collegato.")
    id_sanzione: int | None = Field(description="Sanzione contestata.")
    contesta_sanzione: bool = Field(
        description="La segnalazione tiene ora la sanzione nello stato contestato.")
    stato: StatoSegnalazione = Field(description="Ultimo passo registrato.")
    esito: EsitoSegnalazione | None = Field(description="Esito della risposta.")
    esito_riesame: EsitoSegnalazione | None = Field(description="Esito del riesame.")
    esito_commissione: EsitoSegnalazione | None = Field(
        default=None, description="Esito della Commissione Mista Conciliativa (art. 8).")
    esito_finale: EsitoSegnalazione | None = Field(
        description="L'esito che vale: quello della Commissione o del riesame, se "
                    "concluso.")
    risolta_il: date | None = Field(description="Risolta immediatamente il.")
    trasmessa_il: date | None = Field(description="Trasmessa alla Direzione il (art. 4).")
    servizi_informati_il: date | None = Field(
        description="Responsabili dei servizi informati il (art. 5).")
    informazioni_ricevute_il: date | None = Field(
        description="Informazioni dei servizi ricevute il (art. 5).")
    risposta_il: date | None = Field(description="Lettera di risposta inviata il.")
    riesame_il: date | None = Field(description="Riesame chiesto il (art. 7 f).")
    riesame_concluso_il: date | None = Field(description="Riesame concluso il.")
    commissione_il: date | None = Field(
        default=None, description="Deferita alla Commissione Mista Conciliativa il "
                                  "(art. 7 d, art. 8).")
    commissione_conclusa_il: date | None = Field(
        default=None, description="Esame della Commissione concluso il.")
    presentata_da: PresentataDa = Field(
        default="utente", description="Chi l'ha presentata: utente, parente, associazione "
                                      "(art. 1) o d_ufficio.")
    urgente: bool = Field(default=False, description="Urgente: termine di trasmissione "
                                                     "ridotto (art. 4).")
    tardiva: bool = Field(description="Presentata oltre i giorni dell'art. 3 (segnalata, "
                                      "mai respinta per questo).")
    scadenze: list[ScadenzaPublic] = Field(description="I termini decorsi e il loro stato.")
    registrata_il: DataOra = Field(description="Quando è stata registrata.")
    aggiornata_il: DataOra = Field(description="Ultima modifica.")


class SegnalazioneDettaglioPublic(SegnalazionePublic):
    """Una segnalazione con i suoi passi; il recapito solo per il ruolo `upt` (null per la
    Direzione)."""

    passi: list[PassoPublic] = Field(description="Tutti i passi, dal primo.")
    contatto: ContattoPublic | None = Field(
        description="Recapito del cittadino: solo per il ruolo upt.")


class SegnalazioneRichiesta(BaseModel):
    """Una nuova segnalazione (Art. 2). Collegarla a una sanzione è contestarla: il tipo è
    reclamo e la sanzione passa a contestato finché non c'è l'esito."""

    model_config = ConfigDict(extra="forbid")
    canale: CanaleSegnalazione = Field(description="lettera, modulo, telefono, fax, "
                                                   "colloquio o email.")
    tipo: TipoSegnalazione = Field(description="disfunzione, suggerimento o reclamo.")
    oggetto: str = Field(min_length=1, max_length=5000, pattern=SENZA_NUL,
                         description="Oggetto della segnalazione (senza dati del "
                                     "cittadino: quelli vanno nel contatto).")
    ricevuta_il: GiornoIso | None = Field(default=None, description="Data di ricevimento "
                                                               "(predefinita: oggi).")
    ricevuta_da: str | None = Field(default=None, max_length=80, pattern=SENZA_NUL,
                                    description="Chi l'ha ricevuta (predefinito: il nome "
                                                "del token).")
    data_conoscenza: GiornoIso | None = Field(
        default=None, description="Quando il cittadino ha avuto conoscenza del fatto.")
    servizio: str | None = Field(default=None, max_length=80, pattern=SENZA_NUL,
                                 description="Servizio interessato (predefinito: dalla "
                                             "prenotazione o dal ricovero collegati).")
    id_prenotazione: str | None = Field(default=None, min_length=1, max_length=64,
                                        pattern=SENZA_NUL, description="Prenotazione.")
    id_ricovero: str | None = Field(default=None, min_length=1, max_length=64,
                                    pattern=SENZA_NUL, description="Ricovero.")
    id_sanzione: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                    description="Sanzione contestata.")
    nota: str | None = Field(default=None, max_length=5000, pattern=SENZA_NUL,
                             description="Nota sul ricevimento.")
    contatto: ContattoRichiesta | None = Field(default=None,
                                               description="Recapito del cittadino.")
    presentata_da: PresentataDa = Field(
        default="utente", description="Chi la presenta: utente, parente, associazione "
                                      "(organismi di volontariato o di tutela, art. 1) o "
                                      "d_ufficio (l'ufficio di sua iniziativa).")
    urgente: bool = Field(default=False, description="Urgente (art. 4): trasmissione alla "
                                                     "Direzione entro il termine ridotto.")


class PassoRichiesta(BaseModel):
    """Il passo successivo della procedura."""

    model_config = ConfigDict(extra="forbid")
    passo: PassoSegnalazione = Field(
        description="ricevuta → risolta | trasmessa; trasmessa → servizi_informati → "
                    "informazioni_ricevute → risposta_inviata; risolta | risposta_inviata "
                    "→ riesame → riesame_concluso, oppure → commissione → "
                    "commissione_conclusa (Commissione Mista Conciliativa).")
    data: GiornoIso | None = Field(default=None, description="Quando (predefinita: oggi); non "
                                                        "prima del passo precedente.")
    esito: EsitoSegnalazione | None = Field(
        default=None, description="Obbligatorio per risolta, risposta_inviata, "
                                  "riesame_concluso e commissione_conclusa; per una "
                                  "sanzione contestata accolta (annullata) o respinta "
                                  "(confermata).")
    nota: str | None = Field(default=None, max_length=5000, pattern=SENZA_NUL,
                             description="Nota; per la risposta, il testo della lettera.")
