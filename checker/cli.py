"""The `liftcheck` command: thin click commands that parse options and call the library."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from pathlib import Path

import click

from checker.errors import LiftcheckError

EXIT_OK, EXIT_VIOLATIONS, EXIT_CANNOT_JUDGE = 0, 1, 2


def _friendly(func):
    """No traceback reaches a user: known problems print in Chinese and English, exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except LiftcheckError as exc:
            from checker.text import visible

            click.echo(f"错误：{visible(exc.zh)}\nError: {visible(exc.en)}", err=True)
            sys.exit(EXIT_CANNOT_JUDGE)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断 / interrupted", err=True)
            sys.exit(130)
        except OSError as exc:  # a path the user gave cannot be read or written: theirs to fix
            from checker.text import visible

            where = visible(exc.filename if exc.filename is not None else "（路径未知 path unknown）")
            reason = visible(exc.strerror or exc)
            click.echo(f"错误：无法读写 {where}：{reason}\nError: cannot read or write {where}: {reason}", err=True)
            sys.exit(EXIT_CANNOT_JUDGE)
        except Exception as exc:  # noqa: BLE001 - last line of defence, see LIFTCHECK_DEBUG
            if os.environ.get("LIFTCHECK_DEBUG"):
                raise
            from checker.text import visible

            click.echo(f"内部错误（请把这条信息报告给 liftcheck 维护者）：{type(exc).__name__}: {visible(exc)}\n"
                       f"Internal error (please report it to the liftcheck maintainers): {type(exc).__name__}: {visible(exc)}\n"
                       "设置 LIFTCHECK_DEBUG=1 可看到完整的调用栈 / set LIFTCHECK_DEBUG=1 for the full traceback",
                       err=True)
            sys.exit(EXIT_CANNOT_JUDGE)

    return wrapper


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        from checker.dates import parse_date

        try:
            return parse_date(value, f"--{param.name.replace('_', '-')}" if param else "date")
        except LiftcheckError as exc:
            self.fail(f"{exc.zh} / {exc.en}", param, ctx)


DATE = DateParam()

FORCE = click.option("--force", is_flag=True,
                     help="Overwrite an existing output file (never an input: those are refused even with --force).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liftcheck")
