"""The `registro` command: the operators' contract (names and flags are kept stable).

Heavy imports (polars, SQLAlchemy, the models) sit inside the commands: `registro --help`
and every command's start-up must not pay for what it does not use."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from registro.errors import ErroreUtente
from registro.formato import intero
from servizio.cli.api import serve, token_app
from servizio.cli.comune import (
    apri_registro,
    err,
    errore_database,
    leggi_impostazioni,
    out,
    passo,
    schema_pronto,
    url_del_registro,
)
from servizio.cli.italiano import installa as aiuto_in_italiano
from servizio.cli.report import report_app
from servizio.cli.scheduler import scheduler_app
from servizio.cli.segnalazione import segnalazione_app
from servizio.cli.sito import site_app
from servizio.cli.utente import utente_app

if TYPE_CHECKING:
    import polars as pl

aiuto_in_italiano()

app = typer.Typer(help="Registro delle prestazioni specialistiche e dei ricoveri programmati.",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown")
catalogo_app = typer.Typer(help="Catalogo delle prestazioni.", no_args_is_help=True,
    rich_markup_mode="markdown")
sedi_app = typer.Typer(help="Anagrafica delle sedi di erogazione.", no_args_is_help=True,
    rich_markup_mode="markdown")
reparti_app = typer.Typer(help="Anagrafica dei reparti (ricoveri programmati).",
                          no_args_is_help=True,
    rich_markup_mode="markdown")
app.add_typer(catalogo_app, name="catalogo")
app.add_typer(sedi_app, name="sedi")
app.add_typer(reparti_app, name="reparti")


app.add_typer(token_app, name="token")
app.command()(serve)
app.add_typer(site_app, name="site")
app.add_typer(report_app, name="report")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(segnalazione_app, name="segnalazione")
app.add_typer(utente_app, name="utente")



class Formato(StrEnum):
    csv = "csv"
    json = "json"


class Lettura(StrEnum):
    ex_ante = "ex_ante"
    ex_post = "ex_post"


class Registro(StrEnum):
    prestazioni = "prestazioni"
    ricoveri = "ricoveri"


class Oggetto(StrEnum):
    superamento = "superamento"
    fuori_ordine = "fuori_ordine"


class NomeProfilo(StrEnum):
    carta1995 = "carta1995"
    pngla = "pngla"


@app.callback()
def _globali(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        help="Il registro: percorso di un file SQLite (demo/registro.db) o URL del database "
             "(sqlite:///… o postgresql+psycopg://…); predefinito: REGISTRO_DB_URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="File TOML delle impostazioni.")] = None,
) -> None:
    ctx.obj = {"db": url_del_registro(db) if db is not None else None, "config": config}


@app.command()
def init(ctx: typer.Context) -> None:
    """Crea o aggiorna lo schema del registro; al primo avvio carica il catalogo nazionale e
    registra l'impronta della chiave dei pseudonimi (generata, se manca, nella cartella dei
    dati)."""
    from cup.pseudonimi import chiave, file_chiave, impronta

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings, crea=True)
    with passo("migrazione dello schema"):
        schema_pronto(engine)
    key = chiave(settings, engine)
    out.print(f"registro pronto: {engine.url.render_as_string(hide_password=True)}")
    fonte = ("impostazione chiave_pseudonimi" if settings.chiave_pseudonimi
             else str(file_chiave(settings)))
    out.print(f"chiave dei pseudonimi: {fonte} (impronta {impronta(key)}): conservarne una "
              "copia con i backup, senza di essa i nuovi export non si possono caricare",
              highlight=False)


@catalogo_app.command("import")
def catalogo_import(ctx: typer.Context, file: Path) -> None:
    """Aggiunge o aggiorna prestazioni da un CSV `codice,descrizione,tipo,branca,tariffa`."""
    from cup.catalogo import importa_catalogo

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    esito = importa_catalogo(file, engine=engine, importo_massimo=settings.importo_massimo)
    out.print(f"catalogo: {esito.aggiunte} aggiunte, {esito.aggiornate} aggiornate, "
              f"{esito.invariate} invariate")


@sedi_app.command("import")
def sedi_import(ctx: typer.Context, file: Path) -> None:
    """Aggiunge o completa sedi da un CSV `codice,nome,comune,indirizzo`."""
    from cup.catalogo import importa_sedi

    engine = apri_registro(leggi_impostazioni(ctx))
    esito = importa_sedi(file, engine=engine)
    out.print(f"sedi: {esito.aggiunte} aggiunte, {esito.aggiornate} aggiornate, "
              f"{esito.invariate} invariate")


@reparti_app.command("import")
def reparti_import(ctx: typer.Context, file: Path) -> None:
    """Aggiunge o completa reparti da un CSV `codice,nome,presidio`."""
    from cup.catalogo import importa_reparti

    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    esito = importa_reparti(file, engine=engine)
    out.print(f"reparti: {esito.aggiunte} aggiunti, {esito.aggiornate} aggiornati, "
              f"{esito.invariate} invariati")


@app.command()
def motiva(
    ctx: typer.Context,
    testo: Annotated[str, typer.Option(help="La motivazione.")],
    ricovero: Annotated[str | None, typer.Option(help="id_ricovero.")] = None,
    prenotazione: Annotated[str | None, typer.Option(help="id_prenotazione.")] = None,
    autore: Annotated[str, typer.Option(help="Chi la registra.")] = "Direzione Sanitaria",
    oggetto: Annotated[Oggetto | None, typer.Option(
        help="superamento o fuori_ordine (predefinito: quello che serve).")] = None,
) -> None:
    """Registra la motivazione di un superamento o di un ricovero o una prenotazione fuori
    ordine (Carta §4.3, §5.1; una nuova
    motivazione sostituisce la precedente, che resta agli atti)."""
    from registro.db import session_scope
    from registro.motivazioni import registra

    if (ricovero is None) == (prenotazione is None):
        raise ErroreUtente("indicare uno e uno solo tra --ricovero e --prenotazione")
    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    registro, rif = ("ricoveri", ricovero) if ricovero else ("prestazioni", prenotazione)
    assert rif is not None
    with session_scope(engine) as session:
        m = registra(session=session, registro=registro, riferimento=rif, testo=testo,
                     autore=autore, oggetto=oggetto.value if oggetto else None)
    sostituisce = f" (sostituisce la n. {m.sostituisce_id})" if m.sostituisce_id else ""
    out.print(f"motivazione n. {m.id} registrata: {registro} {rif}, {m.oggetto}{sostituisce}")


@app.command()
def synth(
    rows: Annotated[int, typer.Option(help="Numero di prenotazioni.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seme (stesso seme, stesso file).")] = 1,
    out_file: Annotated[Path, typer.Option("--out", help="File CSV da scrivere.")] = Path(
        "cup_sintetico.csv"),
    anno: Annotated[int, typer.Option(help="Anno delle prenotazioni.")] = 2025,
) -> None:
    """Scrive un export CUP sintetico realistico (una ASL, un anno), deterministico."""
    from cup.synthetic import scrivi_csv

    if rows < 1:
        raise ErroreUtente("--rows deve essere almeno 1")
    with passo(f"generazione di {intero(rows)} prenotazioni"):
        path = scrivi_csv(out_file, rows=rows, seed=seed, anno=anno)
    out.print(f"{intero(rows)} prenotazioni scritte in {path}")


@app.command()
def ingest(
    ctx: typer.Context,
    file: Path,
    mapping: Annotated[Path | None, typer.Option(help="Mapping TOML delle colonne.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Riepilogo JSON su stdout.")] = False,
    registro: Annotated[Registro, typer.Option(
        help="prestazioni (export CUP) o ricoveri (lista dei ricoveri programmati).")
    ] = Registro.prestazioni,
) -> None:
    """Carica un export nel registro (righe non valide negli scarti, con il motivo)."""
    from cup.ingest import ingest as do_ingest

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    with passo(f"ingest di {file}"):
        esito = do_ingest(file, engine=engine, settings=settings, mapping=mapping,
                          registro=registro.value)
    if as_json:
        print(json.dumps(esito.as_dict(), ensure_ascii=False))
        return
    out.print(
        f"{esito.file}: {intero(esito.righe)} righe, {intero(esito.accettate)} accettate, "
        f"{intero(esito.scartate)} scartate ({intero(esito.nuove)} nuove, "
        f"{intero(esito.aggiornate)} aggiornate, "
        f"{intero(esito.invariate)} invariate, {intero(esito.obsolete)} obsolete, "
        f"{intero(esito.duplicate)} duplicate nel file); "
        f"{'reparti nuovi' if registro == Registro.ricoveri else 'sedi nuove'}: "
        f"{esito.sedi_nuove}")
    if esito.scartate:
        out.print(f"scarti: {esito.file_scarti}")


def _data(testo: str | None) -> date:
    if testo is None:
        return date.today()
    try:
        return date.fromisoformat(testo)
    except ValueError as exc:
        raise ErroreUtente(f"data non valida: {testo!r} (formato AAAA-MM-GG)") from exc


@app.command()
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Riepilogo JSON su stdout.")] = False,
    al: Annotated[str | None, typer.Option(
        help="Data di riferimento AAAA-MM-GG per le attese in corso, i termini e ciò che è "
             "avvenuto (predefinita: oggi); le sanzioni portano comunque la data odierna.")
    ] = None,
    completo: Annotated[bool, typer.Option(
        "--completo", help="Verifica completa di tutto il registro, anche quando basterebbe "
                           "ricalcolare le prenotazioni cambiate dall'ultima verifica.")
    ] = False,
) -> None:
    """Calcola attese, garanzia, standard e superamenti; emette bonum, malum, rimborsi e
    addebiti per referti non ritirati, datati al giorno dell'esecuzione (idempotente)."""
    from registro.check import check as do_check

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    from registro.esecuzioni import Attivita, esecuzione

    with passo("verifica delle prenotazioni"), esecuzione(engine, Attivita.CHECK) as run:
        esito = do_check(engine=engine, settings=settings, oggi=_data(al), completo=completo)
        run.dettaglio = json.dumps(esito.as_dict())
    if as_json:
        print(json.dumps(esito.as_dict()))
        return
    out.print(f"verifica incrementale: {intero(esito.ricalcolate)} prenotazioni ricalcolate"
              if esito.incrementale else "verifica completa")
    out.print(f"{intero(esito.prenotazioni)} prenotazioni verificate, "
              f"{intero(esito.in_garanzia)} in garanzia, {intero(esito.superamenti)} "
              f"superamenti; sanzioni: {intero(esito.sanzioni_emesse)} emesse, "
              f"{intero(esito.sanzioni_annullate)} annullate; {intero(esito.ricoveri)} ricoveri, "
              f"{intero(esito.superamenti_ricoveri)} oltre l'attesa massima, "
              f"{intero(esito.fuori_ordine)} fuori ordine")
    if esito.stato_non_aggiornato:
        out.print(f"{intero(esito.stato_non_aggiornato)} prenotazioni ancora «prenotata» dopo il "
                  "giorno dell'appuntamento: nessuna sanzione, da aggiornare dal CUP "
                  "(lista di monitoraggio stato_non_aggiornato)")
    if esito.prenotazioni_fuori_ordine:
        out.print(f"{intero(esito.prenotazioni_fuori_ordine)} prenotazioni hanno scavalcato "
                  "prenotazioni precedenti della stessa agenda (Carta §5.1; lista di "
                  "monitoraggio fuori_ordine_senza_motivazione)")


