"""Constrained domain values shared by the tables, the ingest and the rules: declared once."""

from typing import Literal, get_args

TipoPrestazione = Literal["laboratorio", "immagini", "visita", "strumentale"]
ClassePriorita = Literal["U", "B", "D", "P"]
ClasseRicovero = Literal["A", "B", "C", "D"]
TipoAccesso = Literal["primo", "controllo"]
StatoPrenotazione = Literal[
    "prenotata", "erogata", "annullata_ente", "disdetta_utente", "non_presentato"
]
StatoRicovero = Literal["in_attesa", "ricoverato", "cancellato"]
EsitoAnnullamento = Literal["rinuncia", "riprogrammata"]
TipoSanzione = Literal["bonum", "malum", "rimborso_ticket", "rimborso_differenza",
                       "referto_non_ritirato"]
StatoSanzione = Literal["emesso", "notificato", "pagato", "contestato", "annullato"]

TIPI_PRESTAZIONE: tuple[str, ...] = get_args(TipoPrestazione)
CLASSI_PRIORITA: tuple[str, ...] = get_args(ClassePriorita)
CLASSI_RICOVERO: tuple[str, ...] = get_args(ClasseRicovero)
TIPI_ACCESSO: tuple[str, ...] = get_args(TipoAccesso)
STATI_PRENOTAZIONE: tuple[str, ...] = get_args(StatoPrenotazione)
STATI_RICOVERO: tuple[str, ...] = get_args(StatoRicovero)
ESITI_ANNULLAMENTO: tuple[str, ...] = get_args(EsitoAnnullamento)
TIPI_SANZIONE: tuple[str, ...] = get_args(TipoSanzione)
STATI_SANZIONE: tuple[str, ...] = get_args(StatoSanzione)

# Pubblica tutela (registro.tutela): the Carta's Allegato 1 "Regolamento di Pubblica Tutela".
CanaleSegnalazione = Literal["lettera", "modulo", "telefono", "fax", "colloquio", "email"]
TipoSegnalazione = Literal["disfunzione", "suggerimento", "reclamo"]
StatoSegnalazione = Literal["ricevuta", "risolta", "trasmessa", "servizi_informati",
                            "informazioni_ricevute", "risposta_inviata", "riesame",
                            "riesame_concluso", "commissione", "commissione_conclusa"]
PassoSegnalazione = Literal["risolta", "trasmessa", "servizi_informati",
                            "informazioni_ricevute", "risposta_inviata", "riesame",
                            "riesame_concluso", "commissione", "commissione_conclusa"]
PresentataDa = Literal["utente", "parente", "associazione", "d_ufficio"]
"""Who filed a segnalazione (Allegato 1 Art. 1; d_ufficio: the UPT itself, seed 000)."""
EsitoSegnalazione = Literal["accolta", "parzialmente_accolta", "respinta"]

CANALI_SEGNALAZIONE: tuple[str, ...] = get_args(CanaleSegnalazione)
TIPI_SEGNALAZIONE: tuple[str, ...] = get_args(TipoSegnalazione)
STATI_SEGNALAZIONE: tuple[str, ...] = get_args(StatoSegnalazione)
PASSI_SEGNALAZIONE: tuple[str, ...] = get_args(PassoSegnalazione)
ESITI_SEGNALAZIONE: tuple[str, ...] = get_args(EsitoSegnalazione)
PRESENTATORI: tuple[str, ...] = get_args(PresentataDa)
