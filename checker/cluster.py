"""The sweep on a Dask cluster: each worker reads and judges its use-unit partitions of a
Parquet dataset; the verdicts come back, the report and the ledger are made once, here.

    liftcheck check DATASET --from … --to … --cluster tcp://scheduler:8786   # a running cluster
    liftcheck check DATASET --from … --to … --cluster local:4                # 4 worker processes here

What travels: to each worker the dataset's location (a shared path or an fsspec URL, never
the records), the bucket number, and the rule book and parameters in force (a few tens of
kB, sent once); back, the bucket's verdicts (violations, pending, rule statuses, the
unjudged list, closed-loop counts per district) and how long it took. A bucket holds whole
use units (checker/columnar.py), which is all the engine needs to judge them on their own
(engine.partition): the merged verdicts are those of the single-machine sweep.
docs/cluster.md explains running it on several hosts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import resource
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter

from checker import columnar
from checker.engine import Evaluation, evaluate, merge
from checker.errors import LiftcheckError
from checker.params import ParameterSet
from checker.rulebook import RuleBook
from checker.validate import Submission
from checker.verdicts import Pending


@dataclass
class PartitionRun:
    """How one bucket went on its worker (figures for the benchmark and the national model)."""

    bucket: int
    worker: str
    seconds: float          # read + judge
    read_seconds: float
    peak_rss_mb: float      # the worker process's peak resident memory so far
    elevators: int


@dataclass
class BucketVerdicts:
    """What a worker sends back: the verdicts, not the records they were drawn from. Violations
    travel as the engine's frames (Arrow buffers when pickled) and pending obligations as JSON
    (pydantic writes and reads it in Rust): much cheaper than pickling tens of thousands of
    dicts."""

    evaluation: Evaluation      # verdicts, statuses, unjudged, closed-loop counts, parameters used
    pending: bytes
    run: PartitionRun

    def merged_form(self) -> Evaluation:
        return dataclasses.replace(self.evaluation, pending=_PENDING.validate_json(self.pending))


_PENDING = TypeAdapter(list[Pending])


def judge_bucket(location: columnar.Location, bucket: int, book: RuleBook, params: ParameterSet,
                 start: dt.date, end: dt.date, only: list[str] | None,
                 declared_by_unit: dict | None = None) -> BucketVerdicts:
    """Runs on a worker: read bucket `bucket` of the dataset and judge it, with the history starts
    a ledger kept per unit (R3-A 1) when the sweep records in one."""
    t0 = time.perf_counter()
    sub = columnar.read_bucket(location, bucket)
    sub.declared_by_unit = declared_by_unit or {}
    t1 = time.perf_counter()
    result = evaluate(sub, book, params, start, end, only=only)
    run = PartitionRun(bucket=bucket, worker=f"{socket.gethostname()}:{os.getpid()}",
                       seconds=time.perf_counter() - t0, read_seconds=t1 - t0,
                       peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                       elevators=sub.table("elevators").height)
    return BucketVerdicts(dataclasses.replace(result, facts=None, submission=None, pending=[]),
                          _PENDING.dump_json(result.pending), run)


def _client(spec: str):
    """A Dask client for `tcp://HOST:PORT` (a running scheduler) or `local:N` (N worker
    processes on this machine, closed afterwards)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise LiftcheckError("--cluster 需要 Dask：pip install 'liftcheck[cluster]'",
                             "--cluster needs Dask: pip install 'liftcheck[cluster]'") from None
    if spec.startswith("local:"):
        n = spec.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise LiftcheckError(f"--cluster {spec}：local: 后应为工作进程数，如 local:2",
                                 f"--cluster {spec}: local: takes a number of worker processes, e.g. local:2")
        workers = int(n)
        # each worker one task at a time, polars sharing the cores among the workers
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR, env={"POLARS_MAX_THREADS": threads})
        return Client(cluster), cluster
    if spec.startswith(("tcp://", "tls://", "inproc://")) or spec.count(":") == 1:
        try:
            return Client(spec, timeout="30s"), None
        except (OSError, TimeoutError) as exc:
            raise LiftcheckError(f"--cluster {spec}：连不上 Dask 调度器：{exc}",
                                 f"--cluster {spec}: cannot reach the Dask scheduler: {exc}") from None
    raise LiftcheckError(f"--cluster {spec}：应为 tcp://主机:端口 或 local:工作进程数",
                         f"--cluster {spec}: expected tcp://HOST:PORT or local:N")


def judge_on_cluster(location: columnar.Location, spec: str, book: RuleBook, params: ParameterSet,
                     start: dt.date, end: dt.date, only: list[str] | None = None,
                     client=None, declared_by_unit: dict | None = None) -> tuple[Submission, Evaluation, list[PartitionRun]]:
    """Judge every bucket of the dataset at `location` on the cluster `spec` (or on `client`)
    and merge the verdicts. Returns the central submission (organisations and warnings only),
    the merged evaluation and a PartitionRun per bucket."""
    manifest, central = columnar.read_organizations(location)
    own = client is None
    cluster = None
    if own:
        client, cluster = _client(spec)
    try:
        book_f, params_f = client.scatter([book, params], broadcast=True)
        futures = [client.submit(judge_bucket, location, k, book_f, params_f, start, end, only, declared_by_unit,
                                 pure=False)
                   for k in range(manifest.buckets)]
        done = client.gather(futures)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return central, merge([d.merged_form() for d in done], central, params), [d.run for d in done]


def refuse_unshared(path, spec: str) -> None:
    """A CSV or Excel submission with a remote cluster: its workers could not read a temporary
    dataset on this machine, so say how to make one they can read (before any work is done)."""
    if spec.startswith("local:"):
        return
    raise LiftcheckError(
        f"{path} 不是 Parquet 数据集：集群上的工作进程自己读取数据。请先运行 liftcheck convert {path} 输出文件夹/，"
        "把输出放在每台工作机都能读到的地方（共享文件系统或对象存储），再对它运行 check --cluster",
        f"{path} is not a Parquet dataset: the cluster's workers read the data themselves. Run liftcheck convert "
        f"{path} OUT/ first, put OUT/ where every worker host can read it (a shared file system or an object "
        "store), and run check --cluster on it")


def dataset_for(path, submission: Submission | None, spec: str):
    """(location, staging): the dataset the workers read. A Parquet dataset (a folder or a URL)
    is read where it is. A CSV or Excel submission, validated here as usual, is written to a
    temporary dataset for `local:N`, whose workers share this machine's disk (`staging`, to be
    cleaned up by the caller)."""
    if submission is None:
        return (str(path) if columnar.is_url(str(path)) else Path(path)), None
    refuse_unshared(path, spec)
    staging = tempfile.TemporaryDirectory(prefix="liftcheck-cluster-")
    target = Path(staging.name) / "dataset"
    workers = int(spec.removeprefix("local:")) if spec.removeprefix("local:").isdigit() else 1
    buckets = max(columnar.bucket_count(submission.table("elevators").height), workers)
    columnar.write_dataset(submission, target, str(path), buckets, valid_records_only=True)
    return target, staging
