"""Chinese first wherever a person looks (issue 26): every output of the demo, rendered and read.

On the demo (`liftcheck demo`), every workbook and CSV file that check, compare, credit, old-list,
validate, template and demo write, both HTML pages (check, compare) and the terminal output of the
commands at 80 columns are produced as a user produces them (the command line), then read:
- the workbooks, CSV files and pages: no enum code, raw JSON, Python repr or English without
  Chinese beside it (tests/chinese_text.py: the allow-list of ids, parameter names, dates and
  file names); a cell holding a rule id has the rule's title beside it in its row;
- the pages at 390 px in Chromium (Playwright, the Debian browser, as test_html_report_browser.py):
  no horizontal overflow, no text under 11 px (SVG chart text measured as drawn), compare's
  "10 → 12" on screen, the closed-loop axis in %, the state rules apart on the month chart;
- the terminal at 80 columns: no line wider than 80 display columns, no id broken across lines
  (HA/ZARD-SERIOUS-STOP), nothing cut off with "…", no code with an underscore;
- help: every command's --help within 80 display columns.
The label functions themselves (checker/labels.py) and the wrapping (checker/terminal.py) are
tested at the end. A new rule or a new report field goes through the same checks: the codes and
titles are read from the contract and the rule files, not listed here.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from rich.cells import cell_len

from chinese_text import CJK, untranslated
from checker import labels
from checker.cli import main
from checker.resources import data_dir

PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31"]
CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = bool(os.environ.get("LIFTCHECK_REQUIRE_BROWSER"))
# columns that show what a submission holds, as it holds it, or a code meant for scripts
VERBATIM_COLUMNS = {"值", "问题代码"}


def run(*args, columns: int = 80, expect: tuple[int, ...] = (0, 1)):
    r = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code in expect, (args, r.output)
    assert "Traceback" not in r.output and "Internal error" not in r.output
    return r


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chinese") / "demo"
    terminal = run("demo", "--dir", folder, expect=(0,)).output
    (folder.parent / "demo.txt").write_text(terminal, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def proposal(demo) -> Path:
    """A proposal that changes severities and a party, so that compare lists changed violations."""
    folder = demo.parent / "提案"
    folder.mkdir()
    body = yaml.safe_load((data_dir("rules") / "MAINT-INTERVAL-DENSE.yaml").read_text(encoding="utf-8"))
    (folder / "MAINT-INTERVAL-DENSE.yaml").write_text(
        yaml.safe_dump(body | {"severity": "serious", "responsible": "use_unit"}, allow_unicode=True), encoding="utf-8")
    (folder / "DAILY-CHECK.yaml").write_text("id: DAILY-CHECK\ndisabled: true\nreason: 日管控改由街道另行考核，考核办法另行制定\n",
                                             encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def files(demo, proposal) -> dict[str, Path]:
    """Every file output a person opens, written by the commands as a user runs them."""
    out = demo.parent / "out"
    out.mkdir()
    data = demo / "submission"
    ledger = out / "credit.sqlite"
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    commands = {
        "违规清单.xlsx": ["check", data, *PERIOD, "-o", "{}"],
        "违规清单.csv": ["check", data, *PERIOD, "-o", "{}"],
        "12天.xlsx": ["check", data, *PERIOD, "--params", demo / "12天.yaml", "--rules", demo / "我的草稿", "-o", "{}"],
        "报告.html": ["check", data, *PERIOD, "--format", "html", "-o", "{}"],
        "草稿报告.html": ["check", data, *PERIOD, "--rules", demo / "我的草稿", "--params", demo / "12天.yaml",
                      "--format", "html", "-o", "{}"],
        "比较.xlsx": ["compare", data, *PERIOD, "--proposal-params", demo / "12天.yaml", "--format", "xlsx", "-o", "{}"],
        "比较.html": ["compare", data, *PERIOD, "--proposal-params", demo / "12天.yaml", "--proposal-rules", proposal,
                    "--format", "html", "-o", "{}"],
        "比较变化.xlsx": ["compare", data, *PERIOD, "--proposal-params", demo / "12天.yaml", "--proposal-rules", proposal,
                     "--format", "xlsx", "-o", "{}"],
        "老旧电梯清单.xlsx": ["old-list", data, "--quarter", "2024Q3", "-o", "{}"],
        "老旧电梯清单.csv": ["old-list", data, "--quarter", "2024Q3", "-o", "{}"],
        "问题.xlsx": ["validate", demo / "我的数据.xlsx", "-o", "{}"],
        "问题.csv": ["validate", demo / "我的数据.xlsx", "-o", "{}"],
        "我的模板.xlsx": ["template", "{}"],
    }
    paths = {"我的数据.xlsx": demo / "我的数据.xlsx"}
    for name, args in commands.items():
        paths[name] = out / name
        run(*[out / name if a == "{}" else a for a in args])
    run("check", data, *PERIOD, "--ledger", ledger)
    run("credit", "revoke", ledger, report["credit"][0]["items"][0]["fingerprint"], "--reason", "申诉成立", "--by", "张三")
    for name, fmt in (("信用扣分.xlsx", "xlsx"), ("扣分明细.csv", "csv")):
        paths[name] = out / name
        run("credit", ledger, "--format", fmt, "-o", out / name)
    paths["credit.sqlite"] = ledger
    return paths


def _rows(path: Path) -> list[tuple[str, list[list]]]:
    """(sheet name, rows) of a workbook, or of a CSV file (one 'sheet')."""
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [(path.name, list(csv.reader(fh)))]
    book = openpyxl.load_workbook(path, read_only=True)
    return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book]


def _rule_titles() -> dict[str, str]:
    """Each rule's Chinese title, read from its rule file (not from checker.labels, which is under test)."""
    import datetime as dt

    from checker.params import load_parameters
    from checker.rulebook import load_rulebook
    from checker.wording import render_static

    params = load_parameters()
    return {r.id: render_static(r.title["zh"], params, dt.date(2024, 12, 31)) for r in load_rulebook()}


