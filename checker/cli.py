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
            click.echo(f"错误：{exc.zh}\nError: {exc.en}", err=True)
            sys.exit(EXIT_CANNOT_JUDGE)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断 / interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - last line of defence, see LIFTCHECK_DEBUG
            if os.environ.get("LIFTCHECK_DEBUG"):
                raise
            click.echo(f"内部错误（请把这条信息报告给 liftcheck 维护者）：{type(exc).__name__}: {exc}\n"
                       f"Internal error (please report it to the liftcheck maintainers): {type(exc).__name__}: {exc}\n"
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
@_friendly
def validate(path: Path, fmt: str, output: Path | None):
    """校验提交的数据（文件夹或 .xlsx）。Validate a submission: exit 0 valid, 2 not."""
    from checker.load import load_submission
    from checker.render import print_validation, validation_json, write_problems
    from checker.validate import validate as run_validation

    submission = run_validation(load_submission(path))
    if output:
        write_problems(submission.problems, output)
    if fmt == "json":
        click.echo(validation_json(submission))
    else:
        print_validation(submission, path)
    sys.exit(EXIT_CANNOT_JUDGE if submission.error_count else EXIT_OK)


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--elevators", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--from", "start", type=DATE, default="2024-01-01", show_default=True)
@click.option("--to", "end", type=DATE, default="2024-12-31", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), default="csv", show_default=True)
@click.option("--chinese-headers", is_flag=True, help="Use the Chinese labels as column headers (CSV, xlsx).")
@_friendly
def sample(out: Path, elevators: int, start: dt.date, end: dt.date, seed: int, fmt: str, chinese_headers: bool):
    """生成一份逼真的样例数据。Write a realistic, deterministic sample submission."""
    from checker.sample import SampleSpec, generate, write

    tables = generate(SampleSpec(elevators, start, end, seed))
    paths = write(tables, out, fmt, chinese_headers)
    total = sum(df.height for df in tables.values())
    click.echo(f"已生成 {len(paths)} 个文件，共 {total:,} 条记录 → {out}\n"
               f"wrote {len(paths)} file(s), {total:,} records → {out}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "start", type=DATE, required=True, help="First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True, help="Last day of the period (included).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--params", "params_file", type=click.Path(path_type=Path), help="YAML overrides: dotted name → value.")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path), help="The official credit-point schedule.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="json: write the report here. table: write every violation here (.csv/.json/.xlsx).")
@click.option("--skip-invalid", is_flag=True, help="Judge the valid records; list every rejected one in the report.")
@click.option("--rule", "only", multiple=True, help="Evaluate only this rule (repeatable).")
@click.option("--ledger", "ledger_target", help="Record the deductions in this ledger (SQLite path or PostgreSQL URL).")
@_friendly
def check(path: Path, start: dt.date, end: dt.date, fmt: str, params_file: Path | None, credit_file: Path | None,
          output: Path | None, skip_invalid: bool, only: tuple[str, ...], ledger_target: str | None):
    """按规则检查提交的数据。Check a submission against the rules for a period.

    Exit status: 0 no violation · 1 violations · 2 could not judge.
    """
    from checker.pipeline import InvalidSubmission
    from checker.render import print_problems

    try:
        run = _run_with_progress(path, start, end, params_file, skip_invalid, credit_file, list(only), fmt)
    except InvalidSubmission as exc:
        if fmt == "json":
            from checker.render import validation_json

            click.echo(validation_json(exc.submission))
        else:
            from rich.console import Console

            print_problems(exc.submission.problems, Console(stderr=True))
        raise
    report = run.report
    if ledger_target:
        from checker.ledger import open_ledger

        with open_ledger(ledger_target) as ledger:
            added = ledger.record_sweep(report)
        report["summary"]["ledger"] = {"target": ledger_target, "new_deductions": added}
    _emit_report(report, fmt, output)
    sys.exit(EXIT_VIOLATIONS if report["violations"] else EXIT_OK)


def _run_with_progress(path, start, end, params_file, skip_invalid, credit_file, only, fmt):
    from checker.pipeline import run_check

    if fmt != "table" or not sys.stderr.isatty():
        return run_check(path, start, end, params_file, skip_invalid, credit_file, only or None)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("评判规则 judging rules", total=len(only) if only else 19)
        return run_check(path, start, end, params_file, skip_invalid, credit_file, only or None,
                         progress=lambda rule_id: bar.advance(task))


def _emit_report(report: dict, fmt: str, output: Path | None) -> None:
    import json

    from checker.render import print_report, write_table

    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text + "\n", encoding="utf-8")
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
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("liftcheck-demo"), show_default=True)
@_friendly
def demo(folder: Path):
    """生成小样例并运行完整检查。Make a small sample in ./liftcheck-demo and run the main job on it."""
    from checker.demo import run_demo

    sys.exit(run_demo(folder))


if __name__ == "__main__":  # pragma: no cover
    main()
