"""`registro segnalazione nuova|passo|elenco|stampa` (registered by servizio.cli.principale).

The operator at the CLI has the database in hand; still, nothing printed here carries the
citizen's contact except the documents `stampa` writes, which are addressed to the citizen.
Every write leaves an audit row (role `cli`), like the token commands.

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from registro.errors import ErroreUtente
from registro.formato import intero
from servizio.cli.comune import apri_registro, leggi_impostazioni, operatore, schema_pronto

segnalazione_app = typer.Typer(
    help="Pubblica tutela: segnalazioni e reclami dei cittadini, con i termini del "
         "Regolamento di Pubblica Tutela.", no_args_is_help=True,
    rich_markup_mode="markdown")


class Canale(StrEnum):
    lettera = "lettera"
    modulo = "modulo"
    telefono = "telefono"
    fax = "fax"
    colloquio = "colloquio"
    email = "email"


class Tipo(StrEnum):
    disfunzione = "disfunzione"
    suggerimento = "suggerimento"
    reclamo = "reclamo"


class Passo(StrEnum):
    risolta = "risolta"
    trasmessa = "trasmessa"
    servizi_informati = "servizi_informati"
    informazioni_ricevute = "informazioni_ricevute"
    risposta_inviata = "risposta_inviata"
    riesame = "riesame"
    riesame_concluso = "riesame_concluso"
    commissione = "commissione"
    commissione_conclusa = "commissione_conclusa"


class Presentatore(StrEnum):
    utente = "utente"
    parente = "parente"
    associazione = "associazione"
    d_ufficio = "d_ufficio"


class Esito(StrEnum):
    accolta = "accolta"
    parzialmente_accolta = "parzialmente_accolta"
    respinta = "respinta"


class Documento(StrEnum):
    lettera = "lettera"
    scheda = "scheda"


class Formato(StrEnum):
    csv = "csv"
    json = "json"


def _data(testo: str | None, opzione: str) -> date | None:
    if testo is None:
        return None
    try:
        return date.fromisoformat(testo)
    except ValueError as exc:
        raise ErroreUtente(f"{opzione}: data non valida {testo!r} (formato AAAA-MM-GG)"
                           ) from exc


def _contesto(ctx: typer.Context) -> tuple[Any, Any]:

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    return settings, engine


def _autore(autore: str | None, azione: str) -> Any:
    from registro.tutela.service import Autore

    return Autore(nome=(autore or "").strip() or operatore(), ruolo="cli", azione=azione)


def _termini_aperti(s: Any, termini: Any, oggi: date) -> str:
    from registro.tutela import regole

    aperti = [x for x in regole.scadenze(s.model_dump(), termini) if x.fatto_il is None]
    return "; ".join(f"{x.termine} entro il {x.scade_il.isoformat()}"
                     + (" (SCADUTO)" if x.in_ritardo(oggi) else "") for x in aperti)


@segnalazione_app.command("nuova")
def nuova(
    ctx: typer.Context,
    canale: Annotated[Canale, typer.Option(help="lettera, modulo, telefono, fax, colloquio "
                                                "o email.")],
    tipo: Annotated[Tipo, typer.Option(help="disfunzione, suggerimento o reclamo.")],
    oggetto: Annotated[str, typer.Option(help="Oggetto della segnalazione (senza dati del "
                                              "cittadino: quelli vanno nel recapito).")],
    ricevuta_il: Annotated[str | None, typer.Option(
        help="Data di ricevimento AAAA-MM-GG (predefinita: oggi).")] = None,
    ricevuta_da: Annotated[str | None, typer.Option(
        help="Chi l'ha ricevuta (predefinito: --autore).")] = None,
    data_conoscenza: Annotated[str | None, typer.Option(
        help="Quando il cittadino ha saputo del fatto (art. 3: 15 giorni).")] = None,
    servizio: Annotated[str | None, typer.Option(help="Servizio interessato.")] = None,
    prenotazione: Annotated[str | None, typer.Option(help="id_prenotazione collegata.")
                            ] = None,
    ricovero: Annotated[str | None, typer.Option(help="id_ricovero collegato.")] = None,
    sanzione: Annotated[int | None, typer.Option(
        help="Numero della sanzione contestata (la segnalazione è un reclamo).")] = None,
    nota: Annotated[str | None, typer.Option(help="Nota sul ricevimento.")] = None,
    nome: Annotated[str | None, typer.Option(help="Recapito: nome e cognome.")] = None,
    indirizzo: Annotated[str | None, typer.Option(help="Recapito: indirizzo.")] = None,
    telefono: Annotated[str | None, typer.Option(help="Recapito: telefono.")] = None,
    email: Annotated[str | None, typer.Option(help="Recapito: posta elettronica.")] = None,
    autore: Annotated[str | None, typer.Option(help="Chi la registra.")] = None,
    presentata_da: Annotated[Presentatore, typer.Option(
        help="utente, parente, associazione (art. 1) o d_ufficio.")] = Presentatore.utente,
    urgente: Annotated[bool, typer.Option(
        "--urgente", help="Urgente (art. 4): termine di trasmissione ridotto.")] = False,
) -> None:
    """Registra una segnalazione ricevuta. Il recapito del cittadino è conservato a parte e
    non viene mai stampato qui."""
    from registro.db import transazione
    from registro.tutela import regole, service

    settings, engine = _contesto(ctx)
    oggi = date.today()
    chi = _autore(autore, "segnalazione nuova")
    with transazione(engine) as session:
        s = service.crea(
            session=session, autore=chi, oggi=oggi, canale=canale.value, tipo=tipo.value,
            oggetto=oggetto, ricevuta_il=_data(ricevuta_il, "--ricevuta-il") or oggi,
            ricevuta_da=ricevuta_da or chi.nome,
            data_conoscenza=_data(data_conoscenza, "--data-conoscenza"), servizio=servizio,
            id_prenotazione=prenotazione, id_ricovero=ricovero, id_sanzione=sanzione,
            nota=nota, contatto=service.Contatto(nome=nome, indirizzo=indirizzo,
                                                 telefono=telefono, email=email),
            presentata_da=presentata_da.value, urgente=urgente)
    termini = regole.Termini.da_impostazioni(settings)
    righe = [f"segnalazione n. {s.id} registrata: {s.tipo}, {s.canale}, ricevuta il "
             f"{s.ricevuta_il.isoformat()}, presentata da: {s.presentata_da}"
             + (", urgente" if s.urgente else "")]
    if regole.tardiva(s.model_dump(), termini):
        righe.append(f"  presentata oltre i {termini.ritardo_segnalazione} giorni dalla "
                     "conoscenza del fatto (art. 3): registrata e segnalata come tardiva")
    if s.id_sanzione is not None:
        righe.append(f"  sanzione n. {s.id_sanzione} "
                     + ("contestata" if s.contesta_sanzione
                        else "non sospesa (il suo stato non lo consente)"))
    righe.append(f"  termini ({termini.unita}): {_termini_aperti(s, termini, oggi)}")
    typer.echo("\n".join(righe))


@segnalazione_app.command("passo")
def passo(
    ctx: typer.Context,
    numero: Annotated[int, typer.Argument(help="Numero della segnalazione.")],
    passo: Annotated[Passo, typer.Argument(
        help="risolta, trasmessa, servizi_informati, informazioni_ricevute, "
             "risposta_inviata, riesame o riesame_concluso.")],
    data: Annotated[str | None, typer.Option(help="Quando AAAA-MM-GG (predefinita: oggi).")
                    ] = None,
    esito: Annotated[Esito | None, typer.Option(
        help="accolta, parzialmente_accolta o respinta (risolta, risposta_inviata, "
             "riesame_concluso).")] = None,
    nota: Annotated[str | None, typer.Option(help="Nota; per la risposta, il testo della "
                                                  "lettera.")] = None,
    autore: Annotated[str | None, typer.Option(help="Chi lo registra.")] = None,
) -> None:
    """Registra il passo successivo della procedura (fuori sequenza: errore)."""
    from registro.db import transazione
    from registro.tutela import regole, service

    settings, engine = _contesto(ctx)
    oggi = date.today()
    with transazione(engine) as session:
        prima, s, riga = service.registra_passo(
            session=session, autore=_autore(autore, f"segnalazione passo {numero}"),
            oggi=oggi, id_segnalazione=numero, passo=passo.value,
            data=_data(data, "--data"), esito=esito.value if esito else None, nota=nota)
    termini = regole.Termini.da_impostazioni(settings)
    esito_testo = f", esito {s.esito_riesame if passo == Passo.riesame_concluso else s.esito}" \
        if passo.value in regole.CON_ESITO else ""
    righe = [f"segnalazione n. {s.id}: {prima['stato']} → {s.stato} il "
             f"{getattr(s, regole.COLONNA_DATA[s.stato]).isoformat()}{esito_testo}"]
    aperti = _termini_aperti(s, termini, oggi)
    if aperti:
        righe.append(f"  termini ({termini.unita}): {aperti}")
    if riga.sanzione_stato:
        righe.append(f"  sanzione n. {s.id_sanzione}: {riga.sanzione_stato}")
    typer.echo("\n".join(righe))


@segnalazione_app.command("elenco")
def elenco(
    ctx: typer.Context,
    formato: Annotated[Formato, typer.Option("--format", help="csv o json.")] = Formato.csv,
    out_file: Annotated[Path, typer.Option("--out", help="File da scrivere.")] = Path(
        "segnalazioni.csv"),
    stato: Annotated[str | None, typer.Option(help="Solo in questo stato.")] = None,
    in_ritardo: Annotated[bool, typer.Option(
        "--in-ritardo", help="Solo quelle con un termine scaduto.")] = False,
    al: Annotated[str | None, typer.Option(
        help="Data di riferimento AAAA-MM-GG per i termini (predefinita: oggi).")] = None,
) -> None:
    """Il registro delle segnalazioni, senza recapiti: stato, esito, date dei passi, termini
    scaduti a oggi (o alla data --al)."""
    from registro.csvsafe import scrivi_csv, scrivi_json
    from registro.db import session_scope
    from registro.tutela import regole, service
    from registro.types import STATI_SEGNALAZIONE

    if stato is not None and stato not in STATI_SEGNALAZIONE:
        raise ErroreUtente(f"stato sconosciuto: {stato!r} "
                           f"(ammessi: {', '.join(STATI_SEGNALAZIONE)})")
    settings, engine = _contesto(ctx)
    oggi = _data(al, "--al") or date.today()
    termini = regole.Termini.da_impostazioni(settings)
    with session_scope(engine) as session:
        _, tutte = service.elenco(session=session, termini=termini, oggi=oggi, stato=stato,
                                  in_ritardo=True if in_ritardo else None, per_pagina=10**9)
    df = service.tabella_elenco(tutte, termini=termini, oggi=oggi)
    path = (scrivi_csv(df, out_file) if formato == Formato.csv
            else scrivi_json(df, out_file))
    n_ritardo = int(df["in_ritardo"].str.len_chars().gt(0).sum()) if df.height else 0
    typer.echo(f"{intero(df.height)} segnalazioni ({intero(n_ritardo)} con termini scaduti al "
               f"{oggi.isoformat()}) scritte in {path}")


@segnalazione_app.command("stampa")
def stampa(
    ctx: typer.Context,
    numero: Annotated[int, typer.Argument(help="Numero della segnalazione.")],
    documento: Annotated[Documento, typer.Option(
        help="lettera (di risposta, dopo risolta o risposta_inviata) o scheda "
             "(Allegato 2).")] = Documento.scheda,
    out: Annotated[Path, typer.Option(help="Cartella dove scrivere HTML e PDF.")] = Path("."),
) -> None:
    """Stampa la lettera di risposta o la scheda della segnalazione (HTML e PDF). Sono
    indirizzate al cittadino e ne contengono il recapito: documenti dell'ufficio."""
    from registro.db import session_scope
    from reports import documenti_tutela as documenti

    settings, engine = _contesto(ctx)
    with session_scope(engine) as session:
        scritti = documenti.scrivi(session=session, id_segnalazione=numero,
                                   documento=documento.value, settings=settings,
                                   oggi=date.today(), cartella=out)
    typer.echo(" ".join(str(p) for p in scritti))