def main():
    """liftcheck：南京老旧住宅电梯安全评估及整治意见的规则即代码检查工具。

    Rules-as-code compliance checker for old residential elevators in Nanjing.
    Exit status: 0 clean · 1 violations · 2 could not judge.
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write every problem to this file (.csv or .json).")
@FORCE
@_friendly
def validate(path: Path, fmt: str, output: Path | None, force: bool):
    """校验提交的数据（文件夹或 .xlsx）。Validate a submission: exit 0 valid, 2 not."""
    from checker.load import load_submission
    from checker.outputs import check_output
    from checker.render import check_table_path, print_validation, validation_json, write_table
    from checker.validate import validate as run_validation

    if output is not None:
        check_table_path(output)
        check_output(output, [path], force)
    submission = run_validation(load_submission(path))
    if output:
        write_table(submission.problems, output)
    if fmt == "json":
        click.echo(validation_json(submission))
    else:
        print_validation(submission, path)
        if submission.record_counts.get("elevators", 0) == 0:
            click.echo("提醒：没有电梯记录（elevators），check 将无法评判这份数据\n"
                       "note: no elevators: check cannot judge this submission", err=True)
    sys.exit(EXIT_CANNOT_JUDGE if submission.error_count else EXIT_OK)


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--elevators", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--from", "start", type=DATE, default="2024-01-01", show_default=True)
@click.option("--to", "end", type=DATE, default="2024-12-31", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), default="csv", show_default=True)
@click.option("--chinese-headers", is_flag=True, help="Use the Chinese labels as column headers (CSV, xlsx).")
@click.option("--force", is_flag=True, help="Write into a folder that already holds files (same names are replaced).")
@_friendly
def sample(out: Path, elevators: int, start: dt.date, end: dt.date, seed: int, fmt: str, chinese_headers: bool,
           force: bool):
    """生成一份逼真的样例数据。Write a realistic, deterministic sample submission."""
    from checker.outputs import check_output_folder
    from checker.sample import SampleSpec, generate, write

    check_output_folder(out, force)
    tables = generate(SampleSpec(elevators, start, end, seed))
    paths = write(tables, out, fmt, chinese_headers)
    total = sum(df.height for df in tables.values())
    click.echo(f"已生成 {len(paths)} 个文件，共 {total:,} 条记录 → {out}\n"
               f"wrote {len(paths)} file(s), {total:,} records → {out}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "start", type=DATE, required=True, help="First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True, help="Last day of the period (included).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.option("--params", "params_file", type=click.Path(path_type=Path), help="YAML overrides: dotted name → value.")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="A folder of rule files laid over the shipped ones (replace, add, or disable with a reason).")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path), help="The official credit-point schedule.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="json/html: write the report here. table: write every violation here (.csv/.json/.xlsx).")
@click.option("--skip-invalid", is_flag=True, help="Judge the valid records; list every rejected one in the report.")
@click.option("--rule", "only", multiple=True, help="Evaluate only this rule (repeatable).")
@click.option("--ledger", "ledger_target", help="Record the deductions in this ledger (SQLite path or PostgreSQL URL).")
@click.option("--partitions", type=click.IntRange(min=1), default=1, show_default=True,
              help="Evaluate use-unit partitions in parallel (same verdicts).")
@FORCE
@_friendly
def check(path: Path, start: dt.date, end: dt.date, fmt: str, params_file: Path | None, rules_dir: Path | None,
          credit_file: Path | None, output: Path | None, skip_invalid: bool, only: tuple[str, ...],
          ledger_target: str | None, partitions: int, force: bool):
    """按规则检查提交的数据。Check a submission against the rules for a period.

    Exit status: 0 no violation · 1 violations · 2 could not judge.
    """
    from checker.outputs import check_output
    from checker.pipeline import InvalidSubmission
    from checker.render import check_table_path, print_problems

    if fmt == "html" and output is None:
        raise click.UsageError("--format html 需要 -o 报告.html / --format html needs -o REPORT.html")
    if ledger_target and rules_dir:
        raise LiftcheckError("信用账本只记录按发布的规则所做的检查；--rules 覆盖目录用于试算，不能与 --ledger 同用",
                             "the credit ledger records sweeps by the published rules only; a --rules overlay is "
                             "for trying wordings and cannot be used with --ledger")
    # every output is checked before the work starts: the report file, then the ledger
    if output is not None:
        if fmt == "table":
            check_table_path(output)
        check_output(output, [path, params_file, credit_file, _ledger_file(ledger_target)], force)
    if ledger_target:
        from checker.ledger import check_ledger

        check_ledger(ledger_target, inputs=[path, params_file, credit_file])
    try:
        run = _run_with_progress(path, start, end, params_file, skip_invalid, credit_file, list(only), fmt, partitions,
                                 rules_dir)
    except InvalidSubmission as exc:
        if fmt == "json":
            from checker.render import validation_json

            click.echo(validation_json(exc.submission))
        else:
            from rich.console import Console

            print_problems(exc.submission.problems, Console(stderr=True))
        raise
    report = run.report
    _print_warnings(run.submission)
    if ledger_target:
        from checker.ledger import unrecorded

        report["summary"]["ledger"] = {"target": ledger_target, "new_deductions": unrecorded(ledger_target, report)}
    # the report first, the ledger last: a report that cannot be written leaves the ledger as it was
    _emit_report(report, fmt, output)
    if ledger_target:
        _record(ledger_target, report, output)
    sys.exit(EXIT_VIOLATIONS if report["violations"] else EXIT_OK)


def _ledger_file(target: str | None) -> Path | None:
    """A SQLite ledger is an input an output may not overwrite (a folder is the ledger check's to refuse)."""
    return Path(target) if target and "://" not in target and not Path(target).is_dir() else None


def _print_warnings(submission) -> None:
    """What was read with a warning (full-width digits, files not read, blank rows) is said in
    `check` too, on stderr, so a report on stdout stays machine-readable."""
    import polars as pl
    from rich.console import Console

    from checker.render import print_problems

    warnings = submission.problems.filter(pl.col("severity") == "warning")
    if warnings.height:
        print_problems(warnings, Console(stderr=True))


def _record(target: str, report: dict, output: Path | None) -> None:
    from checker.ledger import open_ledger

    expected = report["summary"]["ledger"]["new_deductions"]
    try:
        with open_ledger(target) as ledger:
            added = ledger.record_sweep(report)
    except LiftcheckError as exc:
        where = f"（报告已写入 {output}）" if output else ""
        where_en = f" (the report was written to {output})" if output else ""
        raise LiftcheckError(f"报告已生成{where}，但账本未更新：{exc.zh}", f"the report is out{where_en}, but the ledger "
                             f"was not updated: {exc.en}") from None
    if added != expected:  # another sweep recorded some of the same breaches meanwhile
        click.echo(f"账本 {target}：实际新增 {added} 项扣分（报告写的是 {expected} 项，期间有其他检查写入）\n"
                   f"ledger {target}: {added} deductions were new (the report says {expected}; another sweep "
                   "recorded some meanwhile)", err=True)


def _run_with_progress(path, start, end, params_file, skip_invalid, credit_file, only, fmt, partitions=1,
                       rules_dir=None):
    from checker.pipeline import run_check

    if fmt != "table" or not sys.stderr.isatty() or partitions > 1:  # bars only for people at a terminal
        return run_check(path, start, end, params_file, skip_invalid, credit_file, only or None, partitions=partitions,
                         rules_dir=rules_dir)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("评判规则 judging rules", total=None)
        return run_check(path, start, end, params_file, skip_invalid, credit_file, only or None, rules_dir=rules_dir,
                         progress=lambda rule_id, total: bar.update(task, total=total, advance=1))


def _emit_report(report: dict, fmt: str, output: Path | None) -> None:
    import json

    from checker.outputs import write_text
    from checker.render import print_report, write_table

    if fmt == "html":
        from checker.render import report_html

        write_text(output, report_html(report))
        click.echo(f"报告已写入 {output} / report written to {output}")
        return
    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
        if output:
            write_text(output, text + "\n")
        else:
            click.echo(text)
        return
    print_report(report)
    if output:
        import polars as pl

        rows = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in r.items()}
                for r in report["violations"]]
        write_table(pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame({"rule_id": []}), output)
        click.echo(f"全部违规已写入 {output} / every violation written to {output}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "start", type=DATE, required=True, help="First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True, help="Last day of the period (included).")
