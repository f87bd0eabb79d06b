"""Who may do what in the console: roles are data, permissions are named, a page asks for a
permission (never for a role name). One table, changed here and nowhere else."""

from __future__ import annotations

RUOLI = ("direzione", "cup", "upt", "lettura")
"""Exactly the API's roles (`registro token create --ruolo`)."""

PERMESSI: dict[str, frozenset[str]] = {
    "direzione": frozenset({
        "leggere", "vedere_assistito", "motivare", "esportare", "leggere_impostazioni",
        "caricare", "cambiare_stato_sanzioni", "leggere_segnalazioni", "stampare_avvisi",
        "leggere_rapporti", "eseguire_rapporti",
    }),
    "cup": frozenset({"leggere", "vedere_assistito", "esportare", "leggere_impostazioni",
                      "caricare", "stampare_avvisi"}),
    "upt": frozenset({"leggere", "vedere_assistito", "esportare", "leggere_impostazioni",
                      "cambiare_stato_sanzioni", "gestire_segnalazioni",
                      "leggere_segnalazioni", "stampare_avvisi", "vedere_recapito"}),
    "lettura": frozenset({"leggere", "leggere_impostazioni"}),
}
"""`lettura` is consultation of the register, which needs no person: it never sees
`id_assistito` (as in the API). Only the Direzione records motivazioni (Carta §4.3: the
Direttore Sanitario answers for both registers). `stampare_avvisi`: the notice of a bonum or
malum carries the citizen's pseudonym, so it goes with `vedere_assistito` (the CUP prints
and posts it, adding the address).

`vedere_recapito` (the contact of a citizen who filed a segnalazione) is the UPT's alone, as
in the API (`/segnalazioni`: the Direzione reads the register without it): the office is
independent and writes to the citizen. The archive of periodic reports holds the Direzione's
internal pack, so `leggere_rapporti` and `eseguire_rapporti` are the Direzione's."""

TUTTI = frozenset().union(*PERMESSI.values())


def ha_permesso(ruolo: str, permesso: str) -> bool:
    """Whether `ruolo` holds `permesso`; an unknown permission name is a bug, not a denial."""
    if permesso not in TUTTI:
        raise ValueError(f"permesso sconosciuto: {permesso!r}")
    return permesso in PERMESSI.get(ruolo, frozenset())