@app.command()
def stats(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="2026, 2026-H1, 2026-Q2 o 2026-05.")],
    formato: Annotated[Formato, typer.Option("--format", help="csv o json.")] = Formato.csv,
    out_file: Annotated[Path, typer.Option("--out", help="File da scrivere.")] = Path(
        "tempi_attesa.csv"),
    profilo: Annotated[NomeProfilo | None, typer.Option(
        help="Profilo degli standard (predefinito: l'impostazione).")] = None,
    lettura: Annotated[Lettura, typer.Option(help="ex_ante o ex_post.")] = Lettura.ex_ante,
    registro: Annotated[Registro, typer.Option(
        help="prestazioni (per prestazione e sede) o ricoveri (per reparto, patologia, "
             "classe).")] = Registro.prestazioni,
    da_ritorni: Annotated[list[Path] | None, typer.Option(
        "--da-ritorni", help="Cartelle (o file) di ritorni dell'Osservatorio di più aziende, "
                             "ripetibile: la tabella regionale, esatta, senza database.")
    ] = None,
) -> None:
    """Tabella dei tempi di attesa per prestazione e sede (e classe sotto pngla), o per
    reparto, patologia e classe con --registro ricoveri; con --da-ritorni, la tabella
    regionale dai ritorni dell'Osservatorio delle aziende (identica al calcolo sull'unione
    delle loro prenotazioni)."""
    from registro import colonnare
    from registro.periodo import Periodo
    from registro.standards import carica_profilo
    from reports.stats import COLONNE_LETTE, scrivi_tabella, tabella_prestazioni

    settings = leggi_impostazioni(ctx)
    periodo = Periodo.parse(period)
    if da_ritorni:
        _stats_da_ritorni(da_ritorni, periodo, profilo, lettura, registro, formato, out_file)
        return
    prof = carica_profilo(profilo.value if profilo else settings.profilo,
                          settings.standard_locali)
    engine = apri_registro(settings)
    schema_pronto(engine)
    from registro.esecuzioni import Attivita, esecuzione

    with passo("calcolo delle statistiche"), esecuzione(engine, Attivita.STATS, period):
        if registro == Registro.ricoveri:
            from registro.letture import leggi_ricoveri
            from registro.ordine import fuori_ordine
            from reports.stats_ricoveri import scrivi_tabella_ricoveri, tabella_ricoveri

            lista = leggi_ricoveri(engine).lazy()
            tabella = tabella_ricoveri(lista, profilo=prof, periodo=periodo,
                                       fuori_ordine=fuori_ordine(lista))
            path = scrivi_tabella_ricoveri(tabella, out_file, formato.value)
        else:
            prenotazioni = colonnare.prenotazioni(engine, settings, codici_categorici=True,
                                                  colonne=COLONNE_LETTE)
            tabella = tabella_prestazioni(prenotazioni, profilo=prof, periodo=periodo,
                                          lettura=lettura.value)
            path = scrivi_tabella(tabella, out_file, formato.value)
    out.print(f"{intero(tabella.height)} righe ({registro.value}, {prof.nome}) scritte in {path}")