@click.option("--proposal-params", type=click.Path(path_type=Path), help="The proposal's parameter values (YAML).")
@click.option("--proposal-rules", type=click.Path(path_type=Path), help="The proposal's rule files, laid over the base.")
@click.option("--params", "params_file", type=click.Path(path_type=Path), help="The base's parameters (default: shipped).")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), help="The base's rule overlay (default: none).")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path), help="The official credit-point schedule.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx", "html"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="json/xlsx/html: write the comparison here.")
@click.option("--skip-invalid", is_flag=True, help="Judge the valid records only.")
@FORCE
@_friendly
def compare(path: Path, start: dt.date, end: dt.date, proposal_params: Path | None, proposal_rules: Path | None,
            params_file: Path | None, rules_dir: Path | None, credit_file: Path | None, fmt: str,
            output: Path | None, skip_invalid: bool, force: bool):
    """比较两种措辞对同一批记录的结论（先看结论）。Compare the base rule book with a proposal over the same records.

    Exit status: 0 the comparison was made (differences are its content) · 2 it could not be made.
    """
    import json

    from checker.compare import run_compare

    suffixes = {"xlsx": (".xlsx",), "html": (".html", ".htm"), "json": (".json",)}
    if fmt in ("xlsx", "html") and output is None:
        raise click.UsageError(f"--format {fmt} 需要 -o 文件{suffixes[fmt][0]} / --format {fmt} needs -o FILE{suffixes[fmt][0]}")
    if output is not None and fmt == "table":
        raise click.UsageError("表格打印在终端；要写文件请用 --format json|xlsx|html -o 文件 / "
                               "the table prints to the terminal; to write a file use --format json|xlsx|html -o FILE")
    if output is not None and output.suffix.lower() not in suffixes[fmt]:
        raise LiftcheckError(f"{output.name}：--format {fmt} 的输出文件应以 {' 或 '.join(suffixes[fmt])} 结尾",
                             f"{output.name}: the output of --format {fmt} must end in {' or '.join(suffixes[fmt])}")
    if output is not None:
        from checker.outputs import check_output

        check_output(output, [path, proposal_params, params_file, credit_file], force)
    comparison = run_compare(path, start, end, proposal_params, proposal_rules, params_file, rules_dir,
                             credit_file, skip_invalid)
    if fmt == "table":
        from checker.render_whatif import print_comparison

        print_comparison(comparison)
    elif fmt == "json" and output is None:
        click.echo(json.dumps(comparison, ensure_ascii=False, indent=2, default=str))
    else:
        from checker.outputs import atomic_output, write_text

        if fmt == "json":
            write_text(output, json.dumps(comparison, ensure_ascii=False, indent=2, default=str) + "\n")
        elif fmt == "xlsx":
            from checker.render_whatif import write_comparison_xlsx

            with atomic_output(output) as tmp:
                write_comparison_xlsx(comparison, tmp)
        else:
            from checker.render_whatif import comparison_html

            write_text(output, comparison_html(comparison))
        click.echo(f"{comparison['conclusion_zh']}\n{comparison['conclusion_en']}\n比较已写入 {output} / comparison written to {output}")
    sys.exit(EXIT_OK)


