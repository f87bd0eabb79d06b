"""`/docs`: Swagger UI served from local files (the npm package `swagger-ui-dist`), never a CDN.

The API runs inside the health authority's network, often with no way out to the Internet:
FastAPI's default page loads its script and style from a CDN and stays blank there. The files
come from `public_site/node_modules` (pinned by `package-lock.json`, installed by
`make setup`), like Bootstrap Italia for the public site."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from public_site.statici import SWAGGER_UI

RISORSE = "/docs/risorse"

PARAMETRI = {
    # No badge fetched from validator.swagger.io, no external link followed by default.
    "validatorUrl": None,
    "defaultModelsExpandDepth": 0,
    "docExpansion": "list",
    "persistAuthorization": False,
}


def installa(app: FastAPI) -> None:
    """Mount the Swagger UI files and the `/docs` page on an app built with `docs_url=None`."""
    app.mount(RISORSE, StaticFiles(directory=SWAGGER_UI, check_dir=False),
              name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def documentazione() -> HTMLResponse:
        if not (SWAGGER_UI / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(
                "<!doctype html><html lang=\"it\"><title>Documentazione non disponibile</title>"
                "<p>Swagger UI non è installato: eseguire <code>make setup</code> (npm ci in "
                "public_site). Lo schema è comunque su <a href=\"/openapi.json\">"
                "/openapi.json</a>.</p></html>", status_code=503)
        pagina = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — documentazione",
            swagger_js_url=f"{RISORSE}/swagger-ui-bundle.js",
            swagger_css_url=f"{RISORSE}/swagger-ui.css",
            swagger_favicon_url=f"{RISORSE}/favicon-32x32.png",
            swagger_ui_parameters=PARAMETRI)
        testo = bytes(pagina.body).decode("utf-8")
        return HTMLResponse(testo.replace("<html>", '<html lang="it">', 1))

