"""The one place where domain errors become HTTP responses; no stack traces leave the process."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tierzero.errors import TierZeroError

log = logging.getLogger("tierzero.api")


def _body(error: str, detail: object, data: object = None) -> dict[str, object]:
    body: dict[str, object] = {"error": error, "detail": detail}
    if data is not None:
        body["data"] = data
    return body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TierZeroError)
    async def _domain(_: Request, exc: TierZeroError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            _body(type(exc).__name__, exc.message, getattr(exc, "data", None)),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # the shape the OpenAPI schema declares for 422 (FastAPI's HTTPValidationError:
        # loc, msg and type), plus our "error" name; never the rejected input itself
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""),
             "type": e.get("type", "value_error")}
            for e in exc.errors()
        ]  # fmt: skip
        return JSONResponse(_body("ValidationError", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = "PayloadTooLarge" if exc.status_code == 413 else "HTTPError"
        return JSONResponse(
            _body(name, exc.detail), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        """Two changes crossed in the database (a PostgreSQL deadlock or serialisation failure,
        SQLite's lock timeout): nothing was written; the client may simply try again."""
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in ("40P01", "40001") or "database is locked" in str(exc.orig):
            log.warning("conflicting database change on %s %s: %s", request.method,
                        request.url.path, exc.orig)  # fmt: skip
            return JSONResponse(
                _body("Conflict", "another change to the same data happened at the same moment; "
                      "nothing was saved, try again"),
                status_code=409,
            )  # fmt: skip
        log.exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("ServiceUnavailable", "the database is not available"), 503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("InternalError", "internal server error"), status_code=500)