def _stats_da_ritorni(cartelle: list[Path], periodo: Any, profilo: NomeProfilo | None,
                      lettura: Lettura, registro: Registro, formato: Formato,
                      out_file: Path) -> None:
    from registro.standards import carica_profilo
    from reports.fusione import fondi, leggi_ritorni, trova_ritorni
    from reports.stats import scrivi_tabella

    if registro != Registro.prestazioni:
        raise ErroreUtente("--da-ritorni vale per il registro prestazioni: i ritorni "
                           "dell'Osservatorio riguardano la specialistica")
    files = trova_ritorni(cartelle)
    with passo(f"fusione di {len(files)} ritorni"):
        righe = leggi_ritorni(files, periodo, lettura.value)
        nome = righe["profilo"][0]
        if profilo and profilo.value != nome:
            raise ErroreUtente(f"i ritorni sono calcolati con il profilo {nome}: "
                               f"--profilo {profilo.value} non si può applicare a posteriori")
        tabella = fondi(righe, profilo=carica_profilo(nome, None), periodo=periodo)
        path = scrivi_tabella(tabella, out_file, formato.value)
    enti = righe["ente"].n_unique()
    out.print(f"{intero(tabella.height)} righe (regionale, {enti} enti, {nome}) scritte in {path}")


@app.command()
def monitoring(
    ctx: typer.Context,
    formato: Annotated[Formato, typer.Option("--format", help="csv o json.")] = Formato.csv,
    out_file: Annotated[Path, typer.Option("--out", help="File da scrivere.")] = Path(
        "monitoraggio.csv"),
    al: Annotated[str | None, typer.Option(
        help="Data di riferimento AAAA-MM-GG (predefinita: oggi).")] = None,
    includi_motivati: Annotated[bool, typer.Option(
        help="Includi anche le voci già motivate (motivato=true), per verifica.")] = False,
) -> None:
    """La lista del Direttore Sanitario: superamenti e ricoveri fuori ordine senza
    motivazione, ricoveri in scadenza; i più urgenti per primi."""
    from registro.esecuzioni import Attivita, esecuzione
    from reports.monitoring import liste_una_per_volta, scrivi_liste

    settings = leggi_impostazioni(ctx)
    engine = apri_registro(settings)
    schema_pronto(engine)
    conteggi: dict[str, int] = {}

    def contate(liste: Iterator[tuple[str, pl.DataFrame]]) -> Iterator[pl.DataFrame]:
        # list by list into the file, none kept here once written (`scrivi_liste`): at 5 M
        # bookings the whole list (4.5 M entries) kept the command above 2 GiB
        for nome, lista in liste:
            conteggi[nome] = lista.height
            yield lista
            del lista

    with passo("lista di monitoraggio"), esecuzione(engine, Attivita.MONITORING) as run:
        path = scrivi_liste(contate(liste_una_per_volta(
            engine=engine, settings=settings, oggi=_data(al),
            includi_motivati=includi_motivati)), out_file, formato.value)
        totale = sum(conteggi.values())
        run.dettaglio = f"{totale} voci"
    dettaglio = ", ".join(f"{intero(n)} {nome}" for nome, n in sorted(conteggi.items()) if n)
    out.print(f"{intero(totale)} voci ({dettaglio or 'nessuna'}) scritte in {path}")


