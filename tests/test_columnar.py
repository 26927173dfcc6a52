"""`liftcheck convert` and the Parquet dataset: the same verdicts as the files it came from,
never a silent overwrite, never an invalid or foreign dataset read as if it were valid."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conftest import ORGANIZATIONS, elevator, write_submission
from independent import daily_check_breaches, day, in_scope, plus_years, stopped_without_a_stop_record, table
from checker import columnar
from checker.cli import main
from checker.load import load_submission
from checker.pipeline import run_check
from checker.sample import SampleSpec, generate, write
from checker.validate import validate

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("columnar") / "csv"
    write(generate(SampleSpec(200, START, END, seed=7)), folder)
    return folder


@pytest.fixture(scope="module")
def dataset(sample: Path) -> Path:
    out = sample.parent / "dataset"
    assert run("convert", sample, out, "--partitions", "3").exit_code == 0
    return out


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_the_dataset_gives_the_same_report_as_the_csv_it_came_from(sample, dataset):
    from_csv = run_check(sample, START, END).report
    from_parquet = run_check(dataset, START, END).report
    assert len(from_csv["violations"]) > 400
    assert {(v["subject"], v["period_key"]) for v in from_parquet["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, START, END) != set()
    assert [u["elevator_id"] for u in from_parquet["unjudged"] if u["subject"] is None] == sorted(stopped_without_a_stop_record(sample))
    assert from_parquet == from_csv


def test_the_dataset_gives_the_same_json_report_through_the_command(sample, dataset, tmp_path):
    for source, name in ((sample, "csv.json"), (dataset, "parquet.json")):
        r = run("check", source, "--from", "2024-03-10", "--to", "2024-09-20", "--format", "json", "-o", tmp_path / name)
        assert r.exit_code == 1
    assert (tmp_path / "csv.json").read_bytes() == (tmp_path / "parquet.json").read_bytes()
    report = json.loads((tmp_path / "parquet.json").read_text(encoding="utf-8"))
    assert {(v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, dt.date(2024, 3, 10), dt.date(2024, 9, 20)) != set()


def test_a_dataset_is_read_as_typed_frames_without_validating_again(sample, dataset):
    raw = load_submission(dataset)
    assert raw.validated is not None and raw.frames == {}
    sub, original = validate(raw), validate(load_submission(sample))
    assert sub.present_types == original.present_types
    assert sub.history == original.history and sub.history["maintenance"] is not None
    assert sub.declared_from == original.declared_from
    assert sub.record_counts == original.record_counts == {name: len(table(sample, name)) for name in original.record_counts}
    for name, df in original.tables.items():
        assert sub.table(name).schema == df.schema, name
        assert sub.table(name).sort(df.columns).equals(df.sort(df.columns)), name
    # the warnings validation gave (a stopped status without a stop record) travel with it
    assert sub.problems.equals(original.problems)


def test_validate_and_old_list_read_the_dataset(sample, dataset):
    assert run("validate", dataset).exit_code == 0
    a = run("old-list", sample, "--as-of", "2024-06-30", "--format", "csv")
    b = run("old-list", dataset, "--as-of", "2024-06-30", "--format", "csv")
    assert a.exit_code == b.exit_code == 0
    assert sorted(a.output.splitlines()) == sorted(b.output.splitlines())
    # the old elevators on 2024-06-30, by rules.md, from elevators.csv
    import csv
    import io

    listed = [row[0] for row in csv.reader(io.StringIO(b.output.lstrip("\ufeff")))][1:]
    assert sorted(listed) == sorted(e["elevator_id"] for e in table(sample, "elevators")
                                    if in_scope(e) and plus_years(day(e["commissioned_on"]), 15) <= dt.date(2024, 6, 30))
    assert len(listed) > 20


def test_each_bucket_holds_whole_use_units_and_all_their_records(sample, dataset):
    whole = validate(load_submission(sample))
    manifest = columnar.read_manifest(dataset)
    assert manifest.buckets == 3
    parts = [columnar.read_bucket(dataset, k) for k in range(3)]
    units = [set(p.table("elevators").get_column("use_unit_id")) for p in parts]
    assert all(units) and not (units[0] & units[1] or units[0] & units[2] or units[1] & units[2])
    for name in ("elevators", "daily_checks", "maintenance", "weekly_reviews", "hazards"):
        assert sum(p.table(name).height for p in parts) == whole.table(name).height, name
    for p, own in zip(parts, units):
        ids = p.table("elevators").get_column("elevator_id")
        assert p.table("daily_checks").get_column("elevator_id").is_in(ids.implode()).all()
        assert set(p.table("weekly_reviews").get_column("use_unit_id")) <= own
        assert p.table("organizations").height == whole.table("organizations").height


def test_the_manifest_says_what_the_dataset_holds(sample, dataset):
    body = json.loads((dataset / columnar.MANIFEST).read_text(encoding="utf-8"))
    whole = validate(load_submission(sample))
    assert body["record_counts"] == {n: whole.record_counts[n] for n in body["record_counts"]}
    assert set(body["present_types"]) == whole.present_types
    assert body["history"] == {n: d.isoformat() for n, d in whole.history.items()}
    assert set(body["history"]) == {"maintenance", "daily_checks", "weekly_reviews", "monthly_dispatches"}
    assert body["source"] == str(sample.resolve())
    assert body["partition_key"] == "use_unit_id" and body["buckets"] == 3
    from checker import __version__

    assert body["liftcheck_version"] == __version__


def test_convert_refuses_invalid_input_naming_the_problems_and_writes_nothing(tmp_path):
    folder = write_submission(tmp_path / "bad", {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1", commissioned_on="2015-13-01"), elevator("E2")],
        "daily_checks": [{"elevator_id": "E9", "date": "2024-01-01", "inspector": "王伟"}],
    })
    r = CliRunner().invoke(main, ["convert", str(folder), str(tmp_path / "out")], catch_exceptions=False)
    assert r.exit_code == 2
    assert "有 2 个错误，未转换" in r.output and "has 2 errors; not converted" in r.output
    assert "elevators.csv 第 2 行" in r.output and "2015-13-01" in r.output
    assert "daily_checks.csv 第 2 行" in r.output and "E9" in r.output
    assert not (tmp_path / "out").exists()


def test_convert_never_overwrites_an_existing_folder_without_force(sample, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    r = run("convert", sample, out)
    assert r.exit_code == 2
    assert f"{out} 已存在，未覆盖（要替换它请加 --force）" in r.output
    # --force replaces a dataset or an empty folder, never a folder of something else
    r = run("convert", sample, out, "--force")
    assert r.exit_code == 2 and "is not a liftcheck dataset: it is not deleted even with --force" in r.output
    assert (out / "mine.txt").read_text() == "keep me" and len(list(out.iterdir())) == 1


def test_convert_with_force_replaces_an_existing_dataset(sample, tmp_path):
    out = tmp_path / "out"
    assert run("convert", sample, out, "--partitions", "2").exit_code == 0
    assert run("convert", sample, out).exit_code == 2
    assert columnar.read_manifest(out).buckets == 2
    assert run("convert", sample, out, "--force", "--partitions", "4").exit_code == 0
    assert columnar.read_manifest(out).buckets == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.converting-")]


def test_convert_refuses_to_write_over_the_submission_itself(sample, tmp_path):
    r = run("convert", sample, sample.parent, "--force")
    assert r.exit_code == 2
    assert sample.is_dir() and (sample / "elevators.csv").exists()


def test_a_dataset_from_another_liftcheck_version_is_refused_with_what_to_do(dataset, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    manifest = json.loads((old / columnar.MANIFEST).read_text(encoding="utf-8"))
    manifest["liftcheck_version"] = "0.0.9"
    (old / columnar.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    r = run("check", old, "--from", "2024-01-01", "--to", "2024-12-31")
    assert r.exit_code == 2
    assert "是 liftcheck 0.0.9 转换并校验的" in r.output
    assert "was converted and validated by liftcheck 0.0.9" in r.output and "run liftcheck convert again" in r.output


def test_a_dataset_under_another_data_contract_is_refused(dataset, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    manifest = json.loads((old / columnar.MANIFEST).read_text(encoding="utf-8"))
    manifest["contract_sha256"] = "0" * 64
    (old / columnar.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    r = run("validate", old)
    assert r.exit_code == 2 and "was converted under another data contract" in r.output


def test_a_damaged_manifest_is_named(dataset, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    (old / columnar.MANIFEST).write_text("{not json", encoding="utf-8")
    r = run("validate", old)
    assert r.exit_code == 2 and f"{columnar.MANIFEST} is damaged (not valid JSON)" in r.output


def test_an_absent_record_type_stays_absent_in_the_dataset(tmp_path):
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS, "elevators": [elevator("E1")],
                                               "daily_checks": []})
    out = tmp_path / "out"
    assert run("convert", folder, out).exit_code == 0
    sub = validate(load_submission(out))
    assert sub.present_types == {"organizations", "elevators", "daily_checks"}
    assert sub.table("daily_checks").height == 0 and sub.table("daily_checks").schema["date"] == pl.Date
    report = run_check(out, START, END).report
    assert report == run_check(folder, START, END).report
    assert any(s["rule_id"] == "MAINT-INTERVAL" and not s["evaluated"] for s in report["rules"])


def test_convert_refuses_a_submission_without_elevators(tmp_path):
    folder = write_submission(tmp_path / "s", {"organizations": ORGANIZATIONS})
    r = run("convert", folder, tmp_path / "out")
    assert r.exit_code == 2 and "the submission has no elevators: nothing can be judged" in r.output
    assert not (tmp_path / "out").exists()


def test_a_dataset_url_without_a_cluster_is_refused(dataset):
    r = run("check", dataset.as_uri(), "--from", "2024-01-01", "--to", "2024-12-31")
    assert r.exit_code == 2 and "a dataset URL needs --cluster" in r.output