@main.command()
@click.argument("out", type=click.Path(path_type=Path), default=Path("liftcheck-模板.xlsx"))
@click.option("--force", is_flag=True, help="Overwrite an existing workbook (a filled-in one is lost).")
@_friendly
def template(out: Path, force: bool):
    """生成填报用的 Excel 模板。Write an Excel workbook to fill in: a sheet per record type, Chinese headers."""
    from checker.outputs import check_output
    from checker.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise click.UsageError("模板文件应以 .xlsx 结尾 / the template must end in .xlsx")
    check_output(out, force=force)
    write_template(out)
    click.echo(f"模板已写入 {out}（每类记录一张表，填好后运行 liftcheck validate {out}）\n"
               f"template written to {out} (a sheet per record type; fill it in, then liftcheck validate {out})")


@main.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("liftcheck-demo"), show_default=True)
@click.option("--force", is_flag=True, help="Write into a folder that holds other files (the demo's own are replaced).")
@_friendly
def demo(folder: Path, force: bool):
    """生成小样例并运行完整检查。Make a small sample in ./liftcheck-demo and run the main job on it."""
    from checker.demo import DEMO_MARKER, run_demo
    from checker.outputs import check_output_folder

    check_output_folder(folder, force, owned_marker=DEMO_MARKER)
    sys.exit(run_demo(folder))


@main.group()
def rules():
    """规则目录。The rule catalogue."""


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_friendly
def rules_list(fmt: str):
    """列出全部规则。List every rule."""
    from checker.render import rules_table
    from checker.rulebook import load_rulebook

    book = load_rulebook()
    if fmt == "json":
        import json

        click.echo(json.dumps([r.body for r in book], ensure_ascii=False, indent=2, default=str))
    else:
        rules_table(book)


@rules.command("show")
@click.argument("rule_id")
@_friendly
def rules_show(rule_id: str):
    """一条规则的说明：检查什么、为什么、条款原文、参数、正反例。Explain one rule."""
    from checker.params import load_parameters
    from checker.render import print_rule
    from checker.rulebook import load_rulebook

    from checker.engine import definitions_used

    rule, params = load_rulebook().get(rule_id), load_parameters()
    print_rule(rule, params, definitions_used(rule, params))


OLD_LIST_COLUMNS = {"elevator_id": "设备代码", "district": "所在区", "community": "小区", "use_unit_id": "使用单位",
                    "age_years": "投用年限", "affordable_housing": "保障房", "dense": "高梯户比",
                    "latest_screening_on": "最近筛查", "latest_risk_level": "风险等级", "assessment_status": "全面评估",
                    "open_hazards": "未整改隐患"}


