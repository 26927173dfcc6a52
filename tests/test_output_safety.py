"""Outputs never destroy inputs (records.md): every writer and command, and the ledger.

No command writes over a file of its submission (or into the submission folder), over
another input, or over an existing file without --force; a folder, a missing folder, an
unwritable place or a full disk is refused naming the path, with no partial file left;
CSV cells that a spreadsheet would run are neutralised and xlsx text stays text; a
read-only command never creates or changes a database; the report is written before the
ledger, and a ledger that cannot be written is refused before any work.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from checker.errors import LiftcheckError
from checker.outputs import atomic_output, csv_safe
from hostile import PERIOD, run, tables, write
from conftest import new_postgres_database


def digest(path: Path) -> str:
    """One hash over a file or every file under a folder (names and bytes)."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture
def data(tmp_path) -> Path:
    return write(tmp_path / "DATA", tables(), "csv")


def _clean(result) -> str:
    out = result.output
    assert "Internal error" not in out and "内部错误" not in out and "Traceback" not in out, out
    return out


def _proposal(data: Path) -> Path:
    """A parameter file beside the submission: the proposal `compare` judges against the base."""
    path = data.parent / "proposal.yaml"
    path.write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    return path


# every command that writes a file: (name, args given the submission and the output path)
WRITERS = {
    "check-csv": lambda d, o: ["check", d, *PERIOD, "-o", o.with_suffix(".csv")],
    "check-xlsx": lambda d, o: ["check", d, *PERIOD, "-o", o.with_suffix(".xlsx")],
    "check-json": lambda d, o: ["check", d, *PERIOD, "--format", "json", "-o", o.with_suffix(".json")],
    "check-html": lambda d, o: ["check", d, *PERIOD, "--format", "html", "-o", o.with_suffix(".html")],
    "validate-csv": lambda d, o: ["validate", d, "-o", o.with_suffix(".csv")],
    "validate-json": lambda d, o: ["validate", d, "-o", o.with_suffix(".json")],
    "old-list-xlsx": lambda d, o: ["old-list", d, "--as-of", "2024-03-31", "-o", o.with_suffix(".xlsx")],
    "old-list-csv": lambda d, o: ["old-list", d, "--as-of", "2024-03-31", "--format", "csv", "-o", o.with_suffix(".csv")],
    "template": lambda d, o: ["template", o.with_suffix(".xlsx")],
    "compare-json": lambda d, o: ["compare", d, *PERIOD, "--proposal-params", _proposal(d), "--format", "json",
                                  "-o", o.with_suffix(".json")],
    "compare-xlsx": lambda d, o: ["compare", d, *PERIOD, "--proposal-params", _proposal(d), "--format", "xlsx",
                                  "-o", o.with_suffix(".xlsx")],
}


def _target(args: list) -> Path:
    return Path(args[args.index("-o") + 1]) if "-o" in args else Path(args[-1])


# the template never overwrites, not even with --force (it may be a clerk's filled-in workbook):
# tests/test_office_outputs.py
@pytest.mark.parametrize("writer", sorted(w for w in WRITERS if w != "template"))
def test_an_existing_file_is_kept_without_force_and_replaced_with_it(writer, data, tmp_path):
    args = WRITERS[writer](data, tmp_path / "out")
    target = _target(args)
    target.write_bytes(b"keep me")
    r = run(*args)
    assert r.exit_code == 2 and f"output path {target}: the file exists; add --force to overwrite it" in _clean(r)
    assert target.read_bytes() == b"keep me"
    r = run(*args, "--force")
    assert r.exit_code in (0, 1), _clean(r)
    assert target.read_bytes() != b"keep me" and target.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary file left


