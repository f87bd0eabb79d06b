"""Writes the bad-input corpus (run once; the files are committed; pseudonymous ids only).

The 10-MB single line is not committed: tests/integration/cup/test_bad_input.py makes it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supporto.prenotazioni import riga, scrivi_export

from cup.schema import CANONICHE

QUI = Path(__file__).parent
CF_NUMERICO = "12345678903"
"""An invented 11-digit codice fiscale (temporary codes are numeric)."""


def main() -> None:
    buono = scrivi_export(QUI / "_buono.tmp", [riga(f"B{i}") for i in range(4)])
    testo = buono.read_bytes()
    buono.unlink()
    (QUI / "troncato.csv").write_bytes(testo[: len(testo) - 40])
    (QUI / "binario.csv").write_bytes(bytes(range(256)) * 8)
    (QUI / "bom_utf8.csv").write_bytes(b"\xef\xbb\xbf" + testo)
    (QUI / "crlf.csv").write_bytes(testo.replace(b"\n", b"\r\n"))
    # Declared UTF-8 by its BOM, but the body is Windows-1252 (an accented site name).
    cp = scrivi_export(QUI / "_cp.tmp", [riga("E1", codice_sede="Città di Castello")],
                       encoding="cp1252")
    (QUI / "codifica_dichiarata_errata.csv").write_bytes(b"\xef\xbb\xbf" + cp.read_bytes())
    cp.unlink()
    righe = testo.decode().splitlines()
    misti = [righe[0], righe[1], righe[2].replace(",", ";"), righe[3]]
    (QUI / "separatori_misti.csv").write_text("\n".join(misti) + "\n", encoding="utf-8")
    scrivi_export(QUI / "virgolette_e_a_capo.csv", [
        riga("Q1", causale_annullamento='guasto "grave"\nall\'apparecchiatura',
             stato="annullata_ente", esito_annullamento="rinuncia"),
        riga("Q2", codice_sede='Sede, "centrale"')])
    scrivi_export(QUI / "formule.csv", [
        riga("F1", codice_sede='=HYPERLINK("http://x.invalid","clic")'),
        riga("F2", stato='=1+1'),
        riga("F3", causale_annullamento="@SUM(A1)", stato="annullata_ente")])
    scrivi_export(QUI / "duplicati.csv", [
        riga("D1", stato="prenotata"), riga("D2"), riga("D1", stato="erogata")])
    scrivi_export(QUI / "date_1900_2200.csv", [
        riga("T1", data_prenotazione="1900-01-02T10:00"),
        riga("T2", data_appuntamento="2200-01-01T10:00"),
        riga("T3")])
    scrivi_export(QUI / "codice_fiscale.csv", [
        riga("C1", id_assistito="RSSMRA80A01H501U"), riga("C2", id_assistito="VRDLGU75T12F205X")])
    # The same fictitious codes in the spellings that escaped pseudonymisation (issue 18):
    # with spaces, lower case, the 11-digit numeric form, in free text, rejected rows.
    scrivi_export(QUI / "codice_fiscale_spazi.csv", [
        riga("CS1", id_assistito="RSS MRA 80A01 H501U"),
        riga("CS2", id_assistito="VRD-LGU-75T12-F205X")])
    scrivi_export(QUI / "codice_fiscale_minuscolo.csv", [
        riga("CM1", id_assistito="rssmra80a01h501u"),
        riga("CM2", id_assistito="vrdlgu75t12f205x", stato="sbagliato")])
    scrivi_export(QUI / "codice_fiscale_numerico.csv", [
        riga("CN1", id_assistito=CF_NUMERICO), riga("CN2", id_assistito="A12345")])
    scrivi_export(QUI / "codice_fiscale_testo_libero.csv", [
        riga("CT1", stato="annullata_ente", esito_annullamento="rinuncia",
             causale_annullamento="richiesta di RSS MRA 80A01 H501U (tel. 12345678903)"),
        riga("CT2", stato="RSSMRA80A01H501U"),
        riga("CT3", data_appuntamento="vrdlgu75t12f205x")])
    (QUI / "codice_fiscale_json.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {**riga("CJ1"), "id_assistito": {"cf": "RSSMRA80A01H501U"}},
        {**riga("CJ2"), "id_assistito": '{"codice_fiscale": "vrd lgu 75t12 f205x"}'},
        {**riga("CJ3"), "causale_annullamento": ["nota", "RSSMRA80A01H501U"],
         "stato": "annullata_ente", "esito_annullamento": "rinuncia"},
    ]) + "\n", encoding="utf-8")
    scrivi_export(QUI / "importi.csv", [
        riga("M1", importo_ticket="-12.00"), riga("M2", importo_ticket="dodici"),
        riga("M3", quota_ordinaria="12,345"), riga("M4", importo_ticket="1.234,50")])
    # Amounts that once wrapped around Int64 cents (issue 18, item 2), and the ceiling's edge.
    scrivi_export(QUI / "importi_enormi.csv", [
        riga("G1", importo_ticket="92233720368547758", stato="non_presentato"),
        riga("G2", importo_ticket="184467440737095517"),
        riga("G3", importo_ticket="99999999999.99", stato="non_presentato"),
        riga("G4", quota_ordinaria="10000,01"),
        riga("G5", importo_ticket="10.000,00", quota_ordinaria="10000")])
    # A NUL byte past the first 64 KB, where the binary sniffing does not look (item 8).
    lunga = scrivi_export(QUI / "_lunga.tmp", [riga(f"N{i:04d}") for i in range(1000)])
    testo_lungo = lunga.read_bytes()
    lunga.unlink()
    assert len(testo_lungo) > 70_000
    a_capo = testo_lungo.index(b"\n", 70_000)
    (QUI / "nul_dopo_64k.csv").write_bytes(
        testo_lungo[:a_capo] + b"\x00" + testo_lungo[a_capo:])
    # Mappings with a wrong type or nested beyond the parser's recursion (item 8).
    (QUI / "mapping_colonne_testo.toml").write_text('colonne = "id"\n', encoding="utf-8")
    (QUI / "mapping_valori_numero.toml").write_text("[valori]\nstato = 1\n", encoding="utf-8")
    (QUI / "mapping_annidato.toml").write_text(
        "[costanti]\nstato = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (QUI / "solo_intestazione.csv").write_text(",".join(CANONICHE) + "\n", encoding="utf-8")
    (QUI / "vuoto.csv").write_bytes(b"")


if __name__ == "__main__":
    main()
