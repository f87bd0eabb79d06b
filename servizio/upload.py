"""Streaming multipart uploads, for the API's `POST /ingest` and the console's upload forms:
parts go to disk chunk by chunk as they arrive, and the request is refused (413) as soon as
the body passes the limit; nothing is held whole in memory. The caller owns the temporary
folder and removes it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from registro import riservato
from registro.errors import ErroreUtente, TroppoGrande

CAMPI_TESTO_MAX = 1024
"""Bytes allowed in a plain (non-file) form field."""


def nome_sicuro(nome: str | None, predefinito: str) -> str:
    """A file name safe to create: the last path component, odd characters replaced."""
    base = re.split(r"[\\/]", nome or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:120]
    return base or predefinito


@dataclass
class Modulo:
    """What a multipart body carried: text fields and files saved under `cartella`."""

    campi: dict[str, str] = field(default_factory=dict)
    file: dict[str, Path] = field(default_factory=dict)
    nomi: dict[str, str] = field(default_factory=dict)
    """Original (sanitised) file name of each file part."""


class _Ricevitore:
    """python-multipart callbacks writing file parts to disk."""

    def __init__(self, cartella: Path, campi_file: set[str], campi_testo: set[str]) -> None:
        self.cartella = cartella
        self.campi_file = campi_file
        self.campi_testo = campi_testo
        self.modulo = Modulo()
        self._header_nome = b""
        self._header_valore = b""
        self._headers: dict[bytes, bytes] = {}
        self._nome = ""
        self._fh: IO[bytes] | None = None
        self._testo = bytearray()
        self.errore: ErroreUtente | None = None

    def _fallisci(self, msg: str) -> None:
        if self.errore is None:
            self.errore = ErroreUtente(msg)

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin, "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data, "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}
        self._nome = ""
        self._testo = bytearray()
        self._fh = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_nome += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_valore += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_nome.lower()] = self._header_valore
        self._header_nome, self._header_valore = b"", b""

    def on_headers_finished(self) -> None:
        _tipo, opzioni = parse_options_header(self._headers.get(b"content-disposition", b""))
        nome = opzioni.get(b"name", b"").decode("utf-8", "replace")
        self._nome = nome
        if self.errore is not None:
            return
        if nome in self.modulo.campi or nome in self.modulo.file:
            self._fallisci(f"campo ripetuto nel modulo: {nome!r}")
        elif nome in self.campi_file:
            filename = opzioni.get(b"filename")
            predefinito = "mapping.toml" if nome == "mapping" else "upload.csv"
            nome_file = nome_sicuro(filename.decode("utf-8", "replace") if filename else None,
                                    predefinito)
            cartella = riservato.cartella(self.cartella / nome)
            path = cartella / nome_file
            self.modulo.file[nome] = path
            self.modulo.nomi[nome] = nome_file
            # the raw export, codici fiscali in clear: 0600 in a 0700 folder
            self._fh = riservato.apri_privato(path)  # closed in on_part_end/chiudi
        elif nome not in self.campi_testo:
            ammessi = ", ".join(sorted(self.campi_file | self.campi_testo))
            self._fallisci(f"campo sconosciuto nel modulo: {nome!r} (ammessi: {ammessi})")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._fh is not None:
            self._fh.write(data[start:end])
        elif self._nome in self.campi_testo and self.errore is None:
            self._testo += data[start:end]
            if len(self._testo) > CAMPI_TESTO_MAX:
                self._fallisci(f"il campo {self._nome!r} è troppo lungo")

    def on_part_end(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        elif self._nome in self.campi_testo and self.errore is None:
            try:
                self.modulo.campi[self._nome] = bytes(self._testo).decode("utf-8")
            except UnicodeDecodeError:
                self._fallisci(f"il campo {self._nome!r} non è testo UTF-8")

    def chiudi(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


async def ricevi_modulo(stream: AsyncIterator[bytes], content_type: str | None,
                        cartella: Path, limite: int, *, campi_file: set[str],
                        campi_testo: set[str]) -> Modulo:
    """Parse a multipart body from `stream`, writing file parts under `cartella`.

    Raises TroppoGrande as soon as more than `limite` bytes have arrived, and ErroreUtente
    for a body that is not multipart/form-data or cannot be parsed."""
    tipo, opzioni = parse_options_header(content_type or "")
    boundary = opzioni.get(b"boundary")
    if tipo != b"multipart/form-data" or not boundary:
        raise ErroreUtente("serve un modulo multipart/form-data con il campo `file`")
    ricevitore = _Ricevitore(cartella, campi_file, campi_testo)
    parser = MultipartParser(boundary, ricevitore.callbacks())  # type: ignore[arg-type]
    ricevuti = 0
    try:
        async for chunk in stream:
            ricevuti += len(chunk)
            if ricevuti > limite:
                raise TroppoGrande(f"il file supera il limite di {limite // (1024 * 1024)} MB "
                                   "(impostazione api_max_upload_mb)")
            if chunk:
                parser.write(chunk)
            if ricevitore.errore is not None:
                raise ricevitore.errore
        parser.finalize()
    except MultipartParseError as exc:
        raise ErroreUtente(f"modulo multipart non valido: {exc}") from exc
    finally:
        ricevitore.chiudi()
    if ricevitore.errore is not None:
        raise ricevitore.errore
    return ricevitore.modulo