@pytest.mark.parametrize("writer", sorted(w for w in WRITERS if w != "template"))
def test_no_output_goes_into_the_submission_even_with_force(writer, data, tmp_path):
    before = digest(data)
    for name in ("hazards", "elevators", "new-report"):   # over an input, or a new file beside them
        args = WRITERS[writer](data, data / name)
        r = run(*args, "--force")
        assert r.exit_code == 2, _clean(r)
        assert f"output path {_target(args)}: is inside the submission folder {data}" in r.output
        assert "not even with --force" in r.output
    assert digest(data) == before


def test_a_workbook_is_never_written_over_by_its_own_check(tmp_path):
    book = write(tmp_path, tables(), "xlsx")
    before = digest(book)
    for args in (["check", book, *PERIOD, "-o", book, "--force"], ["validate", book, "-o", book, "--force"],
                 ["old-list", book, "--as-of", "2024-03-31", "-o", book, "--force"], ["template", book]):
        r = run(*args)
        assert r.exit_code == 2, _clean(r)
    assert "is the input" in run("check", book, *PERIOD, "-o", book, "--force").output
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    r = run("check", book, *PERIOD, "-o", link, "--force")
    assert r.exit_code == 2 and f"is the input {book}" in r.output
    assert digest(book) == before


def test_other_inputs_are_never_written_over(data, tmp_path):
    params = tmp_path / "p.json"
    params.write_text('{"maintenance.dense_max_interval_days": 12}', encoding="utf-8")   # JSON is YAML
    r = run("check", data, *PERIOD, "--params", params, "--format", "json", "-o", params, "--force")
    assert r.exit_code == 2 and f"output path {params}: is the input {params}" in _clean(r)
    assert json.loads(params.read_text(encoding="utf-8")) == {"maintenance.dense_max_interval_days": 12}
    ledger = tmp_path / "ledger.sqlite"
    assert run("check", data, *PERIOD, "--ledger", ledger).exit_code == 1
    before = digest(ledger)
    r = run("check", data, *PERIOD, "--ledger", ledger, "--format", "json", "-o", ledger, "--force")
    assert r.exit_code == 2 and f"is the input {ledger}" in r.output
    r = run("credit", ledger, "--format", "json", "-o", ledger, "--force")
    assert r.exit_code == 2 and f"is the input {ledger}" in r.output
    assert digest(ledger) == before


@pytest.mark.parametrize("writer", ["check-json", "check-csv", "validate-csv", "old-list-xlsx", "template"])
def test_a_folder_a_missing_folder_or_an_unwritable_place_is_refused_before_the_work(writer, data, tmp_path):
    folder = tmp_path / "a-folder.csv"
    folder.mkdir()
    args = WRITERS[writer](data, tmp_path / "x")
    i = args.index("-o") + 1 if "-o" in args else len(args) - 1
    suffix = Path(args[i]).suffix
    for target, said in ((tmp_path / f"a-folder{suffix}", "is a folder; give a file name"),
                         (tmp_path / "nowhere" / f"x{suffix}", f"its folder {tmp_path / 'nowhere'} does not exist"),
                         (Path("/proc") / f"liftcheck-test{suffix}", "cannot write in /proc")):
        if target.suffix == suffix and target.parent == tmp_path:
            target.mkdir(exist_ok=True)
        args[i] = target
        r = run(*args)
        assert r.exit_code == 2 and f"output path {target}: {said}" in _clean(r), r.output
    assert not (tmp_path / "nowhere").exists()


