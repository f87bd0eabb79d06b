"""Typed page contexts: for each page type, its template and exactly what that template reads.

One frozen dataclass per page type (STYLE 11), with the template it fills as a class
constant, so a page can only be rendered with the fields its template expects and a typo
in a generator is a type error, not a blank cell on a public page. The rows of the
published tables stay dictionaries (`Riga`): their columns are declared once, in
`public_site.dati` (`COLONNE_*`), and a row is shown as it was published.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar, TypedDict

from public_site.grafici import Grafico

Riga = dict[str, Any]
"""One row of a published table (`dati.COLONNE_*`), plus its links and its band
(`conformita`)."""


class VocePrestazione(TypedDict):
    """A service of the catalog, with its page and the label of its type."""

    codice: str
    descrizione: str
    tipo: str
    branca: str
    tariffa_cent: int | None
    href: str
    tipo_etichetta: str


class Sede(TypedDict):
    codice: str
    nome: str
    comune: str | None
    indirizzo: str | None
    href: str


class Reparto(TypedDict):
    codice: str
    nome: str
    presidio: str | None
    href: str


Branche = list[tuple[str, list[VocePrestazione]]]
"""The catalog grouped by branch, in reading order."""


@dataclass(frozen=True)
class Sito:
    """What every page shows in its header and footer."""

    ente: str
    data_dati: str
    data_dati_iso: str
    periodo: str
    profilo: str
    """The target profile in words (`formato.nome_profilo`), never its setting key."""
    soglia: int
    generato_il: str
    """When the build ran (date and time), not the date of the data."""
    accessibilita: str | None
    """The authority's own accessibility statement; unset: the site's generated page."""
    privacy: str | None
    note_legali: str | None


@dataclass(frozen=True)
class RegolaDescritta:
    descrizione: str
    giorni: int


@dataclass(frozen=True)
class ContattiUpt:
    """The Ufficio di Pubblica Tutela, where a citizen turns when a target is missed."""

    telefono: str | None
    email: str | None
    indirizzo: str | None
    orari: str | None


@dataclass(frozen=True)
class ContattiCup:
    """The CUP's booking line: where a citizen asks for a date within the target."""

    telefono: str | None
    orari: str | None


@dataclass(frozen=True)
class Risorsa:
    """One open-data table: its Frictionless resource and the two files of the page."""

    name: str
    title: str
    path: str
    schema: dict[str, Any]
    righe: int
    csv: str
    json: str
    format: str = "csv"
    mediatype: str = "text/csv"
    encoding: str = "utf-8"

    def descrittore(self) -> dict[str, Any]:
        """The resource as `datapackage.json` lists it (Frictionless keys, in this order)."""
        return {"name": self.name, "title": self.title, "path": self.path,
                "format": self.format, "mediatype": self.mediatype,
                "encoding": self.encoding, "schema": self.schema}


@dataclass(frozen=True)
class ContestoHome:
    TEMPLATE: ClassVar[str] = "home.html"
    branche: Branche


@dataclass(frozen=True)
class ContestoIndice:
    TEMPLATE: ClassVar[str] = "indice.html"
    branche: Branche


@dataclass(frozen=True)
class ContestoElencoSedi:
    TEMPLATE: ClassVar[str] = "elenco_sedi.html"
    sedi: list[Sede]


@dataclass(frozen=True)
class ContestoElencoReparti:
    TEMPLATE: ClassVar[str] = "elenco_reparti.html"
    reparti: list[Reparto]


@dataclass(frozen=True)
class ContestoDiritti:
    TEMPLATE: ClassVar[str] = "diritti.html"
    regole: list[RegolaDescritta]
    regole_ricoveri: list[RegolaDescritta]
    fuori_garanzia: list[str]
    bonum: str
    malum: str
    regime: str
    carta: bool
    """The targets are the Carta's (else the national plan's)."""
    preavviso_ore: int
    causali_esenti: list[str]
    """In words (`formato.causale`), never the setting's keys."""
    periodiche_fuori_garanzia: bool
    termine_ritiro_referto_giorni: int
    upt: ContattiUpt
    cup: ContattiCup


