"""A firm's upload: unpack safely, validate with the CLI's validator, check ownership, store.

Nothing is stored unless every problem is gone. The upload is validated together with the
organisations, elevators and assessment reports already stored (so a sheet of daily checks
may name an elevator submitted last month); every problem — the validator's and "not your
elevator" — is listed with its file or sheet and row, in Chinese and English.

Zip archives (and .xlsx workbooks, which are zip archives) are inspected before anything
is inflated: entry count, declared sizes, compression ratio, and names (no absolute path,
no '..', no link); inflation then stops at the declared size.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import polars as pl

from checker.contract import record_types
from checker.errors import LiftcheckError
from checker.load import FILE_COL, ROW_COL, SourceFile, load_submission
from checker.portal.access import UPLOAD_TYPES, Principal
from checker.portal.store import Store
from checker.validate import PROBLEM_SCHEMA, validate

EXISTING = "（已登记的数据 stored records）"
MIB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_upload_bytes: int = 20 * MIB        # the request body (the web server refuses more, 413)
    max_unpacked_bytes: int = 200 * MIB     # all entries of an archive, inflated
    max_entries: int = 256                  # the portal's own template has 74 parts
    max_ratio: int = 200                    # inflated / compressed, per entry above 1 MiB
    # the worker (worker.py): each upload is processed in a process of its own, under these
    max_seconds: float = 120.0              # wall-clock time, then it is killed (413)
    # its address space (RLIMIT_AS): about 0.45 GB of it is code and reservations, so with the
    # server (0.3 GB) no upload takes the portal past 1 GB. A 20 MB workbook of a million daily
    # checks needs 2 GiB here (1 GB resident) and is refused at this limit (413): docs/portal.md
    max_memory_bytes: int = 1024 * MIB
    workers: int = 1                        # uploads processed at once (and one at a time per firm)
    max_waiting: int = 8                    # uploads waiting for a worker; more are refused (503)
    max_waiting_per_firm: int = 2           # …of them, from one organisation (429)
    max_problems: int = 1000                # problems listed in an answer (errors first); all are counted


@dataclass
class UploadResult:
    accepted: bool
    problems: pl.DataFrame
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    batch_id: int | None = None
    conflict: bool = False                  # refused: records changed by another account since the base
    error_count: int | None = None          # all errors (problems may list only the first max_problems)
    warning_count: int | None = None

    @property
    def errors(self) -> pl.DataFrame:
        return self.problems.filter(pl.col("severity") == "error")

    @property
    def total_errors(self) -> int:
        return self.errors.height if self.error_count is None else self.error_count

    @property
    def total_warnings(self) -> int:
        return self.problems.height - self.errors.height if self.warning_count is None else self.warning_count


def safe_name(filename: str) -> str:
    """The uploaded file's own name, without any folder, for messages and the staging folder."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    base = re.sub(r"[\x00-\x1f]", "", base)[:120]
    return base or "upload"


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: Chinese Windows writes GBK names
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def inspect_zip(path: Path, display: str, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """Refuse an archive whose entries would unpack too far, before inflating any of them."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise LiftcheckError(f"{display}：不是有效的 zip/xlsx 文件（{exc}）", f"{display}: not a valid zip/xlsx file ({exc})") from None
    if len(infos) > limits.max_entries:
        raise LiftcheckError(f"{display}：压缩包内有 {len(infos)} 个文件，超过上限 {limits.max_entries} 个",
                             f"{display}: the archive holds {len(infos)} entries, over the limit of {limits.max_entries}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise LiftcheckError(f"{display}：解压后共 {total:,} 字节，超过上限 {limits.max_unpacked_bytes:,} 字节，未解压",
                             f"{display}: would unpack to {total:,} bytes, over the limit of {limits.max_unpacked_bytes:,}; not unpacked")
    for i in infos:
        if i.file_size > MIB and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise LiftcheckError(
                f"{display}：{_entry_name(i)} 压缩比 {i.file_size // max(i.compress_size, 1)}:1 异常（疑似压缩炸弹），未解压",
                f"{display}: {_entry_name(i)} has a compression ratio of {i.file_size // max(i.compress_size, 1)}:1 "
                f"(a zip bomb?); not unpacked")
    return infos


def _unzip_records(path: Path, display: str, dest: Path, limits: UploadLimits) -> None:
    """Unpack the CSV/JSON files of a zipped submission flat into `dest`, safely."""
    infos = inspect_zip(path, display, limits)
    seen: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        for info in infos:
            name = _entry_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if info.is_dir() or not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
                continue
            unsafe = (name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]
                      or stat.S_ISLNK(info.external_attr >> 16))
            if unsafe:
                raise LiftcheckError(f"{display}：压缩包内的路径不安全：{name}（不允许绝对路径、“..”或链接）",
                                     f"{display}: unsafe path in the archive: {name} (no absolute paths, '..' or links)")
            if len(parts) > 2:
                raise LiftcheckError(f"{display}：{name} 位于多层文件夹中；请把 CSV 文件直接放在压缩包里（或一层文件夹中）",
                                     f"{display}: {name} is nested too deep; put the CSV files at the top of the archive (or in one folder)")
            base = parts[-1]
            if base.lower() in seen:
                raise LiftcheckError(f"{display}：文件 {base} 出现了两次", f"{display}: the file {base} appears twice")
            seen.add(base.lower())
            written = 0
            with zf.open(info) as src, open(dest / base, "wb") as out:
                while chunk := src.read(1 << 16):
                    written += len(chunk)
                    if written > info.file_size:  # the header lied about the size
                        raise LiftcheckError(f"{display}：{name} 实际内容比声明的大，未解压",
                                             f"{display}: {name} holds more than its declared size; not unpacked")
                    out.write(chunk)


def stage(upload: Path, filename: str, workdir: Path, limits: UploadLimits) -> Path:
    """The submission to load: the workbook itself, or a folder of the archive's files."""
    display = safe_name(filename)
    suffix = Path(display).suffix.lower()
    if suffix == ".xlsx":
        inspect_zip(upload, display, limits)  # a workbook is a zip: same limits before calamine inflates it
        target = workdir / display
        shutil.move(upload, target)
        return target
    if suffix == ".zip":
        folder = workdir / "submission"
        folder.mkdir()
        _unzip_records(upload, display, folder, limits)
        return folder
    raise LiftcheckError(f"{display}：请上传 .xlsx 工作簿，或把 CSV 文件打包成 .zip",
                         f"{display}: upload an .xlsx workbook, or the CSV files zipped into a .zip")


def _existing_frames(text: dict[str, pl.DataFrame], uploaded_keys: dict[str, pl.Series]) -> dict[str, pl.DataFrame]:
    """Stored organisations, elevators and reports as loader frames, less those the upload replaces."""
    out = {}
    types = record_types()
    for name, df in text.items():
        key = types[name].unique
        if name in uploaded_keys:
            df = df.filter(~pl.col(key).is_in(uploaded_keys[name].implode()))
        out[name] = df.with_row_index(ROW_COL, offset=1).select(
            pl.lit(EXISTING).alias(FILE_COL), pl.col(ROW_COL).cast(pl.Int64), *types[name].field_names)
    return out


def _problem_rows(rows: pl.DataFrame, record_type: str, field_name: str, code: str, zh: str, en: str) -> pl.DataFrame:
    """Problems for typed rows (with _file, _row), worded like the validator's."""
    label = record_types()[record_type].field(field_name).label if field_name else ""
    value = pl.col(field_name).cast(pl.String).fill_null("") if field_name else pl.lit("")
    kind = pl.when(pl.col(FILE_COL).str.contains(r"\]$")).then(pl.lit("row")).otherwise(pl.lit("line"))
    where_zh = pl.concat_str([pl.col(FILE_COL), pl.lit(" 第 "), pl.col(ROW_COL).cast(pl.String), pl.lit(" 行")])
    where_en = pl.concat_str([pl.col(FILE_COL), pl.lit(" "), kind, pl.lit(" "), pl.col(ROW_COL).cast(pl.String)])
    return rows.select(
        pl.lit("error").alias("severity"), pl.lit(record_type).alias("record_type"), pl.col(FILE_COL).alias("file"),
        pl.col(ROW_COL).cast(pl.Int64).alias("row"), kind.alias("row_kind"), pl.lit(field_name).alias("field"),
        value.alias("value"), pl.lit(code).alias("code"),
        pl.concat_str([where_zh, pl.lit(f"，字段 {field_name}（{label}）值「"), value, pl.lit(f"」：{zh}")]).alias("message_zh"),
        pl.concat_str([where_en, pl.lit(f", field {field_name} ({label}), value \""), value, pl.lit(f"\": {en}")])
        .alias("message_en"),
    ).cast(PROBLEM_SCHEMA)


# The kinds of organisation each uploading role may register: its own registration, and the
# others its records name (a use unit: its elevators' maintenance units and manufacturers; a
# maintenance unit: a rescue unit). Anything else — another property firm (whose credit would
# then be deducted), an inspection agency, a government — is registered by the regulators.
OWN_KINDS = {"use_unit": {"property_service_enterprise", "owners_committee", "self_managed", "developer", "other"},
             "maintenance_unit": {"maintenance_unit", "manufacturer"}}
OTHER_KINDS = {"use_unit": {"maintenance_unit", "manufacturer"},
               "maintenance_unit": {"maintenance_unit", "manufacturer"}}
# What a maintenance-unit reference may name: a maintenance unit, or a manufacturer that
# maintains its own elevators (rules.md, MAINT-PROVIDER).
MAINTAINER_KINDS = ("maintenance_unit", "manufacturer")


def _kind_names(kinds) -> tuple[str, str]:
    labels = record_types()["organizations"].field("kind").enum_labels
    ordered = sorted(kinds)
    return "、".join(labels.get(k, k) for k in ordered), ", ".join(ordered)


def ownership_problems(p: Principal, uploaded: dict[str, pl.DataFrame], elevators: pl.DataFrame,
                       stored_keys: dict[str, pl.DataFrame], stored_orgs: pl.DataFrame) -> list[pl.DataFrame]:
    """Records the principal may not submit: others' elevators, units, reports and registrations,
    organisations of kinds its role may not register, maintenance units that are not.

    `elevators`: every elevator the upload may refer to (stored, or in the upload) with its units;
    `stored_keys`: for keyed types, the stored key -> elevator_id (who already owns an id)."""
    own = "use_unit_id" if p.role == "use_unit" else "maintenance_unit_id"
    mine = elevators.filter(pl.col(own) == p.org_id).get_column("elevator_id")
    out = []
    allowed = UPLOAD_TYPES[p.role]
    types = record_types()
    # every organisation's kind: as stored, or as this upload registers it
    kinds = stored_orgs.select("org_id", "kind")
    if "organizations" in uploaded:
        new_orgs = uploaded["organizations"].select("org_id", "kind")
        kinds = pl.concat([kinds, new_orgs.filter(~pl.col("org_id").is_in(kinds.get_column("org_id").implode()))])
    for name, df in uploaded.items():
        if df.height == 0:
            continue
        rt = types[name]
        if allowed is not None and name not in allowed:
            out.append(_problem_rows(df.head(1), name, "", "not_allowed",
                                     f"{p.role_zh}不能提交「{rt.label}」记录（可提交：{'、'.join(types[t].label for t in sorted(allowed))}）",
                                     f"a {p.role} may not submit {name} records (allowed: {', '.join(sorted(allowed))})"))
            continue
        if name == "organizations":
            known = df.join(stored_orgs.select("org_id", pl.col("name").alias("_n"), pl.col("kind").alias("_k"),
                                               pl.col("maintenance_star").alias("_s")), on="org_id", how="inner")
            theirs = known.filter(pl.col("org_id") != p.org_id)
            changed = theirs.filter((pl.col("name") != pl.col("_n")) | (pl.col("kind") != pl.col("_k"))
                                    | ~pl.col("maintenance_star").eq_missing(pl.col("_s")))
            out.append(_problem_rows(changed, name, "org_id", "not_own_org",
                                     "这是其他单位的登记信息，与已登记的不同；只能修改本单位的信息",
                                     "another organisation's registration, different from the stored one; you may change only your own"))
            # the kind decides who answers for what (and credit): not the firm's own choice
            out.append(_problem_rows(known.filter((pl.col("org_id") == p.org_id) & (pl.col("kind") != pl.col("_k"))),
                                     name, "kind", "kind_fixed", "本单位已登记的单位类型不能在上传中修改，请联系监管部门",
                                     "your registered organisation kind cannot be changed by an upload; ask the regulator"))
            fresh = df.filter(~pl.col("org_id").is_in(stored_orgs.get_column("org_id").implode()))
            own_zh, own_en = _kind_names(OWN_KINDS[p.role])
            other_zh, other_en = _kind_names(OTHER_KINDS[p.role])
            out.append(_problem_rows(
                fresh.filter((pl.col("org_id") == p.org_id) & ~pl.col("kind").is_in(list(OWN_KINDS[p.role]))),
                name, "kind", "kind_not_allowed", f"{p.role_zh}账号登记本单位时，单位类型应为：{own_zh}",
                f"a {p.role} account may register itself only as: {own_en}"))
            out.append(_problem_rows(
                fresh.filter((pl.col("org_id") != p.org_id) & ~pl.col("kind").is_in(list(OTHER_KINDS[p.role]))),
                name, "kind", "kind_not_allowed",
                f"{p.role_zh}只能登记以下类型的其他单位：{other_zh}；其他类型由监管部门登记",
                f"a {p.role} may register other organisations only of the kinds: {other_en}; the regulators register the rest"))
            continue
        if "maintenance_unit_id" in df.columns:
            maintainers = df.join(kinds.rename({"org_id": "maintenance_unit_id", "kind": "_kind"}),
                                  on="maintenance_unit_id", how="left")
            zh, en = _kind_names(MAINTAINER_KINDS)
            out.append(_problem_rows(
                maintainers.filter(pl.col("_kind").is_not_null() & ~pl.col("_kind").is_in(list(MAINTAINER_KINDS))),
                name, "maintenance_unit_id", "not_a_maintainer",
                f"该单位登记的类型不是维保单位（应为：{zh}）", f"this organisation is not registered as a maintenance unit "
                f"(expected: {en})"))
        if name == "elevators":
            out.append(_problem_rows(df.filter(pl.col(own) != p.org_id), name, own, "not_own_unit",
                                     f"{'使用单位' if own == 'use_unit_id' else '维保单位'}不是本单位（{p.org_id}）",
                                     f"the {own.replace('_id', '').replace('_', ' ')} is not yours ({p.org_id})"))
            taken = df.join(stored_keys["elevators"], on="elevator_id", how="inner").filter(
                pl.col("_owner") != p.org_id)
            out.append(_problem_rows(taken, name, "elevator_id", "not_own_elevator",
                                     "该设备代码已登记在其他单位名下", "this elevator is registered to another organisation"))
            continue
        if "elevator_id" in df.columns:
            out.append(_problem_rows(df.filter(~pl.col("elevator_id").is_in(mine.implode())), name, "elevator_id",
                                     "not_own_elevator", "不是本单位的电梯", "not an elevator of your organisation"))
        if "use_unit_id" in df.columns:
            out.append(_problem_rows(df.filter(pl.col("use_unit_id") != p.org_id), name, "use_unit_id",
                                     "not_own_unit", f"使用单位不是本单位（{p.org_id}）", f"the use unit is not yours ({p.org_id})"))
        if name == "maintenance" and p.role == "maintenance_unit":
            out.append(_problem_rows(df.filter(pl.col("maintenance_unit_id") != p.org_id), name,
                                     "maintenance_unit_id", "not_own_unit", f"维保单位不是本单位（{p.org_id}）",
                                     f"the maintenance unit is not yours ({p.org_id})"))
        key = rt.unique
        if key and name in stored_keys:
            taken = df.join(stored_keys[name], left_on=key, right_on=key, how="inner").filter(
                ~pl.col("_stored_elevator").is_in(mine.implode()))
            out.append(_problem_rows(taken, name, key, "id_taken", "该编号已被其他单位的记录使用",
                                     "this id is already used by another organisation's record"))
    return out


def conflict_problems(conflicts: pl.DataFrame, base_version: int) -> pl.DataFrame:
    """The records an upload would have overwritten after another account changed them."""
    rows = []
    types = record_types()
    for c in conflicts.iter_rows(named=True):
        label = types[c["record_type"]].label
        who_zh = c["user_name"] or ("系统导入" if c["kind"] == "import" else "其他账号")
        who_en = c["user_name"] or ("the import" if c["kind"] == "import" else "another account")
        kind = "row" if c["file"].endswith("]") else "line"
        rows.append({
            "severity": "error", "record_type": c["record_type"], "file": c["file"], "row": c["row"], "row_kind": kind,
            "field": c["field"], "value": c["value"], "code": "changed_since_download",
            "message_zh": f"{c['file']} 第 {c['row']} 行：{label}「{c['value']}」在你上次下载数据（数据版本 {base_version}）之后，"
                          f"已由 {who_zh} 于 {c['changed_at']} 修改（数据版本 {c['version']}）；为免覆盖他人的修改，本次上传未保存。"
                          "请重新下载、核对后再上传",
            "message_en": f"{c['file']} {kind} {c['row']}: {c['record_type']} {c['value']!r} was changed by {who_en} at "
                          f"{c['changed_at']} (data version {c['version']}) after your last download (data version "
                          f"{base_version}); nothing was stored, so as not to overwrite that change. Download again, "
                          "check, and upload",
        })
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA)


