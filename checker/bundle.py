"""Signed, replayable verdict bundles: one zip that shows, years later and offline, that a
sweep's verdicts followed from those records under that rule book (issue 23; docs/bundles.md).

`liftcheck check … --bundle sweep.zip [--sign-key KEY]` writes

    report.json             the JSON report, byte for byte what `--format json -o` writes
    manifest.json           every input file (name, size, SHA-256); how the sweep was called;
                            liftcheck's version and a digest of its code; the libraries that
                            decide verdicts; an outline (a digest per key) of every YAML file
    rules/…                 the rules folder it judged by: rule files, definitions, parameters,
                            credit schedule, schema (the files themselves)
    params/F, credit/F, overlay/F   the --params, --credit and --rules files, when given
    contract/*.schema.json  the record contract the submission was validated against
    keys/signer.pub         the public half of the key that signed it (a signed bundle)
    attestation.dsse.json   an in-toto Statement v1 whose subjects are all the files above with
                            their SHA-256, in a DSSE envelope signed with Ed25519

and `liftcheck verify sweep.zip [--data PATH] [--key PUB]` checks the signature, every file's
digest, the data's digests, then re-judges the data with the bundle's own rule book
(resources.data_folders) and says "identical" or which verdicts differ, by fingerprint.

The formats follow the in-toto Attestation Framework v1 (spec/v1/statement.md, envelope.md,
resource_descriptor.md, digest_set.md of github.com/in-toto/attestation) and DSSE v1
(protocol.md, envelope.md of github.com/secure-systems-lab/dsse): the signature is over
PAE(payloadType, payload), never over the payload alone, and the payload is read only after
it verified.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import platform
import stat
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from checker import __version__
from checker.errors import LiftcheckError
from checker.resources import data_dir
from checker.text import visible

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
# A TypeURI of our own (in-toto field_types.md: a URI, versioned, need not resolve). The project
# has no published domain; .invalid (RFC 2606) can never be someone else's. docs/bundles.md
# describes the predicate; a new major version of it gets a new URI.
PREDICATE_TYPE = "https://liftcheck.invalid/attestation/sweep/v1"
BUNDLE_FORMAT = "liftcheck-bundle/1"

ENVELOPE = "attestation.dsse.json"
MANIFEST = "manifest.json"
REPORT = "report.json"
SIGNER = "keys/signer.pub"

PRIVATE_KEY_NAME = "liftcheck-signing.key"
PUBLIC_KEY_NAME = "liftcheck-signing.pub"
# The project's demo key (docs/keys/liftcheck-demo.pub): its private half is SHA-256 of a sentence
# published in docs/bundles.md, so anyone can sign with it; a signature by it shows a bundle
# unchanged, never who made it, and verify says so.
DEMO_KEY_ID = "60254920ba6204bb8c57eb22985d4bae67dff135ebcf2d0ad6501c45afa54ea8"

# The libraries whose behaviour decides a verdict: reading (fastexcel, defusedxml, pyyaml,
# jsonschema), judging (polars, numpy), typing (pydantic) and writing the report (orjson).
VERDICT_LIBRARIES = ("polars", "polars-runtime-32", "polars-runtime-64", "numpy", "pydantic", "pydantic-core", "PyYAML",
                     "jsonschema", "fastexcel", "defusedxml", "orjson")

# A bundle is read entry by entry; these bound what an untrusted one can make verify do.
MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 16 * 2**30
MAX_SMALL_BYTES = 64 * 2**20     # the envelope, the manifest, a key, a rule file
CHUNK = 1 << 20


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- DSSE (protocol.md, "Signature Definition") --------------------------------------------

def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
    LEN the byte length in ASCII decimal. The signature covers this, binding the type."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def _b64decode(text: Any) -> bytes:
    """Standard or URL-safe base64, padded or not (DSSE: verifiers MUST accept either)."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    s = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


# ---- keys ------------------------------------------------------------------------------------

