"""Columnar input: a validated submission kept as a Parquet dataset, read whole or one part at a time.

`liftcheck convert SUBMISSION OUT/` validates a submission once and writes its typed records
here; every command that reads a submission then reads the dataset in about a second,
without parsing or validating again (load.load_submission recognises it). A dataset written
by another liftcheck version, or under another data contract, is refused: its records were
typed and checked by rules that may no longer hold.

    OUT/
      liftcheck-dataset.json                 the manifest (below)
      problems.parquet                       the warnings validation found (an invalid submission is refused)
      use_units.parquet                      use_unit_id -> bucket
      organizations/part-0.parquet           whole: every part needs every organisation
      assessments/part-0.parquet             whole: a fund application may name another unit's report
      <record type>/bucket=<k>/part-0.parquet   the records of the use units of bucket k
    (a dataset written part by part has part-<n>.parquet for each part; the manifest lists every file)

The buckets are use-unit partitions in the sense of engine.partition: the elevators of the
units of bucket k, all their records and their units' own records, so that a bucket can be
judged without reading any other (a cluster worker reads only its buckets, checker/cluster.py).
Paths may be local folders or fsspec URLs (s3://, gs://, http(s)://, file://, …) for reading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from checker import __version__
from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.resources import data_dir
from checker.validate import PROBLEM_SCHEMA, Submission

MANIFEST = "liftcheck-dataset.json"
FORMAT = "liftcheck-parquet"
FORMAT_VERSION = 1
# Read whole by every part (see the module docstring).
WHOLE = ("organizations", "assessments")
# About this many elevators per bucket: small enough for one worker's memory, large enough
# that reading a bucket is not dominated by opening files.
ELEVATORS_PER_BUCKET = 2500
MAX_BUCKETS = 4096

Location = str | Path


def is_url(location: Location) -> bool:
    return isinstance(location, str) and "://" in location


def _join(location: Location, *parts: str) -> Location:
    if is_url(location):
        return "/".join([location.rstrip("/"), *parts])
    return Path(location).joinpath(*parts)


def _read_bytes(location: Location) -> bytes:
    if is_url(location):
        import fsspec

        with fsspec.open(location, "rb") as f:
            return f.read()
    return Path(location).read_bytes()


def _read_parquet(locations: list[Location]) -> pl.DataFrame:
    if any(is_url(x) for x in locations):
        import fsspec

        frames = []
        for location in locations:
            with fsspec.open(location, "rb") as f:
                frames.append(pl.read_parquet(f))
        return pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    return pl.scan_parquet([str(x) for x in locations], hive_partitioning=False).collect()


def contract_digest() -> str:
    """sha256 of the published schemas: a dataset typed under another contract is not read."""
    h = hashlib.sha256()
    for path in sorted(data_dir("schemas").glob("*.schema.json")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class Manifest:
    """What a dataset holds, and under which liftcheck and contract it was validated."""

    body: dict

    @property
    def buckets(self) -> int:
        return self.body["buckets"]

    @property
    def present_types(self) -> set[str]:
        return set(self.body["present_types"])

    @property
    def history(self) -> dict[str, dt.date]:
        """Per record type, the history start (rules R3-7); a dataset of 0.2 kept the maintenance one only."""
        if "history" not in self.body:
            value = self.body.get("history_start")
            return {"maintenance": dt.date.fromisoformat(value)} if value else {}
        return {n: dt.date.fromisoformat(v) for n, v in self.body["history"].items()}

    @property
    def declared_from(self) -> dict[str, dt.date]:
        return {n: dt.date.fromisoformat(v) for n, v in self.body.get("declared_from", {}).items()}


def is_dataset(location: Location) -> bool:
    """A folder (or URL) holding a dataset manifest."""
    if is_url(location):
        import fsspec

        fs, path = fsspec.core.url_to_fs(_join(location, MANIFEST))
        return fs.exists(path)
    return (Path(location) / MANIFEST).is_file()


def read_manifest(location: Location) -> Manifest:
    where = str(location)
    try:
        body = json.loads(_read_bytes(_join(location, MANIFEST)))
    except FileNotFoundError:
        raise LiftcheckError(f"{where} 不是 liftcheck 数据集（没有 {MANIFEST}）：请先运行 liftcheck convert",
                             f"{where} is not a liftcheck dataset (no {MANIFEST}): run liftcheck convert first") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise LiftcheckError(f"{where}/{MANIFEST} 已损坏（不是有效的 JSON）：{exc}",
                             f"{where}/{MANIFEST} is damaged (not valid JSON): {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise LiftcheckError(f"{where}/{MANIFEST} 不是 liftcheck 数据集的清单", f"{where}/{MANIFEST} is not a liftcheck dataset manifest")
    again = f"请用当前版本对原始数据（{body.get('source')}）重新运行 liftcheck convert"
    again_en = f"run liftcheck convert again on the original data ({body.get('source')}) with this version"
    if body.get("format_version") != FORMAT_VERSION:
        raise LiftcheckError(f"{where}：数据集格式版本 {body.get('format_version')}，当前 liftcheck 读取版本 {FORMAT_VERSION}；{again}",
                             f"{where}: dataset format version {body.get('format_version')}, this liftcheck reads version "
                             f"{FORMAT_VERSION}; {again_en}")
    if body.get("liftcheck_version") != __version__:
        raise LiftcheckError(f"{where} 是 liftcheck {body.get('liftcheck_version')} 转换并校验的，当前为 {__version__}："
                             f"校验规则可能已经改变，不能直接使用；{again}",
                             f"{where} was converted and validated by liftcheck {body.get('liftcheck_version')}, this is "
                             f"{__version__}: validation may have changed, so it is not read; {again_en}")
    if body.get("contract_sha256") != contract_digest():
        raise LiftcheckError(f"{where} 转换时的数据规范（schemas/）与当前的不同，不能直接使用；{again}",
                             f"{where} was converted under another data contract (schemas/); {again_en}")
    return Manifest(body)


# ---- writing -------------------------------------------------------------------------------


def bucket_count(elevators: int) -> int:
    return max(1, min(MAX_BUCKETS, -(-elevators // ELEVATORS_PER_BUCKET)))


def unit_buckets(sub: Submission, buckets: int, first: int = 0) -> pl.DataFrame:
    """use_unit_id -> bucket (first … first + buckets - 1): the units in id order, dealt
    round-robin (as engine.partition does)."""
    ids = [sub.table(name).select("use_unit_id") for name in sub.tables if "use_unit_id" in sub.table(name).columns]
    units = pl.concat(ids, how="vertical").drop_nulls().unique().sort("use_unit_id") if ids else \
        pl.DataFrame(schema={"use_unit_id": pl.String})
    return units.with_row_index("_i").select("use_unit_id", (first + pl.col("_i") % buckets).cast(pl.Int32).alias("bucket"))


def _with_bucket(df: pl.DataFrame, units: pl.DataFrame, elevator_units: pl.DataFrame, first: int) -> pl.DataFrame:
    """A record about an elevator goes with its elevator's unit; a unit's own record with its unit.
    (Validation lets no record name an unknown elevator; the first bucket would keep one all the same.)"""
    if "elevator_id" in df.columns:
        df = df.join(elevator_units, on="elevator_id", how="left", maintain_order="left")
    else:
        df = df.join(units, on="use_unit_id", how="left", maintain_order="left")
    return df.with_columns(pl.col("bucket").fill_null(first))


class DatasetWriter:
    """Writes a dataset folder from one validated submission (`liftcheck convert`) or from several
    that share no use unit and no id (a province generated part by part, benchmarks/bench_province.py);
    each part gets buckets of its own, so that memory stays that of one part."""

    def __init__(self, out: Path, source: str):
        self.out, self.source = Path(out), source
        self.out.mkdir(parents=True)
        self.buckets = 0
        self.parts = 0
        self.tables: dict[str, dict] = {}
        self.present: set[str] = set()
        self.counts: dict[str, int] = {}
        self.history: dict[str, dt.date] = {}
        self.declared: dict[str, dt.date] = {}
        self.unknown: list[str] = []
        self.problems: list[pl.DataFrame] = []
        self.units: list[pl.DataFrame] = []
        self.organizations: pl.DataFrame | None = None
        self.files: dict[str, list[str]] = {}

    def add(self, sub: Submission, buckets: int | None = None, valid_records_only: bool = False) -> None:
        """A submission with errors only as `valid_records_only` (a temporary dataset of
        --skip-invalid's records)."""
        if sub.error_count and not valid_records_only:
            raise LiftcheckError("提交的数据有错误，不能写成数据集", "the submission has errors; it cannot be written as a dataset")
        elevators = sub.table("elevators")
        buckets = buckets or bucket_count(elevators.height)
        first, part = self.buckets, self.parts
        units = unit_buckets(sub, buckets, first)
        elevator_units = elevators.select("elevator_id", "use_unit_id").join(units, on="use_unit_id", how="left") \
            .select("elevator_id", "bucket")
        for name in record_types():
            if name not in sub.present_types:
                continue
            df = sub.table(name)
            if name == "organizations":
                df = self._new_organizations(df)
            entry = self.tables.setdefault(name, {"rows": 0, "layout": "whole" if name in WHOLE else "buckets",
                                                  "files": []})
            entry["rows"] += df.height
            if name in WHOLE:
                self._write(df, name, f"part-{part}.parquet")
                continue
            pieces = _with_bucket(df, units, elevator_units, first).partition_by("bucket", as_dict=True,
                                                                                  include_key=False)
            for k in range(first, first + buckets):
                self._write(pieces.get((k,), df.clear()), name, f"bucket={k}", f"part-{part}.parquet")
        self.buckets += buckets
        self.parts += 1
        self.present |= sub.present_types
        for name in sub.present_types:
            self.counts[name] = self.counts.get(name, 0) + sub.record_counts.get(name, sub.table(name).height)
        for name, day in sub.history.items():   # parts together hold what the earliest says
            self.history[name] = min(day, self.history.get(name, day))
        for name, day in sub.declared_from.items():
            self.declared[name] = min(day, self.declared.get(name, day))
        self.unknown += [f for f in sub.unknown_files if f not in self.unknown]
        for name, files in sub.files.items():
            self.files.setdefault(name, []).extend(f for f in files if f not in self.files.get(name, []))
        self.problems.append(sub.problems)
        self.units.append(units)

    def _new_organizations(self, df: pl.DataFrame) -> pl.DataFrame:
        """Parts may list the same organisation (a manufacturer serving several): it is written
        once; the same id with other details is refused rather than one of them kept silently."""
        fields = record_types()["organizations"].field_names
        if self.organizations is None:
            self.organizations = df
            return df
        seen = df.filter(pl.col("org_id").is_in(self.organizations.get_column("org_id").implode()))
        other = seen.select(fields).join(self.organizations.select(fields), on=fields, how="anti", nulls_equal=True)
        if other.height:
            org_id = other.get_column("org_id")[0]
            raise LiftcheckError(f"单位 {org_id} 在两部分数据中的信息不同", f"organisation {org_id} differs between two parts")
        df = df.filter(~pl.col("org_id").is_in(seen.get_column("org_id").implode()))
        self.organizations = pl.concat([self.organizations, df], how="vertical")
        return df

    def _write(self, df: pl.DataFrame, *path: str) -> None:
        target = self.out.joinpath(*path)
        target.parent.mkdir(parents=True, exist_ok=True)
        df.write_parquet(target)
        self.tables[path[0]]["files"].append("/".join(path))

    def close(self) -> Manifest:
        pl.concat(self.problems, how="vertical").write_parquet(self.out / "problems.parquet")
        pl.concat(self.units, how="vertical").write_parquet(self.out / "use_units.parquet")
        body = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "liftcheck_version": __version__,
            "contract_sha256": contract_digest(),
            "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "source": self.source,
            "partition_key": "use_unit_id", "buckets": self.buckets,
            "present_types": sorted(self.present),
            "record_counts": {n: self.counts[n] for n in record_types() if n in self.counts},
            "history": {n: d.isoformat() for n, d in sorted(self.history.items())},
            "declared_from": {n: d.isoformat() for n, d in sorted(self.declared.items())},
            "unknown_files": self.unknown,
            "files": self.files,          # record type -> the files (sheets) it came from
            "tables": self.tables,
        }
        (self.out / MANIFEST).write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return Manifest(body)


