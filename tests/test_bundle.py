"""Signed, replayable verdict bundles (issue 23 item 2; docs/bundles.md): `check --bundle`,
`keys new` and `verify`. The data is the demo's sample (checker.demo.DEMO_SPEC), so that the
bundle verified here is the demo's bundle."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import checker.resources
from checker.bundle import DEMO_KEY_ID, InputDigests, key_id, pae
from checker.cli import main
from checker.demo import DEMO_FROM, DEMO_SPEC, DEMO_TO
from checker.errors import LiftcheckError
from checker.resources import data_dir
from checker.sample import generate, write

DOCS_KEY = Path(__file__).resolve().parents[1] / "docs" / "keys" / "liftcheck-demo.pub"
# docs/bundles.md: the demo key's private half is SHA-256 of this sentence, published on purpose
DEMO_SEED = "liftcheck 演示密钥 demo key: its private half is public; it signs nothing that matters"
PERIOD = ["--from", str(DEMO_FROM), "--to", str(DEMO_TO)]


def run(*args) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


@dataclass
class World:
    data: Path
    keys: Path
    bundle: Path          # signed with keys/liftcheck-signing.key
    report: Path          # the same sweep's --format json -o
    tmp: Path

    @property
    def private(self) -> Path:
        return self.keys / "liftcheck-signing.key"

    @property
    def public(self) -> Path:
        return self.keys / "liftcheck-signing.pub"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("bundles")
    data = tmp / "submission"
    write(generate(DEMO_SPEC), data)
    code, out = run("keys", "new", tmp / "keys")
    assert code == 0, out
    bundle, report = tmp / "sweep.zip", tmp / "report.json"
    code, out = run("check", data, *PERIOD, "--format", "json", "-o", report, "--bundle", bundle,
                    "--sign-key", tmp / "keys" / "liftcheck-signing.key")
    assert code == 1, out   # the sample has violations: that is what it is for
    return World(data, tmp / "keys", bundle, report, tmp)


def rewrite(source: Path, target: Path, name: str, change) -> Path:
    """A copy of a bundle with one entry's bytes changed by `change` (what a tamperer without the key can do)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == name else data)
    return target


def statement_of(bundle: Path) -> tuple[dict, dict, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        envelope = json.loads(zf.read("attestation.dsse.json"))
    payload = base64.b64decode(envelope["payload"])
    return envelope, json.loads(payload), payload


# ---- keys ------------------------------------------------------------------------------------

def test_keys_new_makes_a_key_only_its_owner_reads_and_never_overwrites_one(tmp_path):
    code, out = run("keys", "new", tmp_path / "k")
    private, public = tmp_path / "k" / "liftcheck-signing.key", tmp_path / "k" / "liftcheck-signing.pub"
    assert code == 0, out
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o700
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    pub = serialization.load_pem_public_key(public.read_bytes())
    assert isinstance(key, Ed25519PrivateKey) and isinstance(pub, Ed25519PublicKey)
    assert f"keyid {key_id(pub)}" in lines(out)
    before = private.read_bytes(), public.read_bytes()
    code, out = run("keys", "new", tmp_path / "k")
    assert code == 2
    assert lines(out) == [f"错误：{private} 已存在：密钥文件从不覆盖（换一个文件夹，或先自行移走旧密钥）",
                          f"Error: {private} exists: key files are never overwritten (use another folder, or move "
                          "the old key away yourself)"]
    assert (private.read_bytes(), public.read_bytes()) == before
    # nor when only the public half is left there
    private.unlink()
    code, out = run("keys", "new", tmp_path / "k")
    assert code == 2 and f"Error: {public} exists: key files are never overwritten" in out
    assert not private.exists()


def test_the_demo_key_in_docs_is_the_one_derived_from_its_published_seed():
    seeded = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEMO_SEED.encode()).digest())
    published = serialization.load_pem_public_key(DOCS_KEY.read_bytes())
    assert key_id(seeded.public_key()) == key_id(published) == DEMO_KEY_ID


# ---- what a bundle holds -------------------------------------------------------------------

def test_pae_is_the_dsse_specifications_own_test_vector():
    # secure-systems-lab/dsse protocol.md, "Test Vectors"
    assert pae("http://example.com/HelloWorld", b"hello world") == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    # LEN counts bytes, not characters
    assert pae("类型", b"\xe4\xb8\xad") == "DSSEv1 6 类型 3 ".encode() + b"\xe4\xb8\xad"