@dataclass(frozen=True)
class ContestoAccessibilita:
    """The accessibility statement (AgID model), generated when the authority links none."""

    TEMPLATE: ClassVar[str] = "accessibilita.html"
    stato: str
    verificata_il: str | None
    email: str | None


@dataclass(frozen=True)
class ContestoMetodologia:
    TEMPLATE: ClassVar[str] = "metodologia.html"
    in_linea: str
    parziale: str
    per_classe: bool


@dataclass(frozen=True)
class ContestoStampa:
    """The printable register: services by branch (every service of the catalog, each
    site that delivers it), then the planned admissions by ward."""

    TEMPLATE: ClassVar[str] = "stampa.html"
    branche: list[tuple[str, list[Riga]]]
    per_classe: bool
    ricoveri: list[tuple[Reparto, list[Riga]]]
    ticket_massimo: Decimal
    quota_fissa: Decimal | None
    """The region's fixed quota per prescription; None: there is none, nothing is shown."""


@dataclass(frozen=True)
class ContestoAvvertenze:
    """The warnings every booking sheet carries (Carta §5.3, §5.6), printable for the CUP
    counters, with the amounts and the notice of the settings."""

    TEMPLATE: ClassVar[str] = "avvertenze.html"
    regime: str
    bonum: str
    malum: str
    preavviso_ore: int
    termine_ritiro_referto_giorni: int
    cup: ContattiCup


@dataclass(frozen=True)
class ContestoPrestazione:
    TEMPLATE: ClassVar[str] = "prestazione.html"
    p: VocePrestazione
    tariffa: Decimal | None
    ticket: Decimal | None
    """The tariff up to `ticket_massimo` (registro.importi); None without a tariff."""
    ticket_massimo: Decimal
    quota_fissa: Decimal | None
    standard: list[tuple[str, int | None]]
    """(priority-class label, target in days): one pair, or one per class."""
    righe: list[Riga]
    migliore: Riga | None
    """The site with the highest share within target, for the advice line."""
    alternativa: Riga | None
    grafico: Grafico | None
    andamento: list[Riga]
    per_classe: bool


@dataclass(frozen=True)
class ContestoSede:
    TEMPLATE: ClassVar[str] = "sede.html"
    sede: Sede
    righe: list[Riga]
    """Every service the site delivers, with or without bookings in the period."""
    reparti: list[Reparto]
    per_classe: bool
    ticket_massimo: Decimal
    quota_fissa: Decimal | None


@dataclass(frozen=True)
class ContestoReparto:
    TEMPLATE: ClassVar[str] = "reparto.html"
    reparto: Reparto
    presidio: Sede | None
    righe: list[Riga]


@dataclass(frozen=True)
class ContestoOpenData:
    TEMPLATE: ClassVar[str] = "open_data.html"
    risorse: list[Risorsa]


ContestoPagina = (ContestoHome | ContestoIndice | ContestoElencoSedi | ContestoElencoReparti
                  | ContestoDiritti | ContestoAvvertenze | ContestoAccessibilita
                  | ContestoMetodologia | ContestoStampa
                  | ContestoPrestazione | ContestoSede | ContestoReparto | ContestoOpenData)


@dataclass(frozen=True)
class Pagina:
    """One page of the site: where it goes, its title, and its typed context."""

    percorso: str
    titolo: str
    contesto: ContestoPagina

    @property
    def template(self) -> str:
        return self.contesto.TEMPLATE


def variabili(contesto: ContestoPagina) -> dict[str, Any]:
    """The context's fields as the template's variables (shallow: rows and charts are passed
    as they are, not copied into dictionaries)."""
    return {f.name: getattr(contesto, f.name) for f in fields(contesto)}
