"""The one place where domain errors become HTTP responses; no stack traces leave the process."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tierzero.errors import TierZeroError

log = logging.getLogger("tierzero.api")


class Problem(BaseModel):
    """The body of every refusal but a 422: the error's name (``TicketNotFound``,
    ``PayloadTooLarge``…) and what went wrong in words; some conflicts carry the fresh state."""

    error: str
    detail: str
    data: Any = None


#: What each refusal means, whichever route answers it (a 422 is FastAPI's own declaration:
#: a list of problems with ``loc``, ``msg`` and ``type``).
REFUSALS: dict[int, str] = {
    400: "The input breaks a rule the schema cannot express; `detail` says which.",
    401: "No valid token (missing, expired, revoked or of the wrong kind), or wrong credentials.",
    403: "The caller's role, or their relation to the row, does not allow this.",
    404: "No such row, or none the caller may see.",
    409: "The state changed or does not allow this; nothing was written.",
    413: "The request body is larger than the limit.",
    429: "Too many of these in a minute; wait and try again.",
    503: "The knowledge-base index is not loaded yet; try again shortly.",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: the refusals it may answer, in the ``Problem``
    format, so the OpenAPI schema (and schemathesis, which checks the app against it) knows
    them."""
    return {code: {"model": Problem, "description": REFUSALS[code]} for code in codes}


def _problems(errors: Iterable[Mapping[str, Any]], name: str = "ValidationError") -> JSONResponse:
    """A 422 in the shape the OpenAPI schema declares for it (FastAPI's HTTPValidationError:
    loc, msg and type), plus our "error" name; never the rejected input itself."""
    problems = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""),
         "type": e.get("type", "value_error")}
        for e in errors
    ]  # fmt: skip
    return JSONResponse(_body(name, problems), status_code=422)


def _body(error: str, detail: object, data: object = None) -> dict[str, object]:
    body: dict[str, object] = {"error": error, "detail": detail}
    if data is not None:
        body["data"] = data
    return body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TierZeroError)
    async def _domain(_: Request, exc: TierZeroError) -> JSONResponse:
        if exc.status_code == 422:  # a value no schema could refuse (a period out of order…)
            problem = {"loc": getattr(exc, "loc", ()), "msg": exc.message, "type": "value_error"}
            return _problems([problem], type(exc).__name__)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            _body(type(exc).__name__, exc.message, getattr(exc, "data", None)),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _problems(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI could not even decode the body (not UTF-8): malformed, like bad JSON
            problem = {"loc": ["body"], "msg": "the body is not UTF-8 JSON", "type": "json_invalid"}
            return _problems([problem])
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