def test_a_bundle_holds_the_report_the_rule_book_and_every_inputs_digest(world):
    with zipfile.ZipFile(world.bundle) as zf:
        names = set(zf.namelist())
        assert zf.read("report.json") == world.report.read_bytes()
        manifest = json.loads(zf.read("manifest.json"))
        rules = {n: zf.read(n) for n in names if n.startswith("rules/")}
        contract = {n for n in names if n.startswith("contract/")}
        signer = zf.read("keys/signer.pub")
    # the rule book's files themselves, as the checkout holds them
    shipped = {f"rules/{p.relative_to(data_dir('rules')).as_posix()}": p.read_bytes()
               for p in data_dir("rules").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert rules == shipped
    assert {"rules/params.yaml", "rules/credit.yaml", "rules/definitions.yaml", "rules/MAINT-INTERVAL.yaml"} <= set(rules)
    assert contract == {f"contract/{p.name}" for p in data_dir("schemas").iterdir() if p.is_file()}
    # every input file with its size and SHA-256, computed here independently
    expected = [{"name": p.name, "size": p.stat().st_size, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                for p in sorted(world.data.iterdir())]
    assert manifest["inputs"] == expected and len(expected) == 17
    sweep = manifest["sweep"]
    assert (sweep["from"], sweep["to"], sweep["only"], sweep["skip_invalid"]) == ("2024-01-01", "2024-12-31", [], False)
    assert sweep["params"] is None and sweep["credit"] is None and sweep["overlay"] == []
    assert sweep["ruleset"] == json.loads(world.report.read_text(encoding="utf-8"))["ruleset"]
    made_by = manifest["made_by"]
    assert made_by["liftcheck"] == "0.1.0" and len(made_by["code_sha256"]) == 64
    assert {"polars", "numpy", "pydantic", "PyYAML", "jsonschema", "orjson"} <= set(made_by["libraries"])
    assert signer == world.public.read_bytes()


def test_the_statement_is_in_toto_v1_over_every_file_in_a_dsse_envelope_signed_with_ed25519(world):
    envelope, statement, payload = statement_of(world.bundle)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://liftcheck.invalid/attestation/sweep/v1"
    with zipfile.ZipFile(world.bundle) as zf:
        digests = {n: hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist() if n != "attestation.dsse.json"}
    assert {s["name"]: s["digest"] for s in statement["subject"]} == {n: {"sha256": d} for n, d in digests.items()}
    assert statement["predicate"]["report"] == "report.json" and statement["predicate"]["violations"] == 317
    # the signature is over PAE(payloadType, payload), as DSSE defines it, with the key keys new made
    public = serialization.load_pem_public_key(world.public.read_bytes())
    [signature] = envelope["signatures"]
    assert signature["keyid"] == key_id(public)
    pre_image = b"DSSEv1 %d application/vnd.in-toto+json %d " % (len("application/vnd.in-toto+json"), len(payload)) + payload
    public.verify(base64.b64decode(signature["sig"]), pre_image)   # raises when it does not verify


# ---- verify: identical ---------------------------------------------------------------------

def test_the_demos_bundle_signed_with_the_demo_key_verifies_against_the_key_in_docs(world, tmp_path):
    key = tmp_path / "demo.key"
    seeded = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEMO_SEED.encode()).digest())
    key.write_bytes(seeded.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    key.chmod(0o600)
    bundle = tmp_path / "demo.zip"
    code, out = run("check", world.data, *PERIOD, "--bundle", bundle, "--sign-key", key)
    assert code == 1, out
    assert (f"bundle written to {bundle} (52 files, signed, keyid {DEMO_KEY_ID}); check it with liftcheck verify "
            f"{bundle} --data DATA") in lines(out)
    code, out = run("verify", bundle, "--data", world.data, "--key", DOCS_KEY)
    assert code == 0, out
    assert lines(out) == [
        f"复核检查包 {bundle} / verifying bundle {bundle}",
        f"✓ 签名有效：由 --key 给出的公钥签名（keyid {DEMO_KEY_ID[:16]}…）",
        f"signature valid: made with the key given by --key (keyid {DEMO_KEY_ID[:16]}…)",
        "· 签名密钥是项目的演示密钥（私钥随源码公开）：它只证明检查包未被改动，不证明出自谁手",
        "the signing key is the project's demo key (its private half is public): it shows the bundle unchanged, not who made it",
        "✓ 包内 51 个文件都与签名声明中的 SHA-256 一致",
        "all 51 files of the bundle match the SHA-256 of the signed statement",
        "✓ 数据的 17 个文件与检查包清单中的 SHA-256 一致",
        "the data matches the SHA-256 of the bundle's manifest (17 files)",
        "✓ 用检查包中的规则重新评判：结论完全一致（报告逐字节相同，317 项违规）",
        "re-judged with the bundle's rule book: identical (the report byte for byte, 317 violations)",
        "结论：一致 / conclusion: identical",
    ]


def test_a_bundle_made_today_verifies_after_a_rule_file_in_the_checkout_changes(world, tmp_path, monkeypatch):
    # a checkout whose MAINT-INTERVAL.yaml says another severity (schemas etc. as they are)
    checkout = tmp_path / "checkout"
    shutil.copytree(data_dir("rules"), checkout / "rules")
    for name in ("schemas", "features", "policy"):
        (checkout / name).symlink_to(data_dir(name), target_is_directory=True)
    rule_file = checkout / "rules" / "MAINT-INTERVAL.yaml"
    body = yaml.safe_load(rule_file.read_text(encoding="utf-8"))
    body["severity"] = "serious" if body["severity"] != "serious" else "notice"
    rule_file.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(checker.resources, "_PACKAGE", checkout / "checker")
    assert data_dir("rules") == checkout / "rules"
    # the change matters: a check by the changed checkout says other things
    changed = tmp_path / "changed.json"
    code, out = run("check", world.data, *PERIOD, "--format", "json", "-o", changed)
    assert code == 1, out
    now = json.loads(changed.read_text(encoding="utf-8"))
    assert {v["severity"] for v in now["violations"] if v["rule_id"] == "MAINT-INTERVAL"} == {body["severity"]}
    # and the bundle, judged with its own copy of the rule book, is still identical
    code, out = run("verify", world.bundle, "--data", world.data, "--key", world.public)
    assert code == 0, out
    assert "✓ 用检查包中的规则重新评判：结论完全一致（报告逐字节相同，317 项违规）" in lines(out)
    assert lines(out)[-1] == "结论：一致 / conclusion: identical"


def test_a_bundle_with_a_parameter_file_an_overlay_and_a_ledger_verifies_identical(world, tmp_path):
    params = tmp_path / "12天.yaml"
    params.write_text("maintenance.dense_max_interval_days: 12\n", encoding="utf-8")
    overlay = tmp_path / "我的草稿"
    overlay.mkdir()
    (overlay / "WEEKLY-REVIEW.yaml").write_text("id: WEEKLY-REVIEW\ndisabled: true\nreason: 试算\n", encoding="utf-8")
    credit = tmp_path / "credit.yaml"
    credit.write_text((data_dir("rules") / "credit.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    bundle = tmp_path / "b.zip"
    code, out = run("check", world.data, *PERIOD, "--params", params, "--rules", f"{overlay}/", "--credit", credit,
                    "--bundle", bundle)
    assert code == 1, out
    assert (f"bundle written to {bundle} (54 files, not signed (add --sign-key to sign it)); check it with liftcheck "
            f"verify {bundle} --data DATA") in lines(out)
    with zipfile.ZipFile(bundle) as zf:
        assert zf.read("params/12天.yaml") == params.read_bytes()
        assert zf.read("overlay/WEEKLY-REVIEW.yaml") == (overlay / "WEEKLY-REVIEW.yaml").read_bytes()
        assert zf.read("credit/credit.yaml") == credit.read_bytes()
        report = json.loads(zf.read("report.json"))
    assert report["overrides"]["rules"]["disabled"] == [{"rule_id": "WEEKLY-REVIEW", "reason": "试算"}]
    code, out = run("verify", bundle, "--data", world.data)
    assert code == 0, out
    assert "· 检查包未签名：只能核对内容前后一致，不能证明出自谁手" in lines(out)
    n = report["summary"]["violations"]
    assert n != 317   # the parameter and the overlay changed the sweep; verify judged by them, not the checkout
    assert f"✓ 用检查包中的规则重新评判：结论完全一致（报告逐字节相同，{n:,} 项违规）" in lines(out)
    # a ledger's line in the report is carried over, not judged
    ledgered = tmp_path / "l.zip"
    code, out = run("check", world.data, *PERIOD, "--ledger", tmp_path / "credit.sqlite", "--bundle", ledgered)
    assert code == 1, out
    code, out = run("verify", ledgered, "--data", world.data)
    assert code == 0, out
    assert lines(out)[-1] == "结论：一致 / conclusion: identical"


def test_verify_without_data_checks_the_bundle_alone(world):
    code, out = run("verify", world.bundle)
    kid = key_id(serialization.load_pem_public_key(world.public.read_bytes()))
    assert code == 0, out
    assert lines(out) == [
        f"复核检查包 {world.bundle} / verifying bundle {world.bundle}",
        f"✓ 签名有效（包内公钥 keyid {kid}）；要证明出自谁手，请用 --key 给出签名单位公布的公钥",
        f"signature valid (the bundle's own key, keyid {kid}); to show who made it, give the signer's published key with --key",
        "✓ 包内 51 个文件都与签名声明中的 SHA-256 一致",
        "all 51 files of the bundle match the SHA-256 of the signed statement",
        "· 未给出 --data：只核对了检查包本身，没有重新评判",
        "no --data given: the bundle itself was checked, nothing was re-judged",
        "结论：检查包完好（未重新评判）/ conclusion: the bundle is intact (nothing re-judged)",
    ]


# ---- verify: each tamper names what changed ------------------------------------------------

def test_a_tampered_report_is_named_with_the_verdicts_it_changed(world, tmp_path):
    report = json.loads(world.report.read_text(encoding="utf-8"))
    first, second = report["violations"][0], report["violations"][1]

    def tamper(data: bytes) -> bytes:
        body = json.loads(data)
        body["violations"] = [v for v in body["violations"] if v["fingerprint"] != second["fingerprint"]]
        body["violations"][0]["evidence"]["days_late"] = 1
        return json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"

    bundle = rewrite(world.bundle, tmp_path / "t.zip", "report.json", tamper)
    code, out = run("verify", bundle, "--data", world.data, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    assert "✗ report.json 已被改动（SHA-256 与签名声明不符）" in got
    assert "✓ 数据的 17 个文件与检查包清单中的 SHA-256 一致" in got
    assert "✗ 用检查包中的规则重新评判：2 项违规结论不同" in got
    assert "re-judged with the bundle's rule book: 2 verdicts differ" in got
    def who(v):
        return f"{v['rule_id']} {v['subject']}" + (f"（电梯 {v['elevator_id']}）" if v["elevator_id"] != v["subject"] else "")
    assert f"{first['fingerprint']} {who(first)}：字段不同 evidence.days_late" in got
    assert f"{second['fingerprint']} {who(second)}：重新评判有，检查包的报告中没有" in got
    assert got[-1] == "结论：不一致或被改动 / conclusion: differs or tampered"


def test_a_tampered_rule_file_is_named_with_the_field_that_changed(world, tmp_path):
    bundle = rewrite(world.bundle, tmp_path / "t.zip", "rules/MAINT-INTERVAL.yaml",
                     lambda b: b.replace(b"interval_days > param(", b"interval_days >= param(", 1))
    code, out = run("verify", bundle, "--data", world.data, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    assert "✗ rules/MAINT-INTERVAL.yaml 已被改动（SHA-256 与签名声明不符）" in got
    assert "✗ rules/MAINT-INTERVAL.yaml 中被改动的规则 MAINT-INTERVAL 的字段：condition" in got
    assert "rules/MAINT-INTERVAL.yaml: changed field of rule MAINT-INTERVAL: condition" in got
    assert "✗ 检查包中的规则、参数或清单已被改动：不用它们重新评判" in got


def test_a_tampered_parameter_is_named(world, tmp_path):
    def tamper(data: bytes) -> bytes:
        text = data.decode()
        start = text.index("\nmaintenance.max_interval_days:")
        at = text.index("values: {2024-01-01: 15}", start)
        return (text[:at] + "values: {2024-01-01: 16}" + text[at + len("values: {2024-01-01: 15}"):]).encode()

    bundle = rewrite(world.bundle, tmp_path / "t.zip", "rules/params.yaml", tamper)
    code, out = run("verify", bundle, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    assert "✗ rules/params.yaml 已被改动（SHA-256 与签名声明不符）" in got
    assert "✗ rules/params.yaml 中被改动的参数：maintenance.max_interval_days/values" in got
    assert "rules/params.yaml: changed parameter: maintenance.max_interval_days/values" in got


def test_a_tampered_input_row_names_the_file_and_the_verdicts_it_changes(world, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(world.data, data)
    report = json.loads(world.report.read_text(encoding="utf-8"))
    late = {v["elevator_id"] for v in report["violations"] if v["rule_id"].startswith("MAINT-INTERVAL")}
    unjudged = {u["elevator_id"] for u in report["unjudged"]}
    rows = (data / "maintenance.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header = rows[0].rstrip("\r\n").split(",")
    # a visit in mid-year of an elevator judged on time: without it, its interval is too long
    at = next(i for i, r in enumerate(rows[1:], start=1)
              if (cells := r.split(","))[header.index("elevator_id")] not in late | unjudged
              and cells[header.index("date")].startswith("2024-06"))
    elevator_id = rows[at].split(",")[header.index("elevator_id")]
    (data / "maintenance.csv").write_bytes(("".join(rows[:at] + rows[at + 1:])).encode("utf-8-sig"))
    size = (world.data / "maintenance.csv").stat().st_size
    code, out = run("verify", world.bundle, "--data", data, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    now = (data / "maintenance.csv").stat().st_size
    assert f"✗ 数据文件 maintenance.csv 已被改动：SHA-256 与检查包清单不符（{size:,} → {now:,} 字节）" in got
    assert (f"data file maintenance.csv changed: its SHA-256 differs from the bundle's manifest ({size:,} → {now:,} "
            "bytes)") in got
    new = [line for line in got if "重新评判有，检查包的报告中没有" in line]
    assert new and all(elevator_id in line and "MAINT-INTERVAL" in line for line in new), got


def test_a_tampered_signature_fails_with_the_key_and_without_it(world, tmp_path):
    def tamper(data: bytes) -> bytes:
        envelope = json.loads(data)
        sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
        sig[10] ^= 0x01
        envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        return json.dumps(envelope).encode()

    bundle = rewrite(world.bundle, tmp_path / "t.zip", "attestation.dsse.json", tamper)
    kid = key_id(serialization.load_pem_public_key(world.public.read_bytes()))
    code, out = run("verify", bundle, "--data", world.data, "--key", world.public)
    assert code == 1, out
    assert f"✗ 签名与 --key 给出的公钥（keyid {kid[:16]}…）不符：检查包被改动过，或由别的密钥签名" in lines(out)
    assert "✗ 签名不成立：不据检查包中的规则重新评判" in lines(out)
    code, out = run("verify", bundle)
    assert code == 1, out
    assert f"✗ 签名无效：与包内公钥（keyid {kid[:16]}…）不符，检查包被改动过" in lines(out)


def test_a_report_changed_together_with_the_statements_digest_breaks_the_signature(world, tmp_path):
    changed = world.report.read_bytes().replace(b'"violations": 317', b'"violations": 316', 1)

    def restate(data: bytes) -> bytes:
        envelope = json.loads(data)
        statement = json.loads(base64.b64decode(envelope["payload"]))
        for s in statement["subject"]:
            if s["name"] == "report.json":
                s["digest"]["sha256"] = hashlib.sha256(changed).hexdigest()
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        return json.dumps(envelope).encode()

    step = rewrite(world.bundle, tmp_path / "s.zip", "report.json", lambda b: changed)
    bundle = rewrite(step, tmp_path / "t.zip", "attestation.dsse.json", restate)
    code, out = run("verify", bundle)
    assert code == 1, out
    assert "✓ 包内 51 个文件都与签名声明中的 SHA-256 一致" in lines(out)   # consistent, but not signed so
    assert any(line.startswith("✗ 签名无效：与包内公钥") for line in lines(out))


def test_a_tampered_manifest_is_named_and_nothing_is_judged_by_it(world, tmp_path):
    bundle = rewrite(world.bundle, tmp_path / "t.zip", "manifest.json",
                     lambda b: b.replace(b'"skip_invalid": false', b'"skip_invalid": true', 1))
    code, out = run("verify", bundle, "--data", world.data, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    assert "✗ manifest.json 已被改动（SHA-256 与签名声明不符）" in got
    assert "manifest.json changed (SHA-256 differs from the signed statement)" in got
    assert "✗ manifest.json 已被改动，无法据它核对数据和重新评判" in got
    assert not any("重新评判：" in line for line in got)


def test_a_file_added_to_a_bundle_is_named(world, tmp_path):
    bundle = tmp_path / "t.zip"
    shutil.copyfile(world.bundle, bundle)
    with zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr("rules/EXTRA.yaml", "id: EXTRA\n")
    code, out = run("verify", bundle, "--key", world.public)
    assert code == 1, out
    assert "✗ rules/EXTRA.yaml 是后加的（签名声明中没有）" in lines(out)


# ---- verify: keys and refusals ---------------------------------------------------------------

def test_a_bundle_without_a_signature_is_refused_by_key(world, tmp_path):
    bundle = tmp_path / "unsigned.zip"
    code, out = run("check", world.data, *PERIOD, "--bundle", bundle)
    assert code == 1, out
    code, out = run("verify", bundle, "--data", world.data, "--key", world.public)
    assert code == 1, out
    assert lines(out)[1:3] == [f"✗ 检查包没有签名：无法证明它出自 --key {world.public} 的持有者",
                               f"the bundle is not signed: nothing shows it was made by the holder of --key {world.public}"]
    assert lines(out)[-1] == "结论：不一致或被改动 / conclusion: differs or tampered"


def test_a_bundle_signed_by_another_key_is_refused_by_key(world, tmp_path):
    code, out = run("keys", "new", tmp_path / "other")
    assert code == 0, out
    code, out = run("verify", world.bundle, "--key", tmp_path / "other" / "liftcheck-signing.pub")
    assert code == 1, out
    assert any(line.startswith("✗ 签名与 --key 给出的公钥（keyid ") for line in lines(out))


def test_verify_refuses_what_is_not_a_bundle_with_exit_2(world, tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"not a zip at all")
    code, out = run("verify", not_zip)
    assert code == 2
    assert lines(out)[1] == f"错误：{not_zip} 不是可读的检查包（zip）：File is not a zip file"
    climbing = tmp_path / "climb.zip"
    with zipfile.ZipFile(climbing, "w") as zf:
        zf.writestr("../../etc/evil", "x")
        zf.writestr("attestation.dsse.json", "{}")
    code, out = run("verify", climbing)
    assert code == 2
    assert lines(out)[1] == f"错误：{climbing} 中有不安全的文件名「../../etc/evil」，不是 liftcheck 写的检查包"
    code, out = run("verify", world.bundle, "--key", tmp_path / "missing.pub")
    assert code == 2 and f"Error: public key {tmp_path / 'missing.pub'} not found" in lines(out)
    code, out = run("verify", world.bundle, "--data", tmp_path / "nowhere")
    assert code == 2 and f"Error: --data {tmp_path / 'nowhere'} not found" in lines(out)


def test_check_refuses_a_bad_bundle_option_before_any_work(world, tmp_path):
    code, out = run("check", world.data, *PERIOD, "--sign-key", world.private)
    assert code == 2 and "错误：--sign-key 只能与 --bundle 同用" in out
    code, out = run("check", world.data, *PERIOD, "--bundle", tmp_path / "b.tar")
    assert code == 2 and "错误：检查包应写入 .zip 文件，而不是 b.tar" in out
    code, out = run("check", world.data, *PERIOD, "--bundle", world.data / "inside.zip")
    assert code == 2 and "里面；输出不能写进被检查的数据" in out
    code, out = run("check", world.data, *PERIOD, "--bundle", world.bundle)
    assert code == 2 and "Error: output path" in out and "the file exists; add --force to overwrite it" in out
    not_a_key = tmp_path / "k.pem"
    not_a_key.write_text("hello", encoding="utf-8")
    code, out = run("check", world.data, *PERIOD, "--bundle", tmp_path / "b.zip", "--sign-key", not_a_key)
    assert code == 2
    assert lines(out) == [f"错误：{not_a_key} 不是 PEM 格式的私钥（用 liftcheck keys new 生成）",
                          f"Error: {not_a_key} is not a PEM private key (make one with liftcheck keys new)"]
    assert not (tmp_path / "b.zip").exists()


def test_a_file_changed_while_it_was_being_checked_is_refused(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "elevators.csv").write_text("elevator_id\nE1\n", encoding="utf-8")
    digests = InputDigests(data)
    digests._thread.join()
    (data / "elevators.csv").write_text("elevator_id\nE2\n", encoding="utf-8")
    os.utime(data / "elevators.csv", ns=(1, 1))
    with pytest.raises(LiftcheckError) as raised:
        digests.take()
    assert raised.value.en == (f"{data / 'elevators.csv'} changed while it was being checked; the bundle was not "
                               "written (check again once the data has stopped changing)")


def test_data_changed_so_far_that_it_cannot_be_judged_is_named_and_fails(world, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(world.data, data)
    text = (data / "elevators.csv").read_text(encoding="utf-8-sig")
    header, first, rest = text.split("\n", 2)
    column = header.split(",").index("commissioned_on")
    cells = first.split(",")
    cells[column] = "2024-13-45"
    (data / "elevators.csv").write_text("\n".join([header, ",".join(cells), rest]), encoding="utf-8-sig")
    code, out = run("verify", world.bundle, "--data", data, "--key", world.public)
    assert code == 1, out
    got = lines(out)
    assert any(line.startswith("✗ 数据文件 elevators.csv 已被改动：SHA-256 与检查包清单不符") for line in got)
    assert "✗ 无法用检查包中的规则重新评判：提交的数据有 1 个错误，未做评判（可用 --skip-invalid 只评判有效记录）" in got


def test_an_unsigned_bundle_whose_manifest_points_outside_it_is_refused(world, tmp_path):
    bundle = tmp_path / "unsigned.zip"
    code, out = run("check", world.data, *PERIOD, "--bundle", bundle)
    assert code == 1, out
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["sweep"]["params"] = "params/../../../../etc/passwd"
    crafted = json.dumps(manifest).encode()

    def restate(data: bytes) -> bytes:   # anyone can do this to an unsigned bundle
        envelope = json.loads(data)
        statement = json.loads(base64.b64decode(envelope["payload"]))
        for s in statement["subject"]:
            if s["name"] == "manifest.json":
                s["digest"]["sha256"] = hashlib.sha256(crafted).hexdigest()
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        return json.dumps(envelope).encode()

    step = rewrite(bundle, tmp_path / "s.zip", "manifest.json", lambda b: crafted)
    bad = rewrite(step, tmp_path / "t.zip", "attestation.dsse.json", restate)
    code, out = run("verify", bad, "--data", world.data)
    assert code == 2, out
    assert lines(out)[-2:] == [
        f"错误：{bad} 不是 liftcheck 检查包：manifest.json 的内容不是 liftcheck 写的（sweep.params "
        "'params/../../../../etc/passwd' is not a file of the bundle）",
        f"Error: {bad} is not a liftcheck bundle: manifest.json is not what liftcheck writes (sweep.params "
        "'params/../../../../etc/passwd' is not a file of the bundle)"]


def test_a_sweep_judged_with_a_ledgers_kept_history_start_verifies_with_it(world, tmp_path):
    """R3-A 1: a ledger keeps each unit's earliest declared start, and a later submission cannot
    move it forward; the check judges with the kept start, so verify (which has no ledger) must too.
    The demo's data declares maintenance from 2024-06-01 after a ledger kept 2024-01-01."""
    ledger = tmp_path / "credit.sqlite"
    early, late = tmp_path / "early", tmp_path / "late"
    for folder, day in ((early, "2024-01-01"), (late, "2024-06-01")):
        shutil.copytree(world.data, folder)
        (folder / "submission.yaml").write_text(f"records_from:\n  maintenance: {day}\n", encoding="utf-8")
    assert run("check", early, *PERIOD, "--ledger", ledger)[0] == 1
    bundle = tmp_path / "kept.zip"
    code, out = run("check", late, *PERIOD, "--ledger", ledger, "--bundle", bundle, "--format", "json", "-o",
                    tmp_path / "kept.json")
    assert code == 1, out
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    kept = manifest["sweep"]["declared_by_unit"]["maintenance"]
    assert kept and set(kept.values()) == {"2024-01-01"}
    # judged from the kept start: the same verdicts as the early declaration, not the late one's
    by_kept = json.loads((tmp_path / "kept.json").read_text(encoding="utf-8"))
    alone = json.loads(CliRunner(env={"COLUMNS": "400"}).invoke(main, ["check", str(late), *PERIOD, "--format", "json"]).stdout)
    assert by_kept["summary"]["by_rule"].get("MAINT-INTERVAL") != alone["summary"]["by_rule"].get("MAINT-INTERVAL")
    code, out = run("verify", bundle, "--data", late)
    assert code == 0, out
    assert f"✓ 用检查包中的规则重新评判：结论完全一致（报告逐字节相同，{by_kept['summary']['violations']:,} 项违规）" in lines(out)