def _has_title(title: str, text: str) -> bool:
    """The title is in the text, whatever value its parameters took (超过10天 or 超过12天)."""
    digits = re.compile(r"\d+")
    return digits.sub("N", title) in digits.sub("N", text)


def _problems_in_table(rows: list[list], where: str) -> list[str]:
    """Every cell read as a Chinese reader reads it; a rule id alone in a cell needs its title in the row."""
    titles = _rule_titles()
    header = [str(h) if h is not None else "" for h in (rows[0] if rows else [])]
    found = []
    for number, row in enumerate(rows, start=1):
        text_of_row = " ".join(str(v) for v in row if v is not None)
        for col, value in enumerate(row):
            if not isinstance(value, str) or (col < len(header) and header[col] in VERBATIM_COLUMNS and number > 1):
                continue
            found += [f"{where} row {number}: {p}" for p in untranslated(value)]
            ids = [x for x in re.split(r"[、,;，；\s]+", value.strip()) if x]
            if ids and all(x in titles for x in ids):
                found += [f"{where} row {number}: rule {x} without its title" for x in ids
                          if not _has_title(titles[x], text_of_row)]
    return found


FILES = ["违规清单.xlsx", "违规清单.csv", "12天.xlsx", "比较.xlsx", "比较变化.xlsx", "老旧电梯清单.xlsx", "老旧电梯清单.csv",
         "问题.xlsx", "问题.csv", "我的模板.xlsx", "我的数据.xlsx", "信用扣分.xlsx", "扣分明细.csv"]


@pytest.mark.parametrize("name", FILES)
def test_every_workbook_and_csv_file_reads_in_chinese(files, name):
    found = []
    for sheet, rows in _rows(files[name]):
        if files[name].suffix == ".xlsx":
            assert CJK.search(sheet), f"{name}: sheet {sheet!r} is not named in Chinese"
        found += _problems_in_table(rows, f"{name}[{sheet}]")
    assert found == [], "\n".join(found[:20])