@app.command()
def sanzioni(
    ctx: typer.Context,
    formato: Annotated[Formato, typer.Option("--format", help="csv o json.")] = Formato.csv,
    out_file: Annotated[Path, typer.Option("--out", help="File da scrivere.")] = Path(
        "sanzioni.csv"),
) -> None:
    """Elenco di bonum, malum e rimborsi emessi (con il loro stato)."""
    from reports.registro_sanzioni import elenco_sanzioni, scrivi_sanzioni

    engine = apri_registro(leggi_impostazioni(ctx))
    schema_pronto(engine)
    df = elenco_sanzioni(engine)
    path = scrivi_sanzioni(df, out_file, formato.value)
    out.print(f"{intero(df.height)} record scritti in {path}")


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="File di backup da scrivere.")],
) -> None:
    """Copia coerente dell'intero registro (SQLite: API di backup; PostgreSQL: pg_dump),
    verificata dopo la scrittura: un registro danneggiato è segnalato e il backup non è
    scritto. La chiave dei pseudonimi non è nel backup: va conservata a parte."""
    from cup.pseudonimi import file_chiave
    from registro.backup import backup

    settings = leggi_impostazioni(ctx)
    # A backup is always possible, whatever key the command was run with: it does not use it.
    engine = apri_registro(settings, verifica=False)
    path = backup(engine, out_file)
    out.print(f"backup scritto in {path}")
    if not settings.chiave_pseudonimi:
        out.print(f"la chiave dei pseudonimi ({file_chiave(settings)}) non è nel backup: "
                  "conservarne una copia a parte, in un luogo protetto", highlight=False)


