"""Shared dependencies: settings, engine, sessions, and the bearer-token roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from registro.settings import Settings
from servizio.api import service

_bearer = HTTPBearer(auto_error=False, description="Token personale: `Authorization: Bearer "
                                                   "<token>` (registro token create).")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@dataclass(frozen=True)
class Utente:
    nome: str
    ruolo: str


SessionDep = Annotated[Session, Depends(get_session)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def richiede(*ruoli: str) -> Callable[..., Utente]:
    """A dependency admitting a live token whose role is in `ruoli` (401 without a valid
    token, 403 with the wrong role). `direzione` is always admitted."""
    ammessi = {"direzione", *ruoli}

    def dipendenza(
        engine: EngineDep,
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Utente:
        if cred is None or cred.scheme.lower() != "bearer" or not cred.credentials:
            raise HTTPException(401, "serve un token: intestazione "
                                     "`Authorization: Bearer <token>`",
                                headers={"WWW-Authenticate": "Bearer"})
        with Session(engine) as session:
            u = service.utente_da_token(session=session, token=cred.credentials)
        if u is None:
            raise HTTPException(401, "token non valido o revocato",
                                headers={"WWW-Authenticate": "Bearer"})
        if u.ruolo not in ammessi:
            raise HTTPException(403, f"il ruolo {u.ruolo!r} non consente questa operazione "
                                     f"(serve: {', '.join(sorted(ammessi))})")
        return Utente(nome=u.nome, ruolo=u.ruolo)

    return dipendenza


LETTURA = richiede("cup", "upt", "lettura")
Lettore = Annotated[Utente, Depends(LETTURA)]


VEDONO_ASSISTITO = frozenset({"direzione", "upt", "cup"})
"""Roles that see `id_assistito`: the Direzione, the UPT (it matches a complaint to the
bookings of the citizen) and the CUP (its own id). `lettura` is consultation of the
register, which needs no person: it gets the field null (the key stays, the schema too)."""


def oscura_assistito(dati: Any, utente: Utente) -> Any:
    """`dati` (dicts and lists, as the service builds them) with every `id_assistito` set
    to null unless the role may see it."""
    if utente.ruolo in VEDONO_ASSISTITO:
        return dati
    if isinstance(dati, dict):
        return {k: None if k == "id_assistito" else oscura_assistito(v, utente)
                for k, v in dati.items()}
    if isinstance(dati, list):
        return [oscura_assistito(v, utente) for v in dati]
    return dati
