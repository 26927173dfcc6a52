"""Structured logs: one JSON object per line (structlog), with secrets never written.

Every record passes a redaction step: any field whose name speaks of a password, token,
secret, cookie, authorisation or CSRF value is replaced by "[redacted]", whoever logged it.
The request log has method, path (never the query string), status, duration and the
account's id and role — never headers, cookies or form fields.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

_SECRET = re.compile(r"pass|token|secret|cookie|authori[sz]ation|csrf|session", re.I)
LOGGERS = ("liftcheck", "uvicorn", "uvicorn.error", "alembic")


def redact(_logger, _method, event: dict) -> dict:
    for key in list(event):
        if key != "event" and _SECRET.search(key):
            event[key] = "[redacted]"
    return event


def configure_logging(stream=None, level: int = logging.INFO) -> logging.Handler:
    """JSON lines on `stream` (stderr) for the portal's, uvicorn's and alembic's loggers."""
    shared = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
              structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(processors=shared + [redact, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
                        logger_factory=structlog.stdlib.LoggerFactory(), cache_logger_on_first_use=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared + [structlog.stdlib.ExtraAdder(), redact],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False, default=str)])
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl …" on every start is noise
    logging.getLogger("uvicorn.access").disabled = True   # the portal logs requests itself, without query strings
    return handler


# Until configure_logging runs (tests, library use), events go to the standard `logging`
# loggers as JSON text and follow their configuration (silent below WARNING by default).
structlog.configure(processors=[structlog.stdlib.add_log_level, redact,
                                structlog.processors.JSONRenderer(ensure_ascii=False, default=str)],
                    logger_factory=structlog.stdlib.LoggerFactory(), cache_logger_on_first_use=False)


def get_logger(name: str = "liftcheck.portal"):
    return structlog.get_logger(name)