def write_dataset(sub: Submission, out: Path, source: str, buckets: int | None = None,
                  valid_records_only: bool = False) -> Manifest:
    """Write a validated submission as a dataset folder `out`, which must not exist."""
    writer = DatasetWriter(out, source)
    writer.add(sub, buckets, valid_records_only)
    return writer.close()


def check_target(out: Path, source: Path, force: bool) -> None:
    """Refuse, before any work, an output folder that exists (unless `force` and it is a dataset
    or empty: never a folder that is not one) or that is, or holds, the submission itself."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not force:
            raise LiftcheckError(f"{out} 已存在，未覆盖（要替换它请加 --force）",
                                 f"{out} already exists; not overwritten (use --force to replace it)")
        if out.is_symlink() or not out.is_dir() or not (is_dataset(out) or not any(out.iterdir())):
            raise LiftcheckError(f"{out} 已存在且不是 liftcheck 数据集：即使加了 --force 也不会删除它，请换一个输出文件夹",
                                 f"{out} exists and is not a liftcheck dataset: it is not deleted even with --force; "
                                 "choose another output folder")
    target, src = out.resolve(), Path(source).resolve()
    if target == src or target in src.parents:
        raise LiftcheckError(f"{out} 是提交的数据本身或包含它：不能写在这里",
                             f"{out} is, or holds, the submission itself: not written there")


def convert(sub: Submission, out: Path, source: Path, force: bool = False, buckets: int | None = None) -> Manifest:
    """Write `sub` (read from `source`) to `out` without ever leaving a half-written dataset;
    with `force`, replace an existing dataset."""
    check_target(out, source, force)
    target = Path(out).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.converting-", dir=target.parent))
    try:
        manifest = write_dataset(sub, staging / "dataset", str(Path(source).resolve()), buckets)
        if target.exists():
            target.rename(staging / "replaced")
        (staging / "dataset").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


# ---- reading -------------------------------------------------------------------------------


def _submission(manifest: Manifest, tables: dict[str, pl.DataFrame], problems: pl.DataFrame) -> Submission:
    body = manifest.body
    return Submission(tables=tables, present_types=manifest.present_types, problems=problems,
                      unknown_files=list(body["unknown_files"]), record_counts=dict(body["record_counts"]),
                      files={n: list(f) for n, f in body["files"].items()},
                      rejected_counts={n: 0 for n in body["record_counts"]}, history=manifest.history,
                      declared_from=manifest.declared_from)


def _problems(location: Location) -> pl.DataFrame:
    return _read_parquet([_join(location, "problems.parquet")]).cast(PROBLEM_SCHEMA)


def read_dataset(location: Location) -> Submission:
    """The whole dataset as a validated Submission."""
    manifest = read_manifest(location)
    tables = {name: _read_parquet([_join(location, *f.split("/")) for f in info["files"]])
              for name, info in manifest.body["tables"].items()}
    return _submission(manifest, tables, _problems(location))


def read_organizations(location: Location) -> tuple[Manifest, Submission]:
    """What the central side of a distributed sweep needs: the manifest, the organisations
    (for credit and names) and the warnings; no record of any elevator."""
    manifest = read_manifest(location)
    tables = {}
    if "organizations" in manifest.present_types:
        files = manifest.body["tables"]["organizations"]["files"]
        tables["organizations"] = _read_parquet([_join(location, *f.split("/")) for f in files])
    return manifest, _submission(manifest, tables, _problems(location))


def read_bucket(location: Location, bucket: int, manifest: Manifest | None = None) -> Submission:
    """One bucket: its units' elevators and records, every organisation, and the assessment
    reports its elevators or its fund applications name (as engine.partition)."""
    manifest = manifest or read_manifest(location)
    tables = {}
    for name, info in manifest.body["tables"].items():
        files = info["files"] if info["layout"] == "whole" else \
            [f for f in info["files"] if f.split("/")[1] == f"bucket={bucket}"]
        tables[name] = _read_parquet([_join(location, *f.split("/")) for f in files])
    if "assessments" in tables:
        ids = tables["elevators"].get_column("elevator_id") if "elevators" in tables else pl.Series([], dtype=pl.String)
        named = (tables["fund_applications"].get_column("assessment_id").drop_nulls()
                 if "fund_applications" in tables else pl.Series([], dtype=pl.String))
        tables["assessments"] = tables["assessments"].filter(
            pl.col("elevator_id").is_in(ids.implode()) | pl.col("assessment_id").is_in(named.implode()))
    return _submission(manifest, tables, pl.DataFrame(schema=PROBLEM_SCHEMA))