def key_id(public_key) -> str:
    """The key's id: SHA-256 of its 32 raw bytes, in hex. Read it aloud or publish it to say
    which key a regulator signs with; DSSE carries it only as a hint."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _sha256(raw)


def public_pem(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_keys(folder: Path) -> tuple[Path, Path, str]:
    """A new Ed25519 key pair in `folder`: the private key readable by its owner only (0600),
    the public key beside it. Neither file is ever overwritten."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise LiftcheckError(f"{visible(folder)} 已存在且不是文件夹", f"{visible(folder)} exists and is not a folder")
    private, public = folder / PRIVATE_KEY_NAME, folder / PUBLIC_KEY_NAME
    for path in (private, public):
        if os.path.lexists(path):
            raise LiftcheckError(f"{visible(path)} 已存在：密钥文件从不覆盖（换一个文件夹，或先自行移走旧密钥）",
                                 f"{visible(path)} exists: key files are never overwritten (use another folder, "
                                 "or move the old key away yourself)")
    if not folder.exists():
        parent = Path(os.path.abspath(folder)).parent
        if not parent.is_dir():
            raise LiftcheckError(f"{visible(folder)} 的上级文件夹 {visible(parent)} 不存在",
                                 f"the folder above {visible(folder)}, {visible(parent)}, does not exist")
        folder.mkdir(mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # O_EXCL: a file that appeared meanwhile is not overwritten; 0600 from the first byte on
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):   # the umask may only have narrowed 0600; say it whole anyway
            os.fchmod(fd, 0o600)
        os.write(fd, pem)
    finally:
        os.close(fd)
    fd = os.open(public, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        os.write(fd, public_pem(key.public_key()))
    finally:
        os.close(fd)
    return private, public, key_id(key.public_key())


def read_private_key(path: Path):
    """An Ed25519 private key from a PEM file (`liftcheck keys new`), refused with why otherwise."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    shown = visible(path)
    data = _read_key_file(path, "签名私钥", "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise LiftcheckError(f"签名私钥 {shown} 有口令保护，liftcheck 只读取无口令的私钥（请把私钥放在加密的磁盘上，见 docs/bundles.md）",
                             f"signing key {shown} is protected by a passphrase; liftcheck reads unencrypted keys only "
                             "(keep the key on an encrypted disk instead, see docs/bundles.md)") from None
    except ValueError:
        raise LiftcheckError(f"{shown} 不是 PEM 格式的私钥（用 liftcheck keys new 生成）",
                             f"{shown} is not a PEM private key (make one with liftcheck keys new)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LiftcheckError(f"{shown} 不是 Ed25519 私钥；检查包只用 Ed25519 签名（liftcheck keys new）",
                             f"{shown} is not an Ed25519 key; bundles are signed with Ed25519 only (liftcheck keys new)")
    return key


def loose_permissions(path: Path) -> int | None:
    """The mode of a private key file that others may read, or None."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode if mode & 0o077 else None


def read_public_key(data: bytes, label: str):
    """An Ed25519 public key from PEM bytes; `label` names where they came from."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise LiftcheckError(f"{label} 不是 PEM 格式的公钥", f"{label} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LiftcheckError(f"{label} 不是 Ed25519 公钥", f"{label} is not an Ed25519 public key")
    return key


def _read_key_file(path: Path, what_zh: str, what_en: str) -> bytes:
    shown = visible(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise LiftcheckError(f"找不到{what_zh} {shown}", f"{what_en} {shown} not found") from None
    if not stat.S_ISREG(mode):
        raise LiftcheckError(f"{what_zh} {shown} 不是普通文件", f"{what_en} {shown} is not a regular file")
    if os.stat(path).st_size > 64 * 1024:
        raise LiftcheckError(f"{what_zh} {shown} 太大，不是密钥文件", f"{what_en} {shown} is too large to be a key file")
    return Path(path).read_bytes()


# ---- what a sweep read ---------------------------------------------------------------------

@dataclass(frozen=True)
class InputFile:
    name: str                      # relative to the submission, POSIX separators
    size: int
    sha256: str


def _stamp(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def submission_files(path: Path) -> list[tuple[str, Path]]:
    """The files a check of `path` reads, by name: the workbook itself; every file of a Parquet
    dataset (liftcheck convert); or the record files (and the declaration) of a folder,
    exactly those load_submission opens."""
    from checker.columnar import is_dataset
    from checker.declaration import DECLARATION_FILE
    from checker.files import loader_reads, scan_folder

    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise LiftcheckError(f"找不到提交的数据：{visible(path)}", f"submission not found: {visible(path)}") from None
    if not stat.S_ISDIR(mode):
        return [(path.name, path)]
    if is_dataset(path):
        found = []
        for root, folders, files in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    file = Path(root) / name
                    found.append((file.relative_to(path).as_posix(), file))
        return found
    files, _ = scan_folder(path)
    return [(f.name, f) for f in files if loader_reads(f) or f.name == DECLARATION_FILE]


def file_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read in 1 MiB pieces (hashlib releases the interpreter
    while it hashes, so this runs beside the sweep on another core)."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return size, h.hexdigest()


def file_pieces(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as fh:
        while piece := fh.read(8 * CHUNK):
            yield piece


class InputDigests:
    """The digests of a submission's files, computed in a thread while the sweep runs. `take`
    waits for them and refuses when a file changed between its digest and the end of the sweep
    (the bundle would vouch for bytes nobody judged)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.files = submission_files(self.path)   # in this thread: a bad folder is refused at once
        self._found: list[tuple[InputFile, Path, tuple]] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="liftcheck-input-digests", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            found = []
            for name, path in self.files:
                before = _stamp(path)
                size, digest = file_digest(path)
                found.append((InputFile(name, size, digest), path, before))
            self._found = found
        except BaseException as exc:   # noqa: BLE001 - handed to the caller's thread in take()
            self._error = exc

    def take(self) -> list[InputFile]:
        self._thread.join()
        if self._error is not None:
            if isinstance(self._error, OSError):
                raise LiftcheckError(f"无法读取 {visible(self._error.filename)}：{self._error.strerror}",
                                     f"cannot read {visible(self._error.filename)}: {self._error.strerror}")
            raise self._error
        assert self._found is not None
        for item, path, before in self._found:
            try:
                now = _stamp(path)
            except OSError:
                now = None
            if now != before:
                raise LiftcheckError(f"{visible(path)} 在检查期间被改动，检查包未写入（请在数据不再变动时重新检查）",
                                     f"{visible(path)} changed while it was being checked; the bundle was not written "
                                     "(check again once the data has stopped changing)")
        return [item for item, _, _ in self._found]


# ---- what a sweep judged by ----------------------------------------------------------------

def _folder_files(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` (hidden names and caches left out), by relative name."""
    out = {}
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "__pycache__")
        for name in sorted(files):
            if not name.startswith("."):
                file = Path(root) / name
                out[file.relative_to(folder).as_posix()] = file.read_bytes()
    return out


def _library_versions() -> dict[str, str]:
    out = {}
    for name in VERDICT_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def code_digest() -> str:
    """SHA-256 over liftcheck's own Python files (name and bytes, sorted by name): the version
    number alone does not change with every commit; this does."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if "_data" in path.relative_to(package).parts:
            continue
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def environment() -> dict[str, Any]:
    return {"liftcheck": __version__, "code_sha256": code_digest(),
            "python": platform.python_version(), "platform": f"{platform.system()}-{platform.machine()}",
            "libraries": _library_versions()}


def _canonical(value: Any) -> Any:
    """A YAML value as JSON can say it (dates and other keys as text), for a stable digest."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _value_digest(value: Any) -> str:
    text = json.dumps(_canonical(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return _sha256(text.encode("utf-8"))[:16]


def outline(name: str, data: bytes) -> dict[str, str] | None:
    """A YAML file as digests of its keys, two levels deep ("maintenance.dense_max_interval_days",
    "maintenance.dense_max_interval_days/values"), so that verify can name the parameter, the
    rule field or the definition a tampered file changed. None for files that are not YAML
    mappings."""
    if not name.endswith((".yaml", ".yml")):
        return None
    import yaml

    try:
        body = yaml.load(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    out = {}
    for key, value in body.items():
        out[str(key)] = _value_digest(value)
        if isinstance(value, dict):
            for inner, v in value.items():
                out[f"{key}/{inner}"] = _value_digest(v)
    return out


def outline_changes(before: dict[str, str], after: dict[str, str] | None) -> list[str]:
    """The keys of an outline that changed, the deepest that say it (a changed value under an
    unchanged top-level key cannot be: the top level changes with it)."""
    if after is None:
        return []
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return sorted(k for k in changed if "/" in k or not any(c.startswith(k + "/") for c in changed))


class RuleSnapshot:
    """The bytes of every file a sweep judges by, read before it starts; `files` at the end
    refuses if any changed meanwhile (the bundle must hold exactly what was used)."""

    def __init__(self, params_file: Path | None, credit_file: Path | None, rules_dir: Path | None):
        self.rules = _folder_files(data_dir("rules"))
        self.contract = _folder_files(data_dir("schemas"))
        self.params_file, self.credit_file = params_file, credit_file
        # what the loaders will say of a missing file is theirs to say: only what exists is kept here
        self.params = _bytes_if_file(params_file)
        self.credit = _bytes_if_file(credit_file)
        self.overlay = {p.name: p.read_bytes() for p in Path(rules_dir).iterdir()
                        if p.suffix in (".yaml", ".yml") and p.is_file()} if rules_dir and Path(rules_dir).is_dir() else {}

    def files(self, overlay_paths: list[Path]) -> dict[str, bytes]:
        out = {f"rules/{n}": b for n, b in self.rules.items()}
        out |= {f"contract/{n}": b for n, b in self.contract.items()}
        if _folder_files(data_dir("rules")) != self.rules:
            raise LiftcheckError("规则文件夹在检查期间被改动，检查包未写入", "the rules folder changed during the check; "
                                 "the bundle was not written")
        for data, path, where in ((self.params, self.params_file, "params"), (self.credit, self.credit_file, "credit")):
            if path is None:
                continue
            if Path(path).read_bytes() != data:
                raise LiftcheckError(f"{visible(path)} 在检查期间被改动，检查包未写入",
                                     f"{visible(path)} changed during the check; the bundle was not written")
            out[f"{where}/{_safe_name(Path(path).name)}"] = data
        for path in overlay_paths:
            data = path.read_bytes()
            if self.overlay.get(path.name) != data:
                raise LiftcheckError(f"{visible(path)} 在检查期间被改动，检查包未写入",
                                     f"{visible(path)} changed during the check; the bundle was not written")
            out[f"overlay/{_safe_name(path.name)}"] = data
        return out


def _bytes_if_file(path: Path | None) -> bytes | None:
    return Path(path).read_bytes() if path is not None and Path(path).is_file() else None


def _safe_name(name: str) -> str:
    """A file name as an entry of the zip: no folder separators, nothing hidden."""
    cleaned = name.replace("/", "_").replace("\\", "_").lstrip(".")
    return cleaned or "file"


# ---- writing -------------------------------------------------------------------------------

@dataclass
class Sweep:
    """How a check was called: what verify needs to make the same call."""

    start: dt.date
    end: dt.date
    only: list[str]
    skip_invalid: bool
    # record type -> use unit -> the history start a ledger kept (R3-A 1): the check judged with it,
    # so verify judges with it too (the ledger itself is not in the bundle)
    declared_by_unit: dict | None = None


def _zip_info(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class BundleWriter:
    """Everything `check --bundle` needs before the sweep starts (the key, the rule book's
    bytes, the inputs' digests under way), so that a bad key or folder is refused before any work."""

    def __init__(self, submission: Path, params_file: Path | None, credit_file: Path | None, rules_dir: Path | None,
                 sign_key: Path | None):
        self.key = read_private_key(sign_key) if sign_key is not None else None
        self.snapshot = RuleSnapshot(params_file, credit_file, rules_dir)
        self.digests = InputDigests(submission)
        self.submission = Path(submission)

    def write(self, target: Path, run, sweep: Sweep, report_pieces: Iterable[bytes]) -> dict:
        """The bundle, written whole or not at all. Returns the statement's predicate."""
        from checker.columnar import is_dataset
        from checker.outputs import atomic_output

        inputs = self.digests.take()
        overlay_paths = [p for overlay in run.book.overlays for p in overlay.files]
        files = self.snapshot.files(overlay_paths)
        report = run.report
        made_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        manifest = {
            "format": BUNDLE_FORMAT,
            "made_at": made_at.isoformat().replace("+00:00", "Z"),
            "made_by": environment(),
            "sweep": {
                "submission": self.submission.name,
                "kind": "workbook" if self.submission.is_file() else "dataset" if is_dataset(self.submission) else "folder",
                "from": sweep.start.isoformat(), "to": sweep.end.isoformat(),
                "only": sweep.only, "skip_invalid": sweep.skip_invalid,
                "params": next((n for n in files if n.startswith("params/")), None),
                "credit": next((n for n in files if n.startswith("credit/")), None),
                # the path each overlay file had, as the report names it
                "overlay": [{"file": f"overlay/{_safe_name(p.name)}", "as_given": str(p)} for p in overlay_paths],
                "ruleset": report["ruleset"],
                "ledger": report["summary"].get("ledger"),
                "declared_by_unit": {t: {u: d.isoformat() for u, d in sorted(units.items())}
                                     for t, units in sorted((sweep.declared_by_unit or {}).items())},
            },
            "inputs": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in inputs],
            "outlines": {n: o for n, b in files.items() if (o := outline(n, b)) is not None},
            "report": {"file": REPORT, "violations": report["summary"]["violations"],
                       "exit_status": report["summary"]["exit_status"]},
        }
        digests: dict[str, str] = {}
        with atomic_output(target) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            # the report is most of a bundle: deflate at level 1 packs a city-year's 64.6 MiB into
            # 6.6 MiB in 0.21 s of CPU, level 6 takes 0.44 s for a quarter less (measured, docs/benchmarks.md)
            info = _zip_info(REPORT, made_at)
            info._compresslevel = 1   # what ZipFile.open(info, "w") compresses with (3.7+; compress_level in 3.13)
            h = hashlib.sha256()
            with zf.open(info, "w", force_zip64=True) as fh:
                for piece in report_pieces:
                    h.update(piece)
                    fh.write(piece)
            digests[REPORT] = h.hexdigest()
            if self.key is not None:
                files[SIGNER] = public_pem(self.key.public_key())
            files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
            for name in sorted(files):
                zf.writestr(_zip_info(name, made_at), files[name])
                digests[name] = _sha256(files[name])
            predicate = {"manifest": MANIFEST, "report": REPORT, "period": report["period"], "ruleset": report["ruleset"],
                         "violations": report["summary"]["violations"], "liftcheck": __version__,
                         "made_at": manifest["made_at"]}
            statement = {"_type": STATEMENT_TYPE,
                         "subject": [{"name": n, "digest": {"sha256": digests[n]}} for n in sorted(digests)],
                         "predicateType": PREDICATE_TYPE, "predicate": predicate}
            payload = json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            signatures = []
            if self.key is not None:
                signature = self.key.sign(pae(PAYLOAD_TYPE, payload))
                signatures.append({"keyid": key_id(self.key.public_key()), "sig": base64.b64encode(signature).decode()})
            envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(), "signatures": signatures}
            zf.writestr(_zip_info(ENVELOPE, made_at), json.dumps(envelope, indent=2).encode() + b"\n")
        return predicate | {"signed_by": signatures[0]["keyid"] if signatures else None, "files": len(digests) + 1}


# ---- verifying -----------------------------------------------------------------------------

OK, NOTE, FAIL = "ok", "note", "fail"
VALID, UNSIGNED, INVALID = "valid", "unsigned", "invalid"


@dataclass
class Finding:
    status: str          # OK, NOTE or FAIL
    zh: str
    en: str


@dataclass
class Difference:
    """One verdict the bundle's report and the re-judgement do not agree on."""

    fingerprint: str
    rule_id: str
    subject: str
    elevator_id: str | None
    change: str          # "missing" (in the bundle, not re-judged), "new", "changed"
    fields: list[str] = field(default_factory=list)


@dataclass
class Verification:
    bundle: Path
    findings: list[Finding] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    predicate: dict = field(default_factory=dict)
    rejudged: bool = False

    @property
    def exit_status(self) -> int:
        return 1 if any(f.status == FAIL for f in self.findings) else 0


# what reading an entry may raise: a bad CRC or truncation, a method zipfile lacks, encryption
_UNREADABLE = (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError, RuntimeError)


class _Bundle:
    """An opened bundle: its entries by name, checked for what a zip may smuggle (absolute or
    climbing names, the same name twice, sizes beyond any sweep)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        shown = visible(path)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise LiftcheckError(f"找不到检查包 {shown}", f"bundle {shown} not found") from None
        if not stat.S_ISREG(mode):
            raise LiftcheckError(f"检查包 {shown} 不是普通文件", f"bundle {shown} is not a regular file")
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise LiftcheckError(f"{shown} 不是可读的检查包（zip）：{exc}", f"{shown} is not a readable bundle (zip): {exc}") from None
        if len(infos) > MAX_ENTRIES:
            raise LiftcheckError(f"{shown} 有 {len(infos):,} 个文件，不是 liftcheck 检查包",
                                 f"{shown} holds {len(infos):,} files; not a liftcheck bundle")
        self.entries: dict[str, zipfile.ZipInfo] = {}
        self.duplicates: list[str] = []
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename
            parts = PurePosixPath(name).parts
            if name.startswith("/") or "\\" in name or ".." in parts or not parts or ":" in parts[0]:
                raise LiftcheckError(f"{shown} 中有不安全的文件名「{visible(name)}」，不是 liftcheck 写的检查包",
                                     f"{shown} holds an unsafe file name {visible(name)!r}; not a bundle liftcheck wrote")
            if info.file_size > MAX_ENTRY_BYTES:
                raise LiftcheckError(f"{shown} 中的 {visible(name)} 声称有 {info.file_size:,} 字节，超出上限",
                                     f"{visible(name)} in {shown} claims {info.file_size:,} bytes, beyond any sweep")
            if name in self.entries:
                self.duplicates.append(name)
            self.entries[name] = info

    def read(self, name: str, limit: int = MAX_ENTRY_BYTES) -> bytes:
        info = self.entries[name]
        if info.file_size > limit:
            raise LiftcheckError(f"{visible(self.path)} 中的 {visible(name)} 太大（{info.file_size:,} 字节）",
                                 f"{visible(name)} in {visible(self.path)} is too large ({info.file_size:,} bytes)")
        try:
            return self.zf.read(info)
        except _UNREADABLE as exc:
            raise _Damaged(name, str(exc)) from None

    def digest(self, name: str) -> str:
        h = hashlib.sha256()
        try:
            with self.zf.open(self.entries[name]) as fh:
                while piece := fh.read(CHUNK):
                    h.update(piece)
        except _UNREADABLE as exc:
            raise _Damaged(name, str(exc)) from None
        return h.hexdigest()


class _Damaged(Exception):
    """An entry whose compressed bytes do not decompress to what the zip says (CRC, truncation)."""

    def __init__(self, name: str, reason: str):
        super().__init__(reason)
        self.name = name
        self.reason = reason


def _not_a_bundle(path: Path, zh: str, en: str) -> LiftcheckError:
    return LiftcheckError(f"{visible(path)} 不是 liftcheck 检查包：{zh}", f"{visible(path)} is not a liftcheck bundle: {en}")


def verify(bundle_path: Path, data: Path | None = None, key_path: Path | None = None,
           say: Callable[[Finding], None] | None = None, stage: Callable[[str], None] | None = None) -> Verification:
    """Check a bundle: the signature (by `key_path` when given), every file's digest against the
    signed statement, the data's files against the manifest, then re-judge the data with the
    bundle's own rule book and compare the verdicts. Findings go to `say` as they are made.
    Raises LiftcheckError when the bundle cannot be verified at all (exit 2)."""
    result = Verification(Path(bundle_path))
    report_finding = say or (lambda f: None)

    def found(status: str, zh: str, en: str) -> None:
        finding = Finding(status, zh, en)
        result.findings.append(finding)
        report_finding(finding)

    trusted_key = None
    if key_path is not None:   # before anything is read: a bad key file is the user's to fix
        trusted_key = read_public_key(_read_key_file(key_path, "公钥", "public key"), f"公钥 {visible(key_path)}")
    if data is not None and not os.path.exists(data):
        raise LiftcheckError(f"找不到 --data {visible(data)}", f"--data {visible(data)} not found")
    bundle = _Bundle(bundle_path)
    if ENVELOPE not in bundle.entries:
        raise _not_a_bundle(bundle.path, f"缺少 {ENVELOPE}", f"{ENVELOPE} is missing")
    try:
        envelope = json.loads(bundle.read(ENVELOPE, MAX_SMALL_BYTES))
        payload_type, signatures = envelope["payloadType"], envelope.get("signatures") or []
        payload = _b64decode(envelope["payload"])
        if not isinstance(payload_type, str) or not isinstance(signatures, list):
            raise ValueError("payloadType or signatures of the wrong type")
    except (ValueError, KeyError, TypeError, binascii.Error, _Damaged) as exc:
        raise _not_a_bundle(bundle.path, f"{ENVELOPE} 不是 DSSE 信封（{exc}）", f"{ENVELOPE} is not a DSSE envelope ({exc})") from None

    # 1. the signature, over PAE(payloadType, payload), before the payload is read
    signature = _check_signature(bundle, payload_type, payload, signatures, trusted_key, key_path, found)
    signed_ok = signature == VALID
    if payload_type != PAYLOAD_TYPE:
        raise _not_a_bundle(bundle.path, f"payloadType 是「{visible(payload_type)}」，应为 {PAYLOAD_TYPE}",
                            f"payloadType is {visible(payload_type)!r}, expected {PAYLOAD_TYPE}")
    try:
        statement = json.loads(payload)
        if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
            raise ValueError(f"_type {statement.get('_type')!r}, predicateType {statement.get('predicateType')!r}")
        subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
        result.predicate = statement.get("predicate") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if not signed_ok:
            found(FAIL, f"签名声明无法读取（{exc}）", f"the statement cannot be read ({exc})")
            return result
        raise _not_a_bundle(bundle.path, f"声明不是 liftcheck 检查的 in-toto 声明（{exc}）",
                            f"the statement is not an in-toto statement of a liftcheck sweep ({exc})") from None

    # 2. every file against the statement's digests
    intact = _check_files(bundle, subjects, found)
    manifest = None
    if MANIFEST in intact:
        manifest = _read_manifest(bundle)
        _name_changed_keys(bundle, subjects, intact, manifest, found)
        _compare_environment(manifest, found)
    elif MANIFEST in subjects:
        pass   # named as changed by _check_files
    else:
        raise _not_a_bundle(bundle.path, f"缺少 {MANIFEST}", f"{MANIFEST} is missing")
    if data is None:
        found(NOTE, "未给出 --data：只核对了检查包本身，没有重新评判", "no --data given: the bundle itself was checked, "
              "nothing was re-judged")
        return result
    if manifest is None:
        found(FAIL, f"{MANIFEST} 已被改动，无法据它核对数据和重新评判", f"{MANIFEST} was changed: the data cannot be "
              "checked against it nor re-judged")
        return result

    # 3. the data against the manifest, and 4. the re-judgement, while the data is being digested
    digests = InputDigests(Path(data))
    rule_book_intact = all(n in intact for n in subjects if n not in (REPORT, SIGNER))
    rejudged, failure = None, None
    if signature == INVALID:
        found(FAIL, "签名不成立：不据检查包中的规则重新评判", "the signature does not hold: nothing is re-judged with the "
              "bundle's rules")
    elif rule_book_intact:
        rejudged, failure = _rejudge(bundle, manifest, Path(data), found, stage)
    else:
        found(FAIL, "检查包中的规则、参数或清单已被改动：不用它们重新评判",
              "the bundle's rules, parameters or manifest were changed: nothing is re-judged with them")
    _check_inputs(manifest, digests.take(), Path(data), found)
    if failure is not None:
        if result.exit_status:   # the data or the bundle changed: that is why
            found(FAIL, f"无法用检查包中的规则重新评判：{failure.zh}", f"the data could not be re-judged with the bundle's rules: "
                  f"{failure.en}")
            return result
        raise LiftcheckError(f"无法用检查包中的规则重新评判：{failure.zh}",
                             f"the data could not be re-judged with the bundle's rules: {failure.en}")
    if rejudged is not None:
        result.rejudged = True
        _compare(bundle, subjects, intact, rejudged, result, found)
    return result


def _read_manifest(bundle: _Bundle) -> dict:
    """manifest.json, refused unless it has the shape liftcheck writes: an unsigned bundle can be
    made by anyone, and nothing it names may lead verify outside the bundle."""
    try:
        manifest = json.loads(bundle.read(MANIFEST, MAX_SMALL_BYTES))
        sweep = manifest["sweep"]
        if manifest["format"] != BUNDLE_FORMAT:
            raise ValueError(f"format {manifest['format']!r}, expected {BUNDLE_FORMAT}")
        dt.date.fromisoformat(sweep["from"]), dt.date.fromisoformat(sweep["to"])
        for key, prefix in (("params", "params/"), ("credit", "credit/")):
            if sweep.get(key) is not None and not (sweep[key].startswith(prefix) and sweep[key] in bundle.entries):
                raise ValueError(f"sweep.{key} {sweep[key]!r} is not a file of the bundle")
        for entry in sweep.get("overlay") or []:
            if not (entry["file"].startswith("overlay/") and entry["file"] in bundle.entries):
                raise ValueError(f"overlay file {entry['file']!r} is not a file of the bundle")
        if not all(isinstance(sweep.get(k), t) for k, t in (("only", list), ("skip_invalid", bool))):
            raise ValueError("sweep.only or sweep.skip_invalid of the wrong type")
        for item in manifest["inputs"]:
            if not (isinstance(item["name"], str) and isinstance(item["size"], int) and isinstance(item["sha256"], str)):
                raise ValueError(f"input {item!r}")
    except (ValueError, KeyError, TypeError, AttributeError, _Damaged) as exc:
        raise _not_a_bundle(bundle.path, f"{MANIFEST} 的内容不是 liftcheck 写的（{visible(exc)}）",
                            f"{MANIFEST} is not what liftcheck writes ({visible(exc)})") from None
    return manifest


def _check_signature(bundle: _Bundle, payload_type: str, payload: bytes, signatures: list, trusted_key, key_path,
                     found) -> str:
    """VALID, UNSIGNED (no signature and no --key) or INVALID, with a finding saying which."""
    from cryptography.exceptions import InvalidSignature

    pre_image = pae(payload_type, payload)

    def verifies(key) -> bool:
        for s in signatures:
            try:
                key.verify(_b64decode(s["sig"]), pre_image)
                return True
            except (InvalidSignature, ValueError, KeyError, TypeError, binascii.Error):
                continue
        return False

    if trusted_key is not None:
        kid = key_id(trusted_key)
        if not signatures:
            found(FAIL, f"检查包没有签名：无法证明它出自 --key {visible(key_path)} 的持有者",
                  f"the bundle is not signed: nothing shows it was made by the holder of --key {visible(key_path)}")
            return INVALID
        if not verifies(trusted_key):
            found(FAIL, f"签名与 --key 给出的公钥（keyid {kid[:16]}…）不符：检查包被改动过，或由别的密钥签名",
                  f"no signature verifies with the key given (keyid {kid[:16]}…): the bundle was changed, or signed "
                  "by another key")
            return INVALID
        found(OK, f"签名有效：由 --key 给出的公钥签名（keyid {kid[:16]}…）",
              f"signature valid: made with the key given by --key (keyid {kid[:16]}…)")
        _demo_note(kid, found)
        return VALID
    if not signatures:
        found(NOTE, "检查包未签名：只能核对内容前后一致，不能证明出自谁手",
              "the bundle is not signed: its contents can be checked for consistency, not who made it")
        return UNSIGNED
    if SIGNER not in bundle.entries:
        found(FAIL, f"检查包有签名但缺少签名公钥 {SIGNER}（可用 --key 给出公钥）",
              f"the bundle is signed but {SIGNER} is missing (give the public key with --key)")
        return INVALID
    key = read_public_key(bundle.read(SIGNER, MAX_SMALL_BYTES), f"{visible(bundle.path)} 中的 {SIGNER}")
    kid = key_id(key)
    if not verifies(key):
        found(FAIL, f"签名无效：与包内公钥（keyid {kid[:16]}…）不符，检查包被改动过",
              f"the signature does not verify with the bundle's own key (keyid {kid[:16]}…): the bundle was changed")
        return INVALID
    found(OK, f"签名有效（包内公钥 keyid {kid}）；要证明出自谁手，请用 --key 给出签名单位公布的公钥",
          f"signature valid (the bundle's own key, keyid {kid}); to show who made it, give the signer's published key "
          "with --key")
    _demo_note(kid, found)
    return VALID


def _demo_note(kid: str, found) -> None:
    if kid == DEMO_KEY_ID:
        found(NOTE, "签名密钥是项目的演示密钥（私钥随源码公开）：它只证明检查包未被改动，不证明出自谁手",
              "the signing key is the project's demo key (its private half is public): it shows the bundle unchanged, "
              "not who made it")


def _check_files(bundle: _Bundle, subjects: dict[str, str], found) -> set[str]:
    """The files whose digest is the statement's; every other difference is a finding."""
    intact, changed, damaged = set(), [], []
    for name in sorted(subjects):
        if name not in bundle.entries:
            continue
        try:
            digest = bundle.digest(name)
        except _Damaged as exc:
            damaged.append(f"{visible(name)}（{visible(exc.reason)}）")
            continue
        if digest == subjects[name] and name not in bundle.duplicates:
            intact.add(name)
        else:
            changed.append(visible(name))
    missing = [visible(n) for n in sorted(subjects) if n not in bundle.entries]
    extra = [visible(n) for n in sorted(bundle.entries) if n not in subjects and n != ENVELOPE]
    for names, zh, en in ((changed, "已被改动（SHA-256 与签名声明不符）", "changed (SHA-256 differs from the signed statement)"),
                          (damaged, "已损坏，无法解压", "damaged, cannot be unpacked"),
                          (missing, "缺失（签名声明中有，包中没有）", "missing (in the signed statement, not in the bundle)"),
                          (extra, "是后加的（签名声明中没有）", "added (not in the signed statement)")):
        if names:
            found(FAIL, f"{'、'.join(names)} {zh}", f"{', '.join(names)} {en}")
    if bundle.duplicates:
        dup = [visible(n) for n in sorted(set(bundle.duplicates))]
        found(FAIL, f"{'、'.join(dup)} 在包中出现两次（后加的文件）", f"{', '.join(dup)} appear twice in the bundle (a file added)")
    if not (changed or damaged or missing or extra or bundle.duplicates):
        found(OK, f"包内 {len(subjects)} 个文件都与签名声明中的 SHA-256 一致",
              f"all {len(subjects)} files of the bundle match the SHA-256 of the signed statement")
    return intact


_KEY_WORDS = {"rules/params.yaml": ("参数", "parameter"), "rules/definitions.yaml": ("定义", "definition"),
              "rules/credit.yaml": ("扣分标准", "credit schedule")}


def _name_changed_keys(bundle: _Bundle, subjects, intact: set[str], manifest: dict, found) -> None:
    """For each changed YAML file, the keys whose content differs from the manifest's outline:
    the parameter, the rule field or the definition that was changed."""
    outlines = manifest.get("outlines") or {}
    for name in sorted(subjects):
        if name in intact or name not in outlines or name not in bundle.entries:
            continue
        try:
            changed = outline_changes(outlines[name], outline(name, bundle.read(name, MAX_SMALL_BYTES)))
        except (_Damaged, LiftcheckError):
            continue
        if not changed:
            continue
        zh_word, en_word = _KEY_WORDS.get(name, ("字段", "field"))
        if name.startswith(("rules/", "overlay/")) and name not in _KEY_WORDS and name.endswith((".yaml", ".yml")):
            rule = PurePosixPath(name).stem
            zh_word, en_word = f"规则 {rule} 的字段", f"field of rule {rule}"
        keys = [visible(k) for k in changed[:12]]
        more_zh = f" 等 {len(changed)} 处" if len(changed) > 12 else ""
        more_en = f" and {len(changed) - 12} more" if len(changed) > 12 else ""
        found(FAIL, f"{visible(name)} 中被改动的{zh_word}：{'、'.join(keys)}{more_zh}",
              f"{visible(name)}: changed {en_word}: {', '.join(keys)}{more_en}")


def _compare_environment(manifest: dict, found) -> None:
    made = manifest.get("made_by") or {}
    now = environment()
    notes_zh, notes_en = [], []
    if made.get("liftcheck") != now["liftcheck"] or made.get("code_sha256") != now["code_sha256"]:
        notes_zh.append(f"liftcheck {made.get('liftcheck')}（代码 {str(made.get('code_sha256'))[:12]}…）→ "
                        f"{now['liftcheck']}（代码 {now['code_sha256'][:12]}…）")
        notes_en.append(f"liftcheck {made.get('liftcheck')} (code {str(made.get('code_sha256'))[:12]}…) → "
                        f"{now['liftcheck']} (code {now['code_sha256'][:12]}…)")
    for name in sorted(set(made.get("libraries") or {}) | set(now["libraries"])):
        before, after = (made.get("libraries") or {}).get(name), now["libraries"].get(name)
        if before != after:
            notes_zh.append(f"{name} {before or '（无）'} → {after or '（无）'}")
            notes_en.append(f"{name} {before or '(none)'} → {after or '(none)'}")
    if notes_zh:
        found(NOTE, "重新评判所用的软件与生成检查包时不同：" + "；".join(notes_zh),
              "the software re-judging differs from the software that made the bundle: " + "; ".join(notes_en))


def _check_inputs(manifest: dict, now: list[InputFile], data: Path, found) -> None:
    recorded = {f["name"]: f for f in manifest.get("inputs") or []}
    single = manifest.get("sweep", {}).get("kind") == "workbook" and data.is_file()
    if single and len(recorded) == 1 and len(now) == 1:   # a workbook may have been renamed
        recorded = {now[0].name: next(iter(recorded.values()))}
    current = {f.name: f for f in now}
    changed = [(n, recorded[n], current[n]) for n in sorted(recorded) if n in current and recorded[n]["sha256"] != current[n].sha256]
    missing = [visible(n) for n in sorted(recorded) if n not in current]
    extra = [visible(n) for n in sorted(current) if n not in recorded]
    for name, before, after in changed:
        found(FAIL, f"数据文件 {visible(name)} 已被改动：SHA-256 与检查包清单不符（{before['size']:,} → {after.size:,} 字节）",
              f"data file {visible(name)} changed: its SHA-256 differs from the bundle's manifest "
              f"({before['size']:,} → {after.size:,} bytes)")
    if missing:
        found(FAIL, f"数据中缺少清单上的文件：{'、'.join(missing)}", f"files of the manifest missing from the data: {', '.join(missing)}")
    if extra:
        found(FAIL, f"数据中有清单上没有的文件（检查时没有）：{'、'.join(extra)}",
              f"files in the data that the manifest does not list (not there when checked): {', '.join(extra)}")
    if not (changed or missing or extra):
        found(OK, f"数据的 {len(now)} 个文件与检查包清单中的 SHA-256 一致",
              f"the data matches the SHA-256 of the bundle's manifest ({len(now)} file{'s' if len(now) != 1 else ''})")


def _unpack(bundle: _Bundle, names: Iterable[str], folder: Path) -> None:
    for name in names:
        target = folder.joinpath(*PurePosixPath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bundle.read(name))


def _rejudge(bundle: _Bundle, manifest: dict, data: Path, found, stage) -> tuple[dict | None, LiftcheckError | None]:
    """The sweep made again on `data` with the bundle's rule book: its rules folder stands in
    for the checkout's (resources.data_folders), its --params, --credit and --rules files for
    the user's. Returns the report, or why it could not be made."""
    from checker.pipeline import run_check
    from checker.resources import data_folders

    sweep = manifest["sweep"]
    bundled_contract = {n.removeprefix("contract/"): bundle.read(n, MAX_SMALL_BYTES) for n in bundle.entries
                        if n.startswith("contract/")}
    if bundled_contract and bundled_contract != _folder_files(data_dir("schemas")):
        found(NOTE, "本机 liftcheck 的记录契约（schemas）与检查包中的不同：数据按本机的契约读取和校验",
              "this liftcheck's record contract (schemas) differs from the bundle's: the data is read and validated "
              "by this liftcheck's")
    with tempfile.TemporaryDirectory(prefix="liftcheck-verify-") as tmp:
        # each unpacking in a folder of its own: the loaders cache by path
        folder = Path(tmp)
        names = [n for n in bundle.entries if n.startswith(("rules/", "params/", "credit/", "overlay/"))]
        _unpack(bundle, names, folder)
        overlay = folder / "overlay" if sweep.get("overlay") else None
        try:
            with data_folders(rules=folder / "rules"):
                run = run_check(data, dt.date.fromisoformat(sweep["from"]), dt.date.fromisoformat(sweep["to"]),
                                params_file=folder / sweep["params"] if sweep.get("params") else None,
                                skip_invalid=bool(sweep.get("skip_invalid")),
                                credit_file=folder / sweep["credit"] if sweep.get("credit") else None,
                                only=list(sweep.get("only") or []) or None, rules_dir=overlay, stage=stage,
                                declared_by_unit={t: {u: dt.date.fromisoformat(d) for u, d in units.items()}
                                                  for t, units in (sweep.get("declared_by_unit") or {}).items()})
        except LiftcheckError as exc:
            return None, exc
        except Exception as exc:   # noqa: BLE001 - a rule book this liftcheck cannot read any more
            if os.environ.get("LIFTCHECK_DEBUG"):
                raise
            made = manifest.get("made_by") or {}
            return None, LiftcheckError(
                f"本机的 liftcheck {__version__} 无法按检查包中的规则（liftcheck {made.get('liftcheck')} 生成）评判："
                f"{type(exc).__name__}: {visible(exc)}；请用生成检查包时的 liftcheck 版本复核",
                f"this liftcheck {__version__} cannot judge by the bundle's rule book (made by liftcheck "
                f"{made.get('liftcheck')}): {type(exc).__name__}: {visible(exc)}; verify with the version that made it")
        report = run.report
    # the report names an overlay file by the path it was given at the check, not where verify unpacked it
    as_given = {PurePosixPath(o["file"]).name: o["as_given"] for o in sweep.get("overlay") or []}
    for entries in report["overrides"]["rules"].values():
        for entry in entries:
            if "file" in entry:
                entry["file"] = as_given.get(Path(entry["file"]).name, entry["file"])
    if sweep.get("ledger") is not None:   # written by --ledger after the sweep, not a verdict
        report["summary"]["ledger"] = sweep["ledger"]
    return report, None


def _compare(bundle: _Bundle, subjects, intact: set[str], rejudged: dict, result: Verification, found) -> None:
    """The re-judged report against the bundle's: byte for byte first (a digest, nothing parsed),
    else verdict by verdict (fingerprint) and section by section."""
    from checker.render import report_json_pieces

    h = hashlib.sha256()
    for piece in report_json_pieces(rejudged):
        h.update(piece)
    h.update(b"\n")
    if REPORT in intact and h.hexdigest() == subjects.get(REPORT):
        n = rejudged["summary"]["violations"]
        found(OK, f"用检查包中的规则重新评判：结论完全一致（报告逐字节相同，{n:,} 项违规）",
              f"re-judged with the bundle's rule book: identical (the report byte for byte, {n:,} violations)")
        return
    if REPORT not in bundle.entries:
        found(FAIL, "检查包中没有报告，无法比较结论", "the bundle holds no report to compare with")
        return
    import orjson

    try:
        bundled = orjson.loads(bundle.read(REPORT))
    except (orjson.JSONDecodeError, _Damaged) as exc:
        found(FAIL, f"检查包中的 {REPORT} 无法读取：{exc}", f"the bundle's {REPORT} cannot be read: {exc}")
        return
    fresh = orjson.loads(b"".join(report_json_pieces(rejudged)))
    result.differences = verdict_differences(bundled.get("violations") or [], fresh.get("violations") or [])
    sections = [k for k in sorted(set(bundled) | set(fresh)) if k != "violations" and bundled.get(k) != fresh.get(k)]
    version_only = sections == ["ruleset"] and {**bundled["ruleset"], "version": None} == {**fresh["ruleset"], "version": None}
    if not result.differences and (not sections or version_only):
        extra = "（只有报告中的 liftcheck 版本号不同）" if version_only else ""
        extra_en = " (only the liftcheck version in the report differs)" if version_only else ""
        if REPORT in intact:
            found(OK, f"用检查包中的规则重新评判：结论完全一致{extra}", f"re-judged with the bundle's rule book: identical{extra_en}")
        return
    if result.differences:
        n = len(result.differences)
        found(FAIL, f"用检查包中的规则重新评判：{n:,} 项违规结论不同",
              f"re-judged with the bundle's rule book: {n:,} verdict{'s differ' if n != 1 else ' differs'}")
    if sections and not version_only:
        found(FAIL, f"报告的其他部分也不同：{'、'.join(sections)}", f"other parts of the report differ too: {', '.join(sections)}")


def verdict_differences(bundled: list[dict], fresh: list[dict]) -> list[Difference]:
    """Verdicts by fingerprint: in the bundle only (missing), re-judged only (new), or the same
    fingerprint with other fields (changed, naming them)."""
    before = {v["fingerprint"]: v for v in bundled}
    after = {v["fingerprint"]: v for v in fresh}
    out = []
    for fp in sorted(set(before) | set(after), key=lambda f: ((before.get(f) or after.get(f))["rule_id"], f)):
        b, a = before.get(fp), after.get(fp)
        v = b or a
        if b is None or a is None:
            out.append(Difference(fp, v["rule_id"], v["subject"], v.get("elevator_id"), "new" if b is None else "missing"))
            continue
        fields = []
        for key in sorted(set(b) | set(a)):
            if b.get(key) == a.get(key):
                continue
            if isinstance(b.get(key), dict) and isinstance(a.get(key), dict):
                fields += [f"{key}.{k}" for k in sorted(set(b[key]) | set(a[key])) if b[key].get(k) != a[key].get(k)]
            else:
                fields.append(key)
        if fields:
            out.append(Difference(fp, v["rule_id"], v["subject"], v.get("elevator_id"), "changed", fields))
    return out


def describe(d: Difference) -> tuple[str, str]:
    """One differing verdict, in Chinese and English."""
    who = f"{d.rule_id} {d.subject}" + (f"（电梯 {d.elevator_id}）" if d.elevator_id and d.elevator_id != d.subject else "")
    who_en = f"{d.rule_id} {d.subject}" + (f" (elevator {d.elevator_id})" if d.elevator_id and d.elevator_id != d.subject else "")
    if d.change == "missing":
        return f"{d.fingerprint} {who}：检查包的报告中有，重新评判没有", f"{d.fingerprint} {who_en}: in the bundle's report, not re-judged"
    if d.change == "new":
        return f"{d.fingerprint} {who}：重新评判有，检查包的报告中没有", f"{d.fingerprint} {who_en}: re-judged, not in the bundle's report"
    return (f"{d.fingerprint} {who}：字段不同 {'、'.join(d.fields)}", f"{d.fingerprint} {who_en}: fields differ: {', '.join(d.fields)}")