@main.command("old-list")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", type=DATE, help="The day the list is drawn up for.")
@click.option("--quarter", help="A quarter such as 2024Q3: its last day is the date.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the list to this file.")
@click.option("--params", "params_file", type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True)
@FORCE
@_friendly
def old_list(path: Path, as_of: dt.date | None, quarter: str | None, fmt: str, output: Path | None,
             params_file: Path | None, skip_invalid: bool, force: bool):
    """15年以上老旧住宅电梯清单（四（二））。The list of old residential elevators, as of a date."""
    from checker.dates import quarter_end
    from checker.facts import FactBase
    from checker.load import load_submission
    from checker.metrics import old_list as build_old_list
    from checker.params import load_parameters
    from checker.outputs import check_output, csv_safe
    from checker.pipeline import require_elevators
    from checker.render import check_table_path, join_lists, print_frame, write_table
    from checker.validate import validate as run_validation

    if (as_of is None) == (quarter is None):
        raise click.UsageError("请给出 --as-of DATE 或 --quarter 2024Q3 之一 / give exactly one of --as-of or --quarter")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx 需要 -o 文件.xlsx / --format xlsx needs -o FILE.xlsx")
    # with -o, --format names the file type (table: the file's own suffix decides)
    target = None if output is None else output if fmt == "table" else output.with_suffix("." + fmt)
    if target is not None:
        check_table_path(target)
        check_output(target, [path, params_file], force)
    day = as_of or quarter_end(quarter)
    sub = run_validation(load_submission(path), skip_invalid=skip_invalid)
    require_elevators(sub, path, skip_invalid)
    listing = build_old_list(FactBase(sub, load_parameters(params_file), day, day), day)
    if target is not None:
        write_table(listing, target)
        click.echo(f"老旧电梯清单 {listing.height:,} 部 → {target} / old-elevator list: {listing.height:,} elevators → {target}")
    elif fmt == "json":
        import json

        click.echo(json.dumps({"as_of": day.isoformat(), "count": listing.height,
                               "elevators": listing.to_dicts()}, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        click.echo(csv_safe(join_lists(listing)).write_csv(), nl=False)
    else:
        print_frame(listing.select(list(OLD_LIST_COLUMNS)).rename(OLD_LIST_COLUMNS),
                    f"15年以上老旧住宅电梯清单 Old residential elevators as of {day}（{listing.height:,} 部）",
                    list(OLD_LIST_COLUMNS.values()))


@main.command("fund-check")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("application_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--params", "params_file", type=click.Path(path_type=Path))
@_friendly
def fund_check(path: Path, application_id: str, fmt: str, params_file: Path | None):
    """维修资金应急通道申请的依据是否充分（四（三））。Judge one emergency-channel fund application.

    Exit status: 0 every prerequisite holds · 1 some do not · 2 could not judge.
    """
    from checker.funds import judge_application
    from checker.render import print_fund_verdict

    verdict = judge_application(path, application_id, params_file)
    if fmt == "json":
        import json

        click.echo(json.dumps(verdict, ensure_ascii=False, indent=2, default=str))
    else:
        print_fund_verdict(verdict)
    sys.exit(EXIT_OK if verdict["approvable"] else EXIT_VIOLATIONS)


class _DefaultCommandGroup(click.Group):
    """`liftcheck credit TARGET …` shows totals; `liftcheck credit revoke …` reverses a deduction."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


@main.group(cls=_DefaultCommandGroup)
def credit():
    """信用扣分账本。The credit ledger: liftcheck credit TARGET, liftcheck credit revoke TARGET FINGERPRINT."""


@credit.command("show")
@click.argument("target")
@click.option("--year", type=int)
@click.option("--org", "org_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path))
@click.option("--credit", "credit_file", type=click.Path(path_type=Path), help="The point schedule (caps, threshold).")
@FORCE
@_friendly
def credit_show(target: str, year: int | None, org_id: str | None, fmt: str, output: Path | None,
                credit_file: Path | None, force: bool):
    """各物业服务企业的扣分合计（按分数排序）。Per-firm totals with their items, ranked.

    Reads the ledger without changing it: never creates, migrates or writes to a database."""
    from checker.credit import load_schedule
    from checker.ledger import open_ledger, totals
    from checker.outputs import check_output, csv_safe, write_text
    from checker.render import check_table_path, print_credit, write_table

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx 需要 -o 文件.xlsx / --format xlsx needs -o FILE.xlsx")
    if output is not None and fmt != "table":
        if fmt in ("csv", "xlsx"):
            check_table_path(output)
        check_output(output, [_ledger_file(target), credit_file], force)
    schedule = load_schedule(credit_file)
    with open_ledger(target, must_exist=True, read_only=True) as ledger:
        firms = totals(ledger.deductions(year, org_id), schedule)
    body = {"target": target, "year": year, "org": org_id, "official": schedule.official,
            "notice_zh": schedule.notice_zh, "notice_en": schedule.notice_en, "firms": firms}
    if fmt in ("csv", "xlsx"):
        import polars as pl

        rows = [{"org_id": f["org_id"], "firm_points": f["points"], "dishonest_register": f["dishonest_register"],
                 **{k: v for k, v in i.items() if k != "revoked"},
                 "revoked_reason": (i.get("revoked") or {}).get("reason"),
                 "revoked_by": (i.get("revoked") or {}).get("by")} for f in firms for i in f["items"]]
        frame = pl.DataFrame(rows) if rows else pl.DataFrame({"org_id": []})
        if output is None:
            click.echo(csv_safe(frame).write_csv(), nl=False)
        else:
            write_table(frame, output)
    elif fmt == "json":
        import json

        text = json.dumps(body, ensure_ascii=False, indent=2, default=str)
        if output:
            write_text(output, text)
        else:
            click.echo(text)
    else:
        print_credit(body)


@credit.command("migrate")
@click.argument("target")
@click.option("--data", "data", type=click.Path(path_type=Path),
              help="提交的数据，用来找出 INSPECTION-VALID 失效的第一天 / the submission, to find each inspection lapse's first day.")
@click.option("--params", "params_file", type=click.Path(path_type=Path))
@_friendly
def credit_migrate(target: str, data: Path | None, params_file: Path | None):
    """把旧指纹方案的扣分改为 Revision 2 的违规身份，合并重复扣分，保留全部历史。
    Re-key a ledger's deductions to Revision 2's breach identity; merge double deductions; keep all history."""
    from checker.ledger import open_ledger

    keys = None
    if data is not None:
        from checker.migrate import inspection_keys

        keys = inspection_keys(data, params_file)
    with open_ledger(target, must_exist=True) as ledger:
        done = ledger.migrate_fingerprints(keys)
    click.echo(f"账本 {target} 已按 Revision 2 的违规身份重新编号：未变 {done['unchanged']} 项，改键 {done['rekeyed']} 项，"
               f"合并重复扣分 {done['merged']} 项（{done['merged_points']} 分不再计入）；旧记录保存在 rekeyed 表中。\n"
               f"ledger {target} re-keyed to Revision 2's breach identity: {done['unchanged']} unchanged, {done['rekeyed']} re-keyed, "
               f"{done['merged']} double deductions merged ({done['merged_points']} points no longer counted); "
               "the old rows are kept in table rekeyed.")


@credit.command("revoke")
@click.argument("target")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why the deduction is reversed (e.g. the appeal's outcome).")
@click.option("--by", "by", required=True, help="Who reverses it.")
@_friendly
def credit_revoke(target: str, fingerprint: str, reason: str, by: str):
    """撤销一项扣分（申诉），保留记录。Reverse a deduction on appeal; nothing is deleted."""
    from checker.ledger import open_ledger

    with open_ledger(target, must_exist=True) as ledger:
        ledger.revoke(fingerprint, reason, by)
    click.echo(f"已撤销 {fingerprint}（{by}：{reason}）/ revoked {fingerprint} ({by}: {reason})")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="Run the scenarios against the shipped rules with this overlay folder laid over them.")
@_friendly
def features(path: Path | None, rules_dir: Path | None):
    """运行中文场景（Gherkin）。Run the drafters' Chinese features; exit 0 when all pass, 2 when a file is miswritten."""
    from checker.bdd.runner import run_features

    sys.exit(run_features(path, rules_overlay=rules_dir))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table", show_default=True)
@click.option("--features", "features_dir", type=click.Path(path_type=Path), help="Another features folder.")
@_friendly
def coverage(fmt: str, features_dir: Path | None):
    """意见稿逐句覆盖：句子 → 规则 → 场景。Every sentence of the draft: encoded by rules, or why not; exit 1 when anything is flagged."""
    from checker.coverage import coverage as build, markdown
    from checker.rulebook import load_rulebook

    cov = build(load_rulebook(), features_dir)
    if fmt == "json":
        import json

        click.echo(json.dumps(cov, ensure_ascii=False, indent=2))
    elif fmt == "md":
        click.echo(markdown(cov), nl=False)
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        table = Table(title="条款覆盖：意见稿逐句 Clause coverage, sentence by sentence")
        for col in ("#", "条款", "句子 Sentence", "规则 / 未编码原因 Rules or why not"):
            table.add_column(col, overflow="fold")
        for c in cov["sentences"]:
            if c["rules"]:
                how = "\n".join(f"{r}（{c['scenarios'][r]} 个场景）" for r in c["rules"])
                if c["note"]:
                    how += f"\n[dim]另：{c['note']['zh']}[/]"
            elif c["not_encoded"]:
                how = f"[dim]未编码：{c['not_encoded']['zh']}[/]"
            else:
                how = "[red]未说明 unaccounted[/]"
            table.add_row(str(c["n"]), c["section"], c["text"], how)
        console.print(table)
        for x in cov["presupposed_law"]:
            console.print(f"{x['rule_id']} 依据 {x['source']}：“{x['text']}”——{x['presupposed']}")
        s = cov["summary"]
        console.print(f"意见稿共 {s['sentences']} 句：{s['encoded']} 句由规则编码，{s['not_encoded']} 句未编码（附原因）。"
                      f" {s['sentences']} sentences: {s['encoded']} encoded, {s['not_encoded']} not encoded (with reasons).")
        for p in cov["problems"]:
            click.echo(f"问题 problem: {p}")
        if not cov["problems"]:
            click.echo("没有问题：每一句都有交代，每条规则的引文都在意见稿中，每条规则都有场景 / "
                       "no problems: every sentence accounted for, every quote in the draft, every rule has scenarios")
    sys.exit(EXIT_VIOLATIONS if cov["problems"] else EXIT_OK)


# ---- the portal (云小站, 四（四）): needs the `portal` extra -------------------------------------------

_ROLES = ["use_unit", "maintenance_unit", "inspection_agency", "market_regulator", "district_government",
          "housing_department"]
_DB_HELP = "The portal database: a SQLite file (default liftcheck-portal.sqlite) or postgresql://…"


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--db", "db", help=_DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@_friendly
def serve(path: Path | None, db: str | None, host: str, port: int):
    """运行“云小站”门户（业主查询、单位办事、监管统计）。Run the portal.

    PATH is loaded into an empty database; with no PATH an empty database gets the demo sample.
    """
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.pipeline import InvalidSubmission
    from checker.portal.server import serve as run_server

    try:
        run_server(path, db, host, port, click.echo)
    except InvalidSubmission as exc:  # PATH is imported whole or not at all: show every problem
        from rich.console import Console

        from checker.render import print_problems

        print_problems(exc.submission.problems, Console(stderr=True))
        raise


@main.group()
def users():
    """门户账号。Portal accounts: liftcheck users add NAME --role ROLE."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(_ROLES), required=True)
@click.option("--org", "org_id", help="统一社会信用代码 (use_unit, maintenance_unit; optional for inspection_agency).")
@click.option("--district", help="The district of a district_government account, e.g. 玄武区.")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_add(name: str, role: str, org_id: str | None, district: str | None, db: str | None):
    """新建账号：打印一次性密码和 API 令牌（只显示这一次）。Create an account; prints its password and token once."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import add_user

    account, known = add_user(db, name, role, org_id, district)
    if not known:
        click.echo(f"注意：单位 {org_id} 还不在数据中（可由该单位上传后出现）/ note: organisation {org_id} is not in the data yet",
                   err=True)
    click.echo(f"已创建用户 {account.user.name}（{role}）/ created user {account.user.name} ({role})")
    click.echo(f"一次性密码 one-time password: {account.password}  （首次登录须修改 / must be changed at first sign-in）")
    click.echo(f"API 令牌 token: {account.token}")
    click.echo("以上密码和令牌只显示这一次，请妥善转交 / both are shown only this once")


@users.command("list")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_list(db: str | None):
    """列出账号（不含密码和令牌）。List the accounts (no passwords or tokens)."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import list_users

    for u in list_users(db):
        where = u["org_id"] or u["district"] or ""
        click.echo(f"{u['name']}\t{u['role']}\t{where}\t{'须改密码 must change password' if u['must_change_password'] else ''}")


if __name__ == "__main__":  # pragma: no cover
    main()
