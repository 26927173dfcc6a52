"""Nothing a firm uploads takes the portal down (issue 25, finding 1), measured on a real server.

`liftcheck serve` runs as its own process whose address space is capped at 4 GiB (on the base
a million columns took the server to 6.4 GB, a 200 MB line to 10.2 GB); each hostile upload of
tests/portal_hostile.py within the 20 MB limit must answer 400 or 413 in both languages —
never 500, never no answer — store nothing, leave the server answering, and leave the server
process under 1 GB resident at its peak (its upload worker is capped at 1.25 GiB of address
space by construction, worker.py).
"""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import polars as pl
import pytest

import portal_hostile
from portal_support import FIRM_A, build, write_demo

SERVER_AS = 4 * 1024 ** 3
SERVER_PEAK = 1024 ** 3


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounds")
    h = build(str(folder / "portal.sqlite"), write_demo(folder / "data"))
    elevator = h.elevators().filter(pl.col("use_unit_id") == FIRM_A).sort("elevator_id")["elevator_id"][0]
    token = h.tokens["use_unit"]
    h.store.engine.dispose()
    port = _port()
    log = open(folder / "server.log", "wb")

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (SERVER_AS, SERVER_AS))

    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--db", str(folder / "portal.sqlite"),
                             "--port", str(port)], cwd=Path(__file__).resolve().parents[1], stdout=log, stderr=log,
                            preexec_fn=cap)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((folder / "server.log").read_text()[-2000:])
            time.sleep(0.5)
    yield {"url": base, "token": token, "elevator": elevator, "folder": folder, "pid": proc.pid}
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _post(server, path: Path):
    boundary = "liftcheck-bounds"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(server["url"] + "/api/submissions", data=body, method="POST", headers={
        "Authorization": f"Bearer {server['token']}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=600) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _version(server) -> int:
    return json.loads(urllib.request.urlopen(server["url"] + "/healthz", timeout=10).read())["data_version"]


@pytest.mark.parametrize("case", ["size-lie", "wide", "long-line"])
def test_a_hostile_upload_is_refused_in_both_languages_and_the_server_stays_small(server, case, tmp_path):
    path = {"size-lie": lambda: portal_hostile.size_lie_workbook(tmp_path / "日检.xlsx", elevator_id=server["elevator"]),
            "wide": lambda: portal_hostile.wide_csv_zip(tmp_path / "日检.zip"),
            "long-line": lambda: portal_hostile.long_line_zip(tmp_path / "日检.zip")}[case]()
    assert path.stat().st_size < 20 * 1024 * 1024
    before = _version(server)
    t0 = time.monotonic()
    status, body = _post(server, path)
    seconds = time.monotonic() - t0
    assert status in (400, 413), (case, status, body)
    assert body["detail"]["zh"].startswith(path.name) and body["detail"]["en"].startswith(path.name), body
    assert seconds < 180, seconds
    assert _version(server) == before   # nothing stored, and the server still answers
    peak = _status_kb(server["pid"], "VmHWM") * 1024
    print(f"{case}: {status} in {seconds:.1f} s; server peak {peak / 1e6:.0f} MB; {body['detail']['en'][:120]}")
    assert peak < SERVER_PEAK, peak
