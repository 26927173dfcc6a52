"""The sweep on a Dask cluster gives the verdicts of the single-machine sweep."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

# distributed is a test dependency (pyproject.toml): where it is missing this module fails, never skips
import distributed
import pytest
from click.testing import CliRunner

from independent import daily_check_breaches, stopped_without_a_stop_record
from checker import columnar
from checker.cli import main
from checker.cluster import judge_on_cluster
from checker.load import load_submission
from checker.params import load_parameters
from checker.pipeline import run_check
from checker.report import build_report
from checker.rulebook import load_rulebook
from checker.sample import SampleSpec, generate, write
from checker.validate import validate

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cluster") / "csv"
    write(generate(SampleSpec(200, START, END, seed=11)), folder)
    return folder


@pytest.fixture(scope="module")
def dataset(sample: Path) -> Path:
    out = sample.parent / "dataset"
    sub = validate(load_submission(sample))
    columnar.convert(sub, out, sample, buckets=5)
    return out


@pytest.fixture(scope="module")
def client():
    # threads instead of processes: the same scheduling, pickling of tasks aside, in a second
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_two_workers_give_the_single_machine_verdicts(sample, dataset, client):
    book, params = load_rulebook(), load_parameters()
    single = run_check(sample, START, END).report
    central, merged, runs = judge_on_cluster(dataset, "", book, params, START, END, client=client)
    report = build_report(merged, book, params)
    assert len(single["violations"]) > 400
    # beside liftcheck's own single-machine report, what the CSV files say day by day
    assert {(v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, START, END) != set()
    assert [u["elevator_id"] for u in report["unjudged"] if u["subject"] is None] == sorted(stopped_without_a_stop_record(sample))
    for section in ("violations", "pending", "unjudged", "rules", "summary", "metrics", "credit"):
        assert report[section] == single[section], section
    assert sorted(r.bucket for r in runs) == [0, 1, 2, 3, 4]
    assert sum(r.elevators for r in runs) == 200


def test_a_period_inside_the_year_gives_the_same_verdicts_on_the_cluster(sample, dataset, client):
    book, params = load_rulebook(), load_parameters()
    start, end = dt.date(2024, 3, 10), dt.date(2024, 5, 20)
    single = run_check(sample, start, end).report
    _, merged, _ = judge_on_cluster(dataset, "", book, params, start, end, client=client)
    report = build_report(merged, book, params)
    assert {(v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, start, end) != set()
    assert report["violations"] == single["violations"] and report["pending"] == single["pending"]


def test_workers_read_the_dataset_through_an_fsspec_url(sample, dataset, client):
    book, params = load_rulebook(), load_parameters()
    _, merged, _ = judge_on_cluster(dataset.as_uri(), "", book, params, START, END, client=client,
                                    only=["DAILY-CHECK", "MAINT-INTERVAL"])
    single = run_check(sample, START, END, only=["DAILY-CHECK", "MAINT-INTERVAL"]).report
    violations = build_report(merged, book, params)["violations"]
    assert {(v["subject"], v["period_key"]) for v in violations if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, START, END)
    assert violations == single["violations"]


def test_check_with_a_local_cluster_of_processes_writes_the_single_machine_report(sample, dataset, tmp_path):
    common = ["--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"]
    single = CliRunner().invoke(main, ["check", str(sample), *common, "-o", str(tmp_path / "single.json")])
    cluster = CliRunner().invoke(main, ["check", str(dataset), *common, "-o", str(tmp_path / "cluster.json"),
                                        "--cluster", "local:2"])
    assert single.exit_code == cluster.exit_code == 1, cluster.output
    assert (tmp_path / "single.json").read_bytes() == (tmp_path / "cluster.json").read_bytes()
    report = json.loads((tmp_path / "cluster.json").read_text(encoding="utf-8"))
    assert {(v["subject"], v["period_key"]) for v in report["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(sample, START, END) != set()
    assert "5 个分区 partitions" in cluster.output and "peak_rss_mb" in cluster.output


def test_a_csv_submission_on_a_local_cluster_is_judged_from_a_temporary_dataset(sample, client, monkeypatch):
    import checker.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "_client", lambda spec: (client, None))
    monkeypatch.setattr(client, "close", lambda: None)
    single = run_check(sample, START, END, only=["DAILY-CHECK"]).report
    on_cluster = run_check(sample, START, END, only=["DAILY-CHECK"], cluster="local:2").report
    assert {(v["subject"], v["period_key"]) for v in on_cluster["violations"]} == daily_check_breaches(sample, START, END)
    assert on_cluster == single


def test_a_csv_submission_with_a_remote_cluster_is_refused_with_the_convert_command(sample):
    r = CliRunner().invoke(main, ["check", str(sample), "--from", "2024-01-01", "--to", "2024-12-31",
                                  "--cluster", "tcp://127.0.0.1:1"], catch_exceptions=False)
    assert r.exit_code == 2
    assert f"Run liftcheck convert {sample} OUT/ first" in r.output
    assert f"请先运行 liftcheck convert {sample} 输出文件夹/" in r.output


def test_a_malformed_cluster_is_named(dataset):
    r = CliRunner().invoke(main, ["check", str(dataset), "--from", "2024-01-01", "--to", "2024-12-31",
                                  "--cluster", "local:two"], catch_exceptions=False)
    assert r.exit_code == 2 and "local: takes a number of worker processes, e.g. local:2" in r.output


def test_cluster_and_partitions_exclude_each_other(dataset):
    r = CliRunner().invoke(main, ["check", str(dataset), "--from", "2024-01-01", "--to", "2024-12-31",
                                  "--cluster", "local:2", "--partitions", "2"])
    assert r.exit_code == 2 and "--partitions and --cluster exclude each other" in r.output


def test_the_cluster_report_feeds_the_ledger_once(dataset, tmp_path):
    ledger = tmp_path / "credit.sqlite"
    r = CliRunner().invoke(main, ["check", str(dataset), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
                                  "--cluster", "local:1", "--ledger", str(ledger)])
    assert r.exit_code == 1, r.output
    report = json.loads(r.stdout)
    assert report["summary"]["ledger"]["new_deductions"] == sum(len(f["items"]) for f in report["credit"]) > 0


def test_a_dataset_written_part_by_part_gives_the_same_verdicts_on_one_machine_and_on_the_cluster(tmp_path, client):
    from checker.sample import generate_parts

    writer = columnar.DatasetWriter(tmp_path / "province", "parts")
    combined: dict = {}
    for n, tables in enumerate(generate_parts(SampleSpec(240, START, END, seed=3), 80)):
        write(tables, tmp_path / f"part{n}")
        writer.add(validate(load_submission(tmp_path / f"part{n}")), buckets=2)
        for name, df in tables.items():
            combined.setdefault(name, []).append(df)
    manifest = writer.close()
    assert manifest.buckets == 6 and manifest.body["record_counts"]["elevators"] == 240
    # the eight manufacturers are in every part, and once in the dataset
    orgs = validate(load_submission(tmp_path / "province")).table("organizations")
    assert orgs.get_column("org_id").is_unique().all()
    import polars as pl

    write({name: pl.concat(dfs).unique(maintain_order=True) if name == "organizations" else pl.concat(dfs)
           for name, dfs in combined.items()}, tmp_path / "all")
    from_csv = run_check(tmp_path / "all", START, END).report
    book, params = load_rulebook(), load_parameters()
    _, merged, _ = judge_on_cluster(tmp_path / "province", "", book, params, START, END, client=client)
    report = build_report(merged, book, params)
    assert {(v["subject"], v["period_key"]) for v in from_csv["violations"] if v["rule_id"] == "DAILY-CHECK"} == \
        daily_check_breaches(tmp_path / "all", START, END) != set()
    province = run_check(tmp_path / "province", START, END).report
    # the warnings name each submission's own files and rows (part by part here, one file there)
    assert {k: v for k, v in province.items() if k != "warnings"} == {k: v for k, v in from_csv.items() if k != "warnings"}
    assert sorted(w["code"] for w in province["warnings"]) == sorted(w["code"] for w in from_csv["warnings"])
    for section in ("violations", "pending", "unjudged", "rules", "metrics", "credit"):
        assert report[section] == from_csv[section], section


def test_skip_invalid_on_a_local_cluster_judges_the_valid_records_and_lists_the_rejected_ones(tmp_path, client,
                                                                                               monkeypatch):
    import checker.cluster as cluster_module
    from conftest import ORGANIZATIONS, daily, days, elevator, write_submission

    folder = write_submission(tmp_path / "s", {
        "organizations": ORGANIZATIONS,
        "elevators": [elevator("E1"), elevator("E2", commissioned_on="not a date")],
        "daily_checks": daily("E1", days("2024-01-01", "2024-01-30")) + daily("E2", ["2024-01-05"]),
    })
    monkeypatch.setattr(cluster_module, "_client", lambda spec: (client, None))
    monkeypatch.setattr(client, "close", lambda: None)
    single = run_check(folder, START, dt.date(2024, 1, 31), skip_invalid=True).report
    on_cluster = run_check(folder, START, dt.date(2024, 1, 31), skip_invalid=True, cluster="local:2").report
    assert on_cluster == single
    assert [v["subject"] for v in single["violations"] if v["rule_id"] == "DAILY-CHECK"] == ["E1"]
    assert {r["file"] for r in single["rejected"]} == {"elevators.csv", "daily_checks.csv"}


def test_the_history_starts_a_ledger_kept_reach_the_workers(sample, dataset, client):
    """R3-A 1: a unit's kept start (from an earlier, longer declaration) judges the cluster's
    partitions as it judges one machine: maintenance kept from 2024-01-01 finds the breaches of
    the first half-year that a start of 2024-07-01 leaves unjudged."""
    book, params = load_rulebook(), load_parameters()
    units = sorted(set(validate(load_submission(sample)).table("elevators").get_column("use_unit_id").to_list()))

    def maint(day):
        declared = {"maintenance": {u: day for u in units}}
        _, merged, _ = judge_on_cluster(dataset, "", book, params, START, END, client=client, only=["MAINT-INTERVAL"],
                                        declared_by_unit=declared)
        return sorted(v["period_key"] for v in merged.violations)

    early, late = maint(dt.date(2024, 1, 1)), maint(dt.date(2024, 7, 1))
    assert min(late) >= "2024-07-01" and min(early) < "2024-07-01"