def test_the_compare_workbook_shows_words_where_codes_and_json_were(files):
    sheets = dict(_rows(files["比较变化.xlsx"]))
    changed = [dict(zip(sheets["变化"][0], r)) for r in sheets["变化"][1:]]
    dense = next(r for r in changed if r["规则"] == "MAINT-INTERVAL-DENSE")
    assert (dense["规则名称"], dense["变化项"]) == ("高梯户比老旧电梯现场维保周期超过10天", "严重程度、责任方")
    assert (dense["基准级别"], dense["拟议级别"]) == ("较重", "严重")
    assert dense["基准责任方"].startswith("维保单位：") and dense["拟议责任方"].startswith("使用单位：")
    assert dense["基准证据"].startswith("上次维保日期：") and "{" not in dense["基准证据"]
    conclusion = dict((r[0], r[1]) for r in sheets["结论"][1:])
    assert conclusion["参数 parameter maintenance.dense_max_interval_days（高梯户比老旧电梯现场维保周期上限（不大于，含本数））"] \
        == "10 → 12 天"
    assert conclusion["规则已停用 disabled DAILY-CHECK 每日电梯安全检查（日管控）"] == "基准规则 base rule → 停用：日管控改由街道另行考核，考核办法另行制定"
    book = openpyxl.load_workbook(files["比较变化.xlsx"])
    for ws in book:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title


def test_compare_infers_the_format_from_the_file_suffix(demo, tmp_path):
    for name, start in (("c.xlsx", b"PK"), ("c.html", b"<!doctype html>"), ("c.json", b"{")):
        run("compare", demo / "submission", *PERIOD, "--proposal-params", demo / "12天.yaml", "-o", tmp_path / name)
        assert (tmp_path / name).read_bytes().startswith(start)
    r = run("compare", demo / "submission", *PERIOD, "--proposal-params", demo / "12天.yaml", "-o", tmp_path / "c.txt",
            expect=(2,))
    assert "c.txt：比较结果可写入 .xlsx、.html 或 .json 文件" in r.output


# ---- the demo workbook: the template a firm fills in, filled in -------------------------------

def test_the_demo_workbook_is_the_template_filled_in_and_reads_back_as_the_csv_folder(demo, files):
    from polars.testing import assert_frame_equal

    from checker.load import load_submission
    from checker.validate import validate

    book = openpyxl.load_workbook(demo / "我的数据.xlsx", read_only=True)
    template = openpyxl.load_workbook(files["我的模板.xlsx"], read_only=True)
    assert book.sheetnames == template.sheetnames
    elevators = [dict(zip(rows[0], r)) for rows in [list(book["电梯"].iter_rows(values_only=True))] for r in rows[1:]]
    from checker.contract import record_types

    statuses = set(record_types()["elevators"].field("status").enum_labels.values())
    assert {e["状态"] for e in elevators} <= statuses and "在用" in {e["状态"] for e in elevators}
    assert {e["住宅电梯"] for e in elevators} <= {"是", "否"} and {e["保障房"] for e in elevators} == {"是", "否"}
    def column(record_type: str, header: str) -> set:
        rows = book[record_types()[record_type].label].iter_rows(values_only=True)
        col = next(rows).index(header)
        return {r[col] for r in rows}

    results = set(record_types()["daily_checks"].field("result").enum_labels.values())
    assert column("daily_checks", "检查结果") <= results and "正常" in column("daily_checks", "检查结果")
    assert "半月" in column("maintenance", "维保类别") and column("maintenance", "现场维保") <= {"是", "否"}
    workbook, folder = validate(load_submission(demo / "我的数据.xlsx")), validate(load_submission(demo / "submission"))
    assert workbook.error_count == folder.error_count == 0
    assert set(workbook.tables) == set(folder.tables)
    for name, frame in folder.tables.items():
        columns = [c for c in frame.columns if not c.startswith("_")]
        assert_frame_equal(workbook.tables[name].select(columns), frame.select(columns))


# ---- the HTML pages at 390 px -----------------------------------------------------------------