def process_upload(store: Store, p: Principal, submission: Path, base_version: int = 0) -> UploadResult:
    """Validate a staged submission for principal `p`; store it when nothing is wrong and no
    record it changes was changed by another account after `base_version` (its last download)."""
    raw = load_submission(submission)
    types = record_types()
    uploaded_keys = {}
    for name in ("organizations", "elevators", "assessments"):
        if name in raw.frames:
            key = types[name].unique
            uploaded_keys[name] = pl.concat([f.get_column(key) for _, f in raw.frames[name]]).drop_nulls()
    refs = {n: None for n in ("organizations", "elevators", "assessments")}
    text = {n: df for n, df in store.read_text(refs).items() if n in refs}
    for name, frame in _existing_frames(text, uploaded_keys).items():
        raw.frames.setdefault(name, []).append((SourceFile(EXISTING, name, "row", canonical=False), frame))
    sub = validate(raw)
    problems = sub.problems.filter(pl.col("file") != EXISTING)
    if problems.filter(pl.col("severity") == "error").height:
        return UploadResult(False, problems)

    uploaded = {n: df.filter(pl.col(FILE_COL) != EXISTING) for n, df in sub.tables.items() if n in raw.present_types}
    uploaded = {n: df for n, df in uploaded.items() if df.height}
    stored_elevators = store.read_typed("elevators")
    owner = "use_unit_id" if p.role == "use_unit" else "maintenance_unit_id"
    stored_keys = {"elevators": stored_elevators.select("elevator_id", pl.col(owner).alias("_owner"))}
    for name in ("assessments", "hazards", "entrapments", "fund_applications", "works"):
        if name in uploaded:
            key = types[name].unique
            keys = store.read_typed(name).select(key, pl.col("elevator_id").alias("_stored_elevator"))
            stored_keys[name] = keys
    elevators = sub.table("elevators").select("elevator_id", "use_unit_id", "maintenance_unit_id")
    found = ownership_problems(p, uploaded, elevators, stored_keys, store.read_typed("organizations"))
    own_problems = pl.concat([problems.cast(PROBLEM_SCHEMA), *found], how="vertical")
    if own_problems.filter(pl.col("severity") == "error").height:
        return UploadResult(False, own_problems.sort("file", "row", nulls_last=True, maintain_order=True))

    applied = store.apply_upload(uploaded, base_version, p.user_id, p.org_id, source=submission.name)
    if applied.conflicts.height:
        return UploadResult(False, conflict_problems(applied.conflicts, base_version), applied.counts, conflict=True)
    return UploadResult(True, problems, applied.counts, applied.batch_id)