def test_credit_to_a_missing_folder_is_refused_naming_the_path(data, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    run("check", data, *PERIOD, "--ledger", ledger)
    for fmt in ("json", "csv", "xlsx"):
        r = run("credit", ledger, "--format", fmt, "-o", Path("nowhere") / f"x.{fmt}")
        assert r.exit_code == 2 and "output path nowhere/x." in _clean(r) and "does not exist" in r.output


def test_sample_and_demo_keep_a_folder_that_is_not_theirs(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "elevators.csv").write_text("precious\n", encoding="utf-8")
    r = run("sample", mine, "--elevators", "3")
    assert r.exit_code == 2 and f"output path {mine}: the folder exists and is not empty; add --force" in _clean(r)
    r = run("demo", "--dir", mine)
    assert r.exit_code == 2 and "add --force" in r.output
    assert (mine / "elevators.csv").read_text(encoding="utf-8") == "precious\n"
    # the demo regenerates its own folder: that is its job
    demo = tmp_path / "liftcheck-demo"
    assert run("demo", "--dir", demo).exit_code == 0
    assert run("demo", "--dir", demo).exit_code == 0 and (demo / "report.json").exists()


def test_a_full_disk_leaves_no_partial_file_and_names_the_path(data, tmp_path):
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to mount a tiny tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=12k tmpfs {disk} && cd {disk} && "
              f"{sys.executable} -m checker.cli check {data} {' '.join(PERIOD)} --format json -o {disk}/report.json; "
              f"echo rc=$?; ls -A {disk}")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs tmpfs {disk} && echo ok"],
                           capture_output=True, text=True)
    if "ok" not in probe.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    out = r.stdout + r.stderr
    assert "rc=2" in r.stdout, out
    assert f"writing {disk}/report.json failed: the disk is full; no partial file was left" in out
    assert r.stdout.strip().endswith("rc=2"), f"files left on the full disk: {out}"