MEASURE = r"""() => {
  const out = {doc: document.documentElement.scrollWidth, small: [], wide: [], texts: []};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement, st = getComputedStyle(el);
    if (!el.getClientRects().length || st.visibility === 'hidden') continue;
    let size = parseFloat(st.fontSize);
    if (el instanceof SVGElement) { const m = el.getScreenCTM(); size *= Math.hypot(m.a, m.b); }
    if (size < 11) out.small.push([n.textContent.trim().slice(0, 30), Math.round(size * 10) / 10]);
  }
  for (const t of document.querySelectorAll('table, .scroll, svg, ul, p, figure')) {
    const b = t.getBoundingClientRect();
    if (b.width && (b.right > innerWidth + 0.5 || (t.clientWidth && t.scrollWidth > t.clientWidth + 1)))
      out.wide.push([t.tagName, Math.round(b.right), t.scrollWidth, t.clientWidth]);
  }
  // the texts a reader reads: a table row's cells (with the row, for rule titles), list items,
  // paragraphs, captions, headings, the chart labels
  for (const el of document.querySelectorAll('td, th, li, p, figcaption, summary, h1, h2, h3, svg text')) {
    out.texts.push([el.tagName, el.innerText !== undefined ? el.innerText : el.textContent,
                    el.closest('tr') ? el.closest('tr').innerText : '']);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() and not REQUIRED:
        pytest.skip("no /usr/bin/chromium (apt-get install chromium; CI sets LIFTCHECK_REQUIRE_BROWSER)")
    from playwright.sync_api import sync_playwright  # a test dependency: fails, never skips, when missing
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def _phone(browser, path: Path):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.route("http*://**/*", lambda route: route.abort())
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return ctx, page


@pytest.mark.browser
@pytest.mark.parametrize("name", ["报告.html", "草稿报告.html", "比较.html"])
def test_a_page_reads_in_chinese_on_a_phone_without_overflow_or_small_text(browser, files, name):
    ctx, page = _phone(browser, files[name])
    try:
        m = page.evaluate(MEASURE)
    finally:
        ctx.close()
    assert m["doc"] <= 390, m["doc"]
    assert m["wide"] == [], m["wide"][:5]
    assert m["small"] == [], m["small"][:10]
    titles = _rule_titles()
    found = []
    for tag, text, row in m["texts"]:
        found += [f"{tag}: {p}" for p in untranslated(text)]
        ids = [x for x in re.split(r"[、,;，；\s]+", text.strip()) if x]
        if tag == "TD" and ids and all(x in titles for x in ids):
            found += [f"rule {x} without its title in {row[:60]!r}" for x in ids if not _has_title(titles[x], row)]
    assert found == [], "\n".join(found[:20])


@pytest.mark.browser
def test_the_charts_say_what_they_show(browser, files):
    ctx, page = _phone(browser, files["报告.html"])
    try:
        ticks = page.locator("figure#closed-loop svg text").all_text_contents()
        caption = page.locator("figure#monthly figcaption").first.inner_text()
        state = page.locator("#chart-monthly-state").count()
    finally:
        ctx.close()
    # the closed-loop rate's axis in %, as its labels: 0%, 50%, 100%
    assert {"0%", "50%", "100%"} <= {t.strip() for t in ticks}
    assert not any(t.strip() in ("0.0", "0.5", "1.0") for t in ticks)
    # the yearly state rules, judged on 12-31, are a part of their own and the caption says why
    assert state == 1
    assert "按期末状态判断的年度规则" in caption and "2024-12-31" in caption and "制定应急预案" in caption


@pytest.mark.browser
def test_compare_shows_ten_to_twelve_on_a_phone(browser, files):
    ctx, page = _phone(browser, files["比较.html"])
    try:
        shift = page.locator("ul.changes li", has_text="maintenance.dense_max_interval_days").locator(".shift")
        box = shift.bounding_box()
        text = shift.inner_text()
    finally:
        ctx.close()
    assert text == "10 → 12 天"
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


# ---- the terminal at 80 columns -------------------------------------------------------------------

def _known_ids(demo: Path) -> set[str]:
    from checker.params import load_parameters

    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    ids = set(_rule_titles()) | set(load_parameters().params)
    for v in report["violations"]:
        ids |= {x for x in (v["fingerprint"], v["subject"], v["elevator_id"], v["use_unit_id"], v["responsible_org_id"])
                if x}
    return {i for i in ids if len(i) >= 6}


_BOX = re.compile(r"[│┃║|]")
_ASCII = re.compile(r"[A-Za-z0-9_.\-]+")


def _segments(line: str) -> list[tuple[int, str]]:
    """A line cut at table borders: (start column, text) of each cell's part of it."""
    out, start = [], 0
    for m in _BOX.finditer(line):
        out.append((start, line[start:m.start()]))
        start = m.end()
    out.append((start, line[start:]))
    return out


