"""The web application: :func:`create_app` wires the routes to one engine, guards every request
(:class:`Guard`, rules in :mod:`core.api.security`), turns every error into the one JSON error
body, and serves the OpenAPI schema at ``/openapi.json`` (behind the token like the rest).

No Swagger UI: it loads its scripts from a CDN, and Wenku is offline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from core import paths
from core.api import openai_compat, routes
from core.api import schemas as s
from core.api.errors import ApiProblem, status_for
from core.api.jobs import ImportJobs
from core.api.security import ServeOptions, host_allowed, origin_allowed, token_matches
from core.api.streaming import wait_for_answers
from core.engine import Engine
from core.errors import WenkuError

log = logging.getLogger(__name__)

UNGUARDED_PATHS = frozenset({"/health"})


def create_app(engine: Engine, options: ServeOptions | None = None, *, uploads: Path | None = None) -> FastAPI:
    """The API over ``engine`` (the caller closes the engine after the server stops)."""
    options = options or ServeOptions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.wenku.jobs.shutdown()  # cancel imports, wait for the running one to stop
        left = wait_for_answers(30)  # cancelled as their connections closed; the engine closes next
        if left:
            log.warning("event=answers_still_running count=%d", left)

    app = FastAPI(title="Wenku local API", version=_version(), lifespan=lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None, description=(
                      "Answers from your own documents, offline, with page citations. Native endpoints under "
                      "/api; an OpenAI-compatible chat completion under /v1 (the model is a workspace)."))
    app.state.wenku = routes.Services(engine, ImportJobs(engine), options,
                                      uploads or paths.uploads_dir(engine.data_dir))
    app.include_router(routes.router)
    app.include_router(openai_compat.router)

    @app.get("/health", operation_id="health", tags=["service"], responses=routes.error_responses(403))
    def health() -> s.Health:
        """Liveness; the only endpoint that needs no token."""
        return s.Health(version=_version())

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    app.openapi = lambda: _openapi(app, options)  # type: ignore[method-assign]
    _install_error_handlers(app)
    app.add_middleware(Guard, options=options)
    if options.allowed_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(options.allowed_origins), allow_methods=["*"],
                           allow_headers=["*"])  # outermost: answers preflights before the Guard
    return app


class Guard:
    """ASGI middleware: Host (loopback servers), Origin, then the bearer token (see security.py)."""

    def __init__(self, app: ASGIApp, options: ServeOptions) -> None:
        self.app = app
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        problem: tuple[int, str, str] | None = None
        if not host_allowed(self.options, headers.get("host")):
            problem = (403, "HostNotAllowed", "this server answers only requests addressed to localhost")
        elif not origin_allowed(self.options, headers.get("origin")):
            problem = (403, "OriginNotAllowed", "requests from web pages are refused (wenku serve --allow-origin)")
        elif (self.options.token is not None and scope["path"] not in UNGUARDED_PATHS
              and not token_matches(self.options.token, headers.get("authorization"))):
            problem = (401, "Unauthorized", "a valid 'Authorization: Bearer <token>' header is required")
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, kind, message = problem
        log.info("event=request_refused status=%d type=%s path=%s", status, kind, scope["path"])
        response = _error_response(status, kind, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)


def _error_response(status: int, kind: str, message: str) -> JSONResponse:
    body = s.ErrorBody(error=s.ErrorDetail(message=message, type=kind, code=status))
    return JSONResponse(body.model_dump(), status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    async def problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiProblem)
        return _error_response(error.status, error.type_name, error.message)

    async def engine_error(request: Request, error: Exception) -> JSONResponse:
        status = status_for(error)
        if status >= 500:
            log.error("event=request_failed path=%s error=%s: %s", request.url.path, type(error).__name__, error)
        return _error_response(status, type(error).__name__, str(error))

    async def invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = jsonable_encoder(error.errors())
        details = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in problems)
        kind = problems[0].get("type") if problems else None
        content_type = request.headers.get("content-type", "")
        if content_type and "json" not in content_type and any(list(e.get("loc", ()))[:1] == ["body"] for e in problems):
            details += f" (the body must be JSON, sent with Content-Type: application/json, not {content_type})"
        return _error_response(400, kind if kind in s.NAMED_VALIDATION_ERRORS else "InvalidRequest",
                               details or "invalid request")

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        response = _error_response(error.status_code, _reason(error.status_code), str(error.detail))
        for key, value in (error.headers or {}).items():
            response.headers[key] = value
        if error.status_code == 405:  # every method of the path, not only those of the first route found
            response.headers["Allow"] = ", ".join(_methods(app, request.scope))
        return response

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("event=internal_error path=%s", request.url.path)
        return _error_response(500, "InternalError", f"internal error: {type(error).__name__} (details in the log)")

    app.add_exception_handler(ApiProblem, problem)
    app.add_exception_handler(WenkuError, engine_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _methods(app: FastAPI, scope: Scope) -> list[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    for route in app.router.routes:
        if route.matches({**scope, "method": "GET"})[0] != Match.NONE or route.matches(scope)[0] != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods - {"HEAD"})


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "HTTPError"


def _openapi(app: FastAPI, options: ServeOptions) -> dict[str, Any]:
    """FastAPI's schema, adjusted to what the server really does: invalid input is 400 (not 422),
    every operation may answer 403 (Host/Origin) and, with a token, 401; bearer auth is declared."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    error_ref = {"description": "error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if path not in UNGUARDED_PATHS:
                responses.setdefault("400", error_ref)
            responses.setdefault("403", error_ref)
            if options.token is not None and path not in UNGUARDED_PATHS:
                responses.setdefault("401", error_ref)
            if path in UNGUARDED_PATHS:
                operation["security"] = []
    components = schema.setdefault("components", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(unused, None)
    if options.token is not None:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def _version() -> str:
    try:
        return metadata.version("wenku")
    except metadata.PackageNotFoundError:
        return "0+unknown"
