"""云小站: the one-stop query and statistics portal of 四（四）, on top of the pipeline.

It stores the records people submit (same loader and validator as the CLI), runs the
pipeline over them, and shows each role what is its own: owners the public facts of an
elevator, firms their own elevators, violations, pending obligations and credit, districts
their district, the regulators the city. The web stack is an optional extra:
`pip install 'liftcheck[portal]'`.
"""

from __future__ import annotations

from checker.errors import LiftcheckError

_NEEDED = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "argon2", "adbc_driver_sqlite", "pyarrow",
           "itsdangerous", "multipart", "limits", "structlog", "matplotlib")


def require_portal_dependencies() -> None:
    """Refuse, in both languages, when the `portal` extra is not installed."""
    import importlib.util

    missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise LiftcheckError(
            f"门户（云小站）需要额外的依赖，缺少：{', '.join(missing)}。请安装：pip install 'liftcheck[portal]'",
            f"the portal needs extra dependencies; missing: {', '.join(missing)}. Install them: pip install 'liftcheck[portal]'")