def broken_ids(text: str, known: set[str]) -> list[str]:
    """Ids cut across two lines: the last word of a line (or of a cell's part of it) and the first
    word of the next one (in the same cell) make up, or begin, a known id that neither is alone."""
    lines = text.splitlines()
    found = []
    for a, b in zip(lines, lines[1:]):
        below = {start: seg for start, seg in _segments(b)}
        for start, seg in _segments(a):
            tail = _ASCII.findall(seg.rstrip())[-1:] if seg.rstrip() and _ASCII.search(seg.rstrip()[-1]) else []
            nxt = below.get(start, "")
            head = _ASCII.match(nxt.lstrip())
            if not tail or not head:
                continue
            joined = tail[0] + head.group(0)
            if tail[0] in known or head.group(0) in known:
                continue
            if any(k == joined or (len(joined) >= 6 and k.startswith(joined)) for k in known):
                found.append(f"{tail[0]}/{head.group(0)}")
    return found


@pytest.fixture(scope="module")
def terminal(demo, files, proposal) -> dict[str, str]:
    """The terminal output of the commands a person reads, at 80 columns."""
    data = demo / "submission"
    ledger = files["credit.sqlite"]
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    commands = {
        "check": ["check", data, *PERIOD],
        "check --params --rules": ["check", data, *PERIOD, "--params", demo / "12天.yaml", "--rules", demo / "我的草稿"],
        "compare": ["compare", data, *PERIOD, "--proposal-params", demo / "12天.yaml"],
        "compare with changes": ["compare", data, *PERIOD, "--proposal-params", demo / "12天.yaml", "--proposal-rules", proposal],
        "credit": ["credit", ledger],
        "credit one firm": ["credit", ledger, "--org", report["credit"][0]["org_id"]],
        "old-list": ["old-list", data, "--quarter", "2024Q3"],
        "validate": ["validate", demo / "我的数据.xlsx"],
        "rules list": ["rules", "list"],
        "rules show": ["rules", "show", "MAINT-INTERVAL-DENSE"],
        "coverage": ["coverage"],
    }
    out = {name: run(*args).output for name, args in commands.items()}
    out["demo"] = (demo.parent / "demo.txt").read_text(encoding="utf-8")
    return out


TERMINAL = ["check", "check --params --rules", "compare", "compare with changes", "credit", "credit one firm", "old-list",
            "validate", "rules list", "rules show", "coverage", "demo"]


@pytest.mark.parametrize("name", TERMINAL)
def test_a_terminal_output_fits_80_columns_with_no_id_broken_and_no_code(terminal, demo, name):
    text = terminal[name]
    # the demo's commands to try next are printed whole on purpose (soft wrap), to be copied
    lines = [line for line in text.splitlines() if not (name == "demo" and line.startswith("  liftcheck "))]
    assert [line for line in lines if cell_len(line) > 80] == []
    assert broken_ids("\n".join(lines), _known_ids(demo)) == []
    assert [line for line in lines if any(s.rstrip().endswith("…") for _, s in _segments(line))] == []
    if name != "rules show":   # a rule's condition is written in the rule language, for drafters
        found = [p for line in lines for p in untranslated(line) if p.startswith(("code", "raw JSON", "Python repr"))]
        assert found == [], found[:10]


