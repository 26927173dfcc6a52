"""Shared test helpers: write small submissions as CSV and judge them through the real pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import Phase, settings

# Hypothesis profiles (docs/testing.md):
# - "ci", the default: a fixed seed (derandomize) and no example database, so that every run of
#   the suite draws the same examples: CI can neither pass by luck nor fail by it, and a failure
#   is reproduced by running the same command again;
# - "nightly" (`pytest --hypothesis-profile=nightly`): fresh random examples, NIGHTLY_FACTOR times
#   as many for the property tests that ask for `examples(n)`;
# - "mutation": generate only, no shrinking, to check quickly that a deliberately broken engine
#   is caught (it fails in seconds instead of shrinking for minutes).
NIGHTLY_FACTOR = 20
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("nightly", derandomize=False, database=None, print_blob=True)
settings.register_profile("mutation", derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile("ci")
_PROFILE = {"name": "ci"}


def pytest_configure(config):
    _PROFILE["name"] = config.getoption("hypothesis_profile", None) or "ci"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """LIFTCHECK_NO_SKIPS=1 (set by .ci/run): a skipped test fails instead. In CI nothing may be
    skipped: a test that cannot run there (no PostgreSQL, no Chromium, a missing package, a file
    outside the checkout) would otherwise pass unseen. Opt-in runs are deselected by marker
    (`-m "not load"`), never skipped."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("LIFTCHECK_NO_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (LIFTCHECK_NO_SKIPS=1), which must run every test: {reason}"


def pytest_sessionfinish(session, exitstatus):
    """…and a whole module skipped while collecting (importorskip, a module-level skip) fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("LIFTCHECK_NO_SKIPS") == "1" and skipped and session.exitstatus == 0:
        reporter.write_line("")
        for r in skipped:
            reporter.write_line(f"skipped in CI (LIFTCHECK_NO_SKIPS=1): {r.nodeid}: {r.longrepr}", red=True)
        session.exitstatus = 1


def examples(n: int) -> int:
    """How many examples a property test draws: n in CI, NIGHTLY_FACTOR × n in the nightly profile."""
    return n * NIGHTLY_FACTOR if _PROFILE["name"] == "nightly" else n

from checker.pipeline import run_check

FIRM = "91320100MA1FIRM01X"
COMMITTEE = "91320100MA1COMM01X"
MAINTAINER = "91320100MA1MAIN01X"
MAKER = "91320100MA1MAKE01X"

ORGANIZATIONS = [
    {"org_id": FIRM, "name": "甲物业服务有限公司", "kind": "property_service_enterprise"},
    {"org_id": COMMITTEE, "name": "乙小区业主委员会", "kind": "owners_committee"},
    {"org_id": MAINTAINER, "name": "丙电梯维保有限公司", "kind": "maintenance_unit", "maintenance_star": 3},
    {"org_id": MAKER, "name": "丁电梯制造有限公司", "kind": "manufacturer", "maintenance_star": 5},
]


def elevator(elevator_id: str = "E1", **fields) -> dict:
    # the fields with a default are given (issue 25): a file without status or affordable_housing
    # is refused, one without residential read with a warning
    base = {"elevator_id": elevator_id, "district": "玄武区", "community": "梅园新村",
            "commissioned_on": "2015-01-01", "use_unit_id": FIRM, "maintenance_unit_id": MAINTAINER,
            "manufacturer_id": MAKER, "residential": True, "affordable_housing": False, "status": "in_service"}
    base.update(fields)
    return base


def write_submission(folder: Path, tables: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns or ["elevator_id"])
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return folder


class Judge:
    """judge(period, elevators=[...], maintenance=[...], params={...}) -> report."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.runs = 0

    def __call__(self, start: str, end: str, params: dict | None = None, rules: list[str] | None = None,
                 declaration: str | None = None, **tables: list[dict]) -> dict:
        """`declaration`: the text of submission.yaml (rules R3-7), when the submission declares its history."""
        self.runs += 1
        tables.setdefault("organizations", ORGANIZATIONS)
        tables.setdefault("elevators", [elevator()])
        folder = write_submission(self.tmp_path / f"run{self.runs}", tables)
        if declaration is not None:
            (folder / "submission.yaml").write_text(declaration, encoding="utf-8")
        run = run_check(folder, dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                        param_values=params, only=rules)
        return run.report


@pytest.fixture
def judge(tmp_path: Path) -> Judge:
    return Judge(tmp_path)


def of(report: dict, rule_id: str) -> list[dict]:
    return [v for v in report["violations"] if v["rule_id"] == rule_id]


def keys(report: dict, rule_id: str) -> list[tuple[str, str]]:
    return sorted((v["subject"], v["period_key"]) for v in of(report, rule_id))


def status(report: dict, rule_id: str) -> dict:
    return next(r for r in report["rules"] if r["rule_id"] == rule_id)


def days(first: str, last: str) -> list[str]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def daily(elevator_id: str, dates: list[str]) -> list[dict]:
    return [{"elevator_id": elevator_id, "date": d, "inspector": "王伟", "result": "normal"} for d in dates]


def visits(elevator_id: str, dates: list[str], **fields) -> list[dict]:
    return [{"elevator_id": elevator_id, "date": d, "maintenance_unit_id": MAINTAINER, "kind": "half_month",
             "on_site": True, **fields} for d in dates]


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A PostgreSQL server for this test session (tests/pg.py), or LIFTCHECK_TEST_POSTGRES_URL's."""
    url = os.environ.get("LIFTCHECK_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    from pg import Server

    try:
        server = Server()
        url = server.start()
    except Exception as exc:  # noqa: BLE001 - reported as the skip (or failure) reason
        if os.environ.get("LIFTCHECK_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but could not be started: {exc}")
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield url
    server.stop()


def new_postgres_database(admin_url: str, prefix: str = "t") -> str:
    """A fresh, empty database on the server at `admin_url`: its URL."""
    import uuid

    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def postgres_database(postgres_admin_url):
    """A fresh, empty database on the session's server: its URL."""
    return new_postgres_database(postgres_admin_url)
