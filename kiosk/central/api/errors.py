"""Every error is JSON ``{"error": {"code", "message", "params"}}`` with a stable code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.central.errors import CentralError
from kiosk.central.services.results import jsonable
from kiosk.errors import KioskError

log = logging.getLogger("kiosk.central.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def error_body(code: str, message: str, **params: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "params": jsonable(params)}}


def install(app: FastAPI) -> None:
    @app.exception_handler(CentralError)
    async def _central(_request: Request, exc: CentralError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, **exc.params), status_code=exc.status)

    @app.exception_handler(KioskError)
    async def _kiosk(_request: Request, exc: KioskError) -> JSONResponse:
        log.warning("refused: %s", exc)
        return JSONResponse(error_body(exc.message_key, str(exc)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request does not match the API", problems=problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "central could not process the request"), status_code=500
        )