def test_the_80_column_terminal_shows_what_was_cut_off_before(terminal):
    overrides = terminal["check --params --rules"]
    assert "maintenance.dense_max_interval_days" in overrides and "10 → 12" in overrides
    assert "停用 disabled：日管控改由街道另行考核" in overrides.replace("\n", "")
    changed = terminal["compare with changes"]
    assert "■ 变化 Changed（" in changed
    assert "  严重程度　基准：较重\n" in changed and "拟议：严重" in changed
    assert re.search(r"  责任方　基准：维保单位：", changed) and "拟议：使用单位：" in changed
    validate = terminal["validate"]   # the message naming four rules: HAZARD-SERIOUS-STOP whole
    assert "HAZARD-SERIOUS-STOP" in validate
    assert "已撤销分" in terminal["credit"]
    # (a line may break anywhere in Chinese text: read it joined)
    assert re.search(r"已撤销 张三 \d{4}-\d\d-\d\d\s*\d\d:\d\d:\d\d（北京时间）：申诉成立",
                     terminal["credit one firm"].replace("\n", ""))


def test_broken_ids_are_found():
    known = {"HAZARD-SERIOUS-STOP", "maintenance.dense_max_interval_days"}
    assert broken_ids("│ 无法逐日判断，DAILY-CHECK、HA │\n│ ZARD-SERIOUS-STOP 对该电梯  │", known) == ["HA/ZARD-SERIOUS-STOP"]
    assert broken_ids("maintenance.dense_max_\ninterval_days: 12", known) == ["maintenance.dense_max_/interval_days"]
    assert broken_ids("HAZARD-SERIOUS-STOP 对\n该电梯", known) == []


@pytest.mark.parametrize("command", [[], ["check"], ["compare"], ["validate"], ["old-list"], ["credit"], ["credit", "show"],
                                     ["credit", "revoke"], ["credit", "migrate"], ["serve"], ["users", "add"], ["features"],
                                     ["coverage"], ["template"], ["demo"], ["rules", "show"], ["convert"], ["sample"]])
def test_help_fits_80_columns(command):
    text = run(*command, "--help", columns=80, expect=(0,)).output
    wide = [line for line in text.splitlines() if cell_len(line) > 80]
    assert wide == []


@pytest.mark.parametrize("command", [["serve"], ["credit", "migrate"]])
def test_serve_and_migrate_help_in_chinese_and_english_without_internal_words(command):
    text = run(*command, "--help", columns=80, expect=(0,)).output
    description = text.split("参数 Arguments")[0]
    assert CJK.search(description.split("\n", 1)[1]) and re.search(r"[A-Za-z]{4,} [a-z]{2,}", description)
    assert "Revision" not in text and "PATH is loaded" not in text


# ---- small things ---------------------------------------------------------------------------------

def test_the_english_workbook_has_english_titles_for_pending_obligations(demo, tmp_path):
    out = tmp_path / "en.xlsx"
    run("check", demo / "submission", *PERIOD, "--lang", "en", "-o", out)
    rows = list(openpyxl.load_workbook(out)["Pending"].values)
    assert rows[0][:2] == ("Rule", "Title") and len(rows) > 1
    titles = {r[0]: r[1] for r in rows[1:]}
    assert titles and all(title == labels.rule_title(rule, "en") for rule, title in titles.items())
    assert all(not CJK.search(t) for t in titles.values())
    overview = [r for r in openpyxl.load_workbook(out)["Overview"].values if r[0] == "DAILY-CHECK"]
    assert overview[0][1] == labels.rule_title("DAILY-CHECK", "en")


def test_the_credit_workbook_says_the_revoked_column_counts_points(files):
    sheets = dict(_rows(files["信用扣分.xlsx"]))
    header = next(r for r in sheets["信用扣分"] if r and r[0] == "排名")
    assert "已撤销（分）" in header and "已撤销" not in header
    items = [dict(zip(sheets["扣分明细"][0], r)) for r in sheets["扣分明细"][1:]]
    revoked = [i for i in items if i["撤销人"]]
    assert len(revoked) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", revoked[0]["撤销时间"])