def test_a_write_that_fails_midway_removes_its_temporary_file(tmp_path):
    target = tmp_path / "report.json"
    with pytest.raises(LiftcheckError) as err:
        with atomic_output(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.en == f"writing {target} failed: the disk is full; no partial file was left"
    assert list(tmp_path.iterdir()) == []


# ---- formulas in CSV and xlsx outputs ----------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "+1+1", "\t=1+1", "\r=1+1", "＝1+1"]


def test_csv_safe_neutralises_text_and_leaves_numbers():
    frame = pl.DataFrame({"text": FORMULAS + ["-3", "正常", "a=b"], "n": list(range(-5, 5))})
    out = csv_safe(frame)
    assert out.get_column("text").to_list() == ["'" + f for f in FORMULAS] + ["'-3", "正常", "a=b"]
    assert out.get_column("n").to_list() == list(range(-5, 5)) and out.schema["n"] == pl.Int64


def _formula_submission(tmp_path) -> Path:
    t = tables()
    t["elevators"][0]["district"] = FORMULAS[0]
    t["elevators"][1]["district"] = FORMULAS[1]
    t["elevators"][0]["community"] = FORMULAS[2]
    return write(tmp_path / "F", t, "csv")


def test_every_csv_output_neutralises_formulas(tmp_path):
    data = _formula_submission(tmp_path)
    out = tmp_path / "v.csv"
    assert run("check", data, *PERIOD, "-o", out).exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text and "'@SUM(" in text and ",=HYPERLINK" not in text and ",@SUM" not in text
    listing = run("old-list", data, "--as-of", "2024-03-31", "--format", "csv")
    assert "'=HYPERLINK(" in listing.stdout and ",=HYPERLINK" not in listing.stdout
    bad = write(tmp_path / "B", tables(), "csv")
    (bad / "maintenance.csv").write_text("elevator_id,date,maintenance_unit_id,kind\n"
                                         "E1,=cmd|' /C calc'!A0,91320100MA1MAIN01X,half_month\n", encoding="utf-8")
    problems = tmp_path / "problems.csv"
    assert run("validate", bad, "-o", problems).exit_code == 2
    rows = pl.read_csv(problems, infer_schema=False).filter(pl.col("字段") == "维保日期（date）")   # Chinese by default
    assert rows.get_column("值").to_list() == ["'=cmd|' /C calc'!A0"]


def test_credit_csv_neutralises_a_subject_that_looks_like_a_formula(tmp_path):
    t = tables()
    for rows in t.values():   # an elevator whose id reads like a formula, everywhere it is named
        for r in rows:
            if r.get("elevator_id") == "E1":
                r["elevator_id"] = "=1+2"
    data = write(tmp_path / "D", t, "csv")
    ledger = tmp_path / "l.sqlite"
    assert run("check", data, *PERIOD, "--ledger", ledger).exit_code == 1
    text = run("credit", ledger, "--format", "csv").stdout
    assert ",'=1+2," in text and ",=1+2," not in text


def test_xlsx_outputs_store_formula_like_text_as_text(tmp_path):
    import openpyxl

    data = _formula_submission(tmp_path)
    out = tmp_path / "v.xlsx"
    assert run("check", data, *PERIOD, "-o", out).exit_code == 1
    cells = [c for row in openpyxl.load_workbook(out).active.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert {c.value for c in cells} >= {FORMULAS[0], FORMULAS[1]}
    assert all(c.data_type == "s" for c in cells)
    listing = tmp_path / "old.xlsx"
    assert run("old-list", data, "--as-of", "2024-03-31", "-o", listing).exit_code == 0
    cells = [c for row in openpyxl.load_workbook(listing).active.iter_rows() for c in row if c.value == FORMULAS[2]]
    assert cells and all(c.data_type == "s" for c in cells)


# ---- the ledger ---------------------------------------------------------------------------------


def _unrelated(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES ('张三')")
    conn.commit()
    conn.close()
    return digest(path)


def test_an_unrelated_database_is_refused_unchanged_by_every_command(data, tmp_path):
    other = tmp_path / "other.sqlite"
    before = _unrelated(other)
    out = tmp_path / "r.json"
    for args in (["credit", other], ["credit", other, "--format", "json"],
                 ["credit", "revoke", other, "abc", "--reason", "x", "--by", "y"],
                 ["check", data, *PERIOD, "--ledger", other, "--format", "json", "-o", out]):
        r = run(*args)
        assert r.exit_code == 2 and (f"{other} is not a liftcheck ledger (it holds tables that are not liftcheck's: "
                                     "people); it was left unchanged") in _clean(r)
    assert digest(other) == before and not out.exists()
    assert not list(tmp_path.glob("other.sqlite-*"))   # no journal either


def test_a_file_that_is_not_a_database_is_refused_unchanged(data, tmp_path):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database at all\n" * 100, encoding="utf-8")
    before = digest(notes)
    for args in (["credit", notes], ["check", data, *PERIOD, "--ledger", notes]):
        r = run(*args)
        assert r.exit_code == 2 and f"{notes} is not a liftcheck ledger" in _clean(r)
    assert digest(notes) == before


def test_credit_show_never_creates_or_changes_a_database(data, tmp_path):
    missing = tmp_path / "typo.sqlite"
    assert run("credit", missing).exit_code == 2 and not missing.exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    r = run("credit", empty, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["firms"] == [] and empty.stat().st_size == 0
    ledger = tmp_path / "ledger.sqlite"
    run("check", data, *PERIOD, "--ledger", ledger)
    before = digest(ledger)
    for fmt in ("table", "json", "csv"):
        assert run("credit", ledger, "--format", fmt).exit_code == 0
    assert digest(ledger) == before


def test_credit_show_reads_an_older_ledger_without_upgrading_it(data, tmp_path):
    from checker.ledger import open_ledger

    old = tmp_path / "v1.sqlite"
    with open_ledger(str(old), migrate_to=1):
        pass
    before = digest(old)
    r = run("credit", old, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["firms"] == []
    assert digest(old) == before
    assert sqlite3.connect(old).execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1


def _immutable(path: Path) -> bool:
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def test_a_read_only_ledger_is_refused_before_any_work(data, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    assert run("check", data, *PERIOD, "--ledger", ledger).exit_code == 1
    if not _immutable(ledger):
        if os.geteuid() == 0:
            pytest.skip("chattr +i is not available here, and root writes through permissions")
        ledger.chmod(0o444)
    try:
        before = digest(ledger)
        out = tmp_path / "report.json"
        r = run("check", data, *PERIOD, "--ledger", ledger, "--format", "json", "-o", out)
        assert r.exit_code == 2, _clean(r)
        assert (f"ledger {ledger} is read-only or its folder cannot be written") in r.output
        assert "nothing was checked" in r.output and not out.exists()
        assert run("credit", ledger, "--format", "json").exit_code == 0   # reading it is fine
        assert digest(ledger) == before
    finally:
        subprocess.run(["chattr", "-i", str(ledger)], capture_output=True)
        ledger.chmod(0o644)


def test_a_ledger_that_is_a_folder_or_has_no_folder_is_refused_before_the_work(data, tmp_path):
    out = tmp_path / "r.json"
    for ledger, said in ((tmp_path, f"ledger path {tmp_path} is a folder, not a file"),
                         (tmp_path / "nowhere" / "l.sqlite", f"the ledger's folder does not exist: {tmp_path / 'nowhere'}")):
        r = run("check", data, *PERIOD, "--ledger", ledger, "--format", "json", "-o", out)
        assert r.exit_code == 2 and said in _clean(r)
    assert not out.exists()


def test_the_report_is_written_before_the_ledger_and_a_failed_report_records_nothing(data, tmp_path, monkeypatch):
    ledger = tmp_path / "ledger.sqlite"
    out = tmp_path / "report.json"
    r = run("check", data, *PERIOD, "--ledger", ledger, "--format", "json", "-o", out)
    assert r.exit_code == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    recorded = sqlite3.connect(ledger).execute("SELECT count(*) FROM deductions").fetchone()[0]
    assert report["summary"]["ledger"]["new_deductions"] == recorded > 0

    import checker.outputs

    def full_disk(path, content):
        raise LiftcheckError("磁盘已满", f"writing {path} failed: the disk is full; no partial file was left")

    fresh = tmp_path / "fresh.sqlite"
    monkeypatch.setattr(checker.outputs, "write_text", full_disk)
    monkeypatch.setattr(checker.outputs, "write_pieces", full_disk)   # the JSON report is written in pieces
    r = run("check", data, *PERIOD, "--ledger", fresh, "--format", "json", "-o", tmp_path / "r2.json")
    assert r.exit_code == 2 and "the disk is full" in r.output
    assert not fresh.exists()   # the ledger was not even created: the report came first


def _pg_tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = current_schema()")}


def test_postgresql_an_unrelated_database_is_refused_unchanged(postgres_admin_url, data):
    import psycopg

    url = new_postgres_database(postgres_admin_url, "safety")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    for args in (["credit", url], ["check", data, *PERIOD, "--ledger", url]):
        r = run(*args)
        assert r.exit_code == 2 and "is not a liftcheck ledger (it holds tables that are not liftcheck's: people)" in _clean(r)
    assert _pg_tables(url) == {"people"}


def test_postgresql_credit_show_never_creates_or_upgrades_a_ledger(postgres_admin_url, data):
    from checker.ledger import open_ledger

    empty = new_postgres_database(postgres_admin_url, "safety")
    r = run("credit", empty)
    assert r.exit_code == 2 and "holds no liftcheck ledger yet" in _clean(r)
    assert _pg_tables(empty) == set()
    old = new_postgres_database(postgres_admin_url, "safety")
    with open_ledger(old, migrate_to=1):
        pass
    tables_before = _pg_tables(old)
    r = run("credit", old)
    assert r.exit_code == 2 and "a read-only command does not upgrade it" in _clean(r)
    assert _pg_tables(old) == tables_before and "revocations" not in tables_before
    current = new_postgres_database(postgres_admin_url, "safety")
    assert run("check", data, *PERIOD, "--ledger", current).exit_code == 1
    assert run("credit", current, "--format", "json").exit_code == 0