@app.command("restore")
def restore_cmd(ctx: typer.Context, file: Path) -> None:
    """Ripristina il registro da un backup, dopo averlo verificato (integrità, tabelle,
    versione dello schema); su SQLite il registro sostituito resta accanto come
    `*.prima-del-ripristino`. Il registro ripristinato richiede la sua chiave dei
    pseudonimi (l'impronta è stampata)."""
    from cup.pseudonimi import impronta_del_registro
    from registro.backup import restore

    engine = apri_registro(leggi_impostazioni(ctx), crea=True, verifica=False)
    precedente = restore(engine, file)
    out.print(f"registro ripristinato da {file}")
    registrata = impronta_del_registro(engine)
    if registrata is not None:
        out.print(f"il registro usa la chiave dei pseudonimi con impronta {registrata}: "
                  "ripristinarla nella cartella dei dati se non c'è già", highlight=False)
    if precedente is not None:
        out.print(f"il registro precedente è conservato in {precedente}")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Cartella della demo.")] = Path("demo"),
    rows: Annotated[int, typer.Option(help="Prenotazioni sintetiche.")] = 300_000,
    seed: Annotated[int, typer.Option(help="Seme.")] = 1,
) -> None:
    """Dimostrazione completa: dati sintetici di un anno di una ASL -> registro -> verifiche
    -> bonum/malum -> tabelle. Usa un database SQLite nella cartella indicata."""
    from servizio.demo import esegui_demo

    esegui_demo(out_dir, rows=rows, seed=seed, console=out, passo=passo)


def main() -> None:
    # What the register writes (data folder, backups, reports) is owner-only; the public
    # site sets its own modes (public_site.build).
    from registro import riservato

    riservato.applica_umask()
    # what start-up built (modules, classes) is never garbage: out of every later collection
    gc.freeze()
    try:
        app()
    except ErroreUtente as exc:
        err.print(f"[bold red]errore:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not errore_database(exc):
            raise
        dettaglio = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"[bold red]errore:[/] il database non ha completato l'operazione "
                  f"({dettaglio}); la transazione è stata annullata, nessun dato parziale è "
                  "stato scritto: rilanciare il comando", highlight=False, soft_wrap=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