def test_a_json_report_given_as_a_ledger_is_named_in_chinese(demo):
    r = run("credit", demo / "report.json", expect=(2,))
    assert f"错误：{demo / 'report.json'} 不是 liftcheck 账本：它是 JSON 文件（例如 check --format json 写下的报告），不是 SQLite 数据库" \
        in r.output
    assert "file is not a database" not in r.output


# ---- the one place for labels, and the wrapping -------------------------------------------------

def test_every_label_comes_from_one_place():
    assert labels.label("severity", "major") == "较重" and labels.label("severity", "major", "en") == "major"
    assert labels.label("responsible", "use_unit") == "使用单位"
    assert labels.label("elevators.status", "in_service") == "在用"
    assert labels.label("maintenance.kind", "half_month") == "半月"
    assert labels.label("daily_checks.result", "normal") == "正常"
    assert labels.label("assessments.conclusion", "major_repair") == "大修"
    assert labels.label("record_type", "daily_checks") == "每日电梯安全检查记录（日管控）"
    assert labels.label("rule", "MAINT-INTERVAL-DENSE") == "高梯户比老旧电梯现场维保周期超过10天"
    assert labels.label("differs", "evidence") == "证据" and labels.label("sweep", "state") == "期末状态"
    assert labels.label("assessment_status", "已完成 completed") == "已完成"
    assert labels.label("severity", None) == "" and labels.label("severity", "unheard_of") == "unheard_of"
    with pytest.raises(KeyError):
        labels.label("no_such_kind", "x")
    with pytest.raises(KeyError):
        labels.label("elevators.no_such_field", "x")
    assert labels.party("use_unit", "南京玄武第1物业服务有限公司", "9132010000000000X") == \
        "使用单位：南京玄武第1物业服务有限公司（9132010000000000X）"
    assert labels.party("town_government", "建邺街道", None) == "镇人民政府、街道办事处或开发区管理机构：建邺街道"
    assert labels.local_time("2026-12-01T16:30:05+00:00") == "2026-12-02 00:30:05（北京时间）"
    assert labels.percent(0.4444) == "44.4%"
    # every code a rule or the contract can show has its label: a new enum value without one is caught
    for rt in __import__("checker.contract", fromlist=["record_types"]).record_types().values():
        for f in rt.fields:
            for code in f.enum_labels:
                assert CJK.search(labels.label(f"{rt.name}.{f.name}", code)), (rt.name, f.name, code)
    for rule in __import__("checker.rulebook", fromlist=["load_rulebook"]).load_rulebook():
        assert CJK.search(labels.rule_title(rule.id)) and not CJK.search(labels.rule_title(rule.id, "en").split("(")[0])
        for party in rule.parties:
            assert CJK.search(labels.label("responsible", party))


def test_chinese_folds_between_characters_and_ids_stay_whole():
    from checker.terminal import wrap

    text = ("elevators.csv 第 7 行：无法逐日判断，DAILY-CHECK、MAINT-INTERVAL(-DENSE)、INSPECTION-VALID、"
            "HAZARD-SERIOUS-STOP 对该电梯不作判断，列入报告的“未评判”")
    for width in range(24, 60):   # from the widest word, MAINT-INTERVAL(-DENSE)、
        lines = [line.plain for line in wrap(text, width)]
        assert all(cell_len(line) <= width for line in lines)
        joined = " ".join(lines)
        for word in ("DAILY-CHECK", "MAINT-INTERVAL(-DENSE)", "INSPECTION-VALID", "HAZARD-SERIOUS-STOP", "elevators.csv"):
            assert word in joined, (width, lines)
        assert not any(line.startswith(("，", "、", "。", "）", "”", "：")) for line in lines[1:]), lines
        assert not any(line.endswith(("（", "“", "「")) for line in lines), lines
    # a word wider than the line is folded, as the last resort
    assert [line.plain for line in wrap("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]
