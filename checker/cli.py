"""The `liftcheck` command: thin click commands that parse options and call the library."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import os
import sys
from pathlib import Path

import click

from checker.errors import LiftcheckError

EXIT_OK, EXIT_VIOLATIONS, EXIT_CANNOT_JUDGE = 0, 1, 2

# polars allocates with jemalloc, which it builds to hand freed pages back to the kernel within
# a second (dirty_decay_ms:500, muzzy_decay_ms:1000) and then fault them in again: a city-year
# check frees and reallocates its columns stage after stage. Keeping freed pages for 30 s cut
# its system time from ~1.9 s to ~1.45 s and its wall time by ~0.3 s (4.40-4.68 s against
# 4.63-5.01 s, interleaved runs, 2026-11-30), for ~250 MB more at the peak (1.64 GB). Read when
# polars is first imported, which the commands do later; a setting of the user's own is kept.
# Dask workers started here inherit it.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:30000,muzzy_decay_ms:30000")


def _friendly(func):
    """No traceback reaches a user: known problems print in Chinese and English, exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        _few_collections()
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
        finally:
            gc.unfreeze()   # what a command froze (check: its modules) is collectable again after it
            files = sys.modules.get("checker.files")
            if files is not None:   # a read ahead that a failed command never took is dropped
                files.forget_prefetched()

    return wrapper


def _few_collections() -> None:
    """Python's cycle collector, tuned for a sweep. A city-year makes tens of thousands of Python
    objects (report and credit dicts; verdict dicts where a table or workbook asks) over a heap
    of modules; at the default thresholds the collector walks all of them again and again, 1.5 s
    of a 9 s check measured here (when every verdict was a dict). The data itself lives in polars
    (Rust) and makes no cycles, so collect a hundred times less often."""
    gc.set_threshold(100_000, 50, 100)


# ---- click in Chinese and English ----------------------------------------------------------
# click writes its own messages (a missing argument, a bad choice, an unknown option) in
# English. They are caught where click would print them and shown in Chinese first, then
# click's own English; help headings are bilingual too.

_CLICK_ZH = [
    (r"^Missing argument '(?P<a>.+)'\.?$", "缺少参数 {a}"),
    (r"^Missing option '(?P<a>.+)'\.?$", "缺少选项 {a}"),
    (r"^Missing parameter: (?P<a>.+)$", "缺少参数 {a}"),
    (r"^Missing command\.?$", "缺少子命令"),
    (r"^No such option '(?P<a>[^']+)'\.?\s*(?:\(?Did you mean (?:one of: )?(?P<b>.+?)\?\)?)?$", "没有选项 {a}{b}"),
    (r"^No such command '(?P<a>[^']+)'\.?\s*(?:\(?Did you mean (?:one of: )?(?P<b>.+?)\?\)?)?$", "没有命令 {a}{b}"),
    (r"^Option '(?P<a>.+)' requires (?:an argument|\d+ arguments)\.?$", "选项 {a} 后面需要给出值"),
    (r"^Option '(?P<a>.+)' does not take a value\.?$", "选项 {a} 不接受值"),
    (r"^Got unexpected extra arguments? \((?P<a>.+)\)$", "多余的参数：{a}"),
    (r"^Invalid value for (?P<a>.+?): (?P<b>.+)$", "{a} 的值无效：{b}"),
    (r"^Invalid value: (?P<b>.+)$", "值无效：{b}"),
]
_VALUE_ZH = [
    (r"^'(?P<a>.*)' is not one of (?P<b>.+)\.$", "「{a}」不是可选值之一（可选：{b}）"),
    (r"^'(?P<a>.*)' is not '(?P<b>.+)'\.$", "「{a}」不是可选值 {b}"),
    (r"^'(?P<a>.*)' is not a valid integer\.$", "「{a}」不是整数"),
    (r"^'(?P<a>.*)' is not a valid float\.$", "「{a}」不是数字"),
    (r"^(?P<a>.+) is not in the range (?P<b>.+)\.$", "{a} 超出范围（{b}）"),
    (r"^(?:Path|File|Directory) '(?P<a>.+)' does not exist\.$", "路径 {a} 不存在"),
]


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _bilingual(message: str) -> tuple[str, str]:
    """click's message as (Chinese, English). liftcheck's own messages are "中文 / English"."""
    import re

    message = message.strip()
    for pattern, zh in _CLICK_ZH:
        m = re.match(pattern, message, re.S)
        if not m:
            continue
        parts = {k: (v or "").replace("'", "") for k, v in m.groupdict().items()}
        b = m.groupdict().get("b") or ""
        if "Did you mean" in message:
            parts["b"] = f"，是否想用 {'、'.join(x.strip() for x in parts['b'].split(','))}？" if b else ""
        elif _has_chinese(b) and " / " in b:   # a value liftcheck's own type refused, in both languages
            zh_part, en_part = b.split(" / ", 1)
            return zh.format(a=parts.get("a", ""), b=zh_part), message.replace(b, en_part)
        elif b:
            for vp, vzh in _VALUE_ZH:
                vm = re.match(vp, b)
                if vm:
                    parts["b"] = vzh.format(**{k: v.replace("'", "") for k, v in vm.groupdict().items()})
                    break
        return zh.format(**parts), message
    if _has_chinese(message) and len(message.split(" / ")) == 2:
        zh, en = message.split(" / ")
        return zh, en
    return ("命令行用法有误（见下方英文说明）" if not _has_chinese(message) else message), message


def show_usage_error(exc: click.UsageError) -> None:
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        command = ctx.command_path
        click.echo(f"运行 {command} -h 查看帮助 / Try '{command} -h' for help.\n", err=True)
    zh, en = _bilingual(exc.format_message())
    click.echo(f"错误：{zh}\nError: {en}", err=True)


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` display columns (a Chinese character takes two), broken as Chinese
    is typeset and never inside a word, an option or a file name (checker/terminal.py)."""
    from checker.terminal import wrap

    return [line.plain for line in wrap(text, width)]


def _unfold(paragraph: str) -> str:
    """A docstring paragraph as one line: lines joined by a space, or by nothing between Chinese."""
    out = ""
    for line in (x.strip() for x in paragraph.splitlines()):
        if out and line and not (_display_width(out[-1]) == 2 and _display_width(line[0]) == 2):
            out += " "
        out += line
    return out


def _two_paragraphs(text: str, width: int) -> str:
    """"中文说明。English help." as Chinese lines, then English lines, each wrapped by display width
    (click counts a Chinese character as one column; it takes two) and never inside a word."""
    if not text.strip():
        return text
    cjk = [i for i, ch in enumerate(text) if _display_width(ch) == 2]
    if cjk and cjk[-1] != len(text) - 1:
        zh, en = text[: cjk[-1] + 1], text[cjk[-1] + 1:].strip()
        lines = _wrap(zh, width) + _wrap(en, width)
    else:
        lines = _wrap(text, width)
    return "\b\n" + "\n".join(lines)


class LiftcheckCommand(click.Command):
    """A command whose help headings and help option read in Chinese and English."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。Show this message and exit."
        return option

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="用法 Usage: ")

    def format_help(self, ctx, formatter):
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_help_text(self, ctx, formatter):
        """The docstring, each paragraph wrapped by display width: no line wider than the terminal."""
        import inspect
        import re

        text = inspect.cleandoc(self.help or "").partition("\f")[0]
        if not text:
            return
        formatter.write_paragraph()
        width = max(formatter.width - formatter.current_indent - 2, 20)
        with formatter.indentation():
            for number, paragraph in enumerate(re.split(r"\n\s*\n", text)):
                if number:
                    formatter.write_paragraph()
                for line in _wrap(_unfold(paragraph), width):
                    formatter.write(f"{'':>{formatter.current_indent}}{line}\n")

    def format_options(self, ctx, formatter):
        """Arguments, then options, each help in Chinese then English."""
        params = [(p, r) for p in self.get_params(ctx) if (r := p.get_help_record(ctx)) is not None]
        if not params:
            return
        first_col = min(max(len(r[0]) for _, r in params), 30) + 2
        width = max(formatter.width - formatter.current_indent - first_col - 2, 10)
        for title, wanted in (("参数 Arguments", True), ("选项 Options", False)):
            rows = [(term, _two_paragraphs(text, width)) for p, (term, text) in params
                    if isinstance(p, click.Argument) == wanted]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class LiftcheckGroup(LiftcheckCommand, click.Group):
    """The `liftcheck` group: bilingual help, and click's own usage errors in Chinese and English."""

    command_class = LiftcheckCommand
    group_class = type  # subgroups are LiftcheckGroups too

    def format_options(self, ctx, formatter):
        LiftcheckCommand.format_options(self, ctx, formatter)
        commands = [(name, cmd) for name in self.list_commands(ctx) if (cmd := self.get_command(ctx, name)) is not None
                    and not cmd.hidden]
        if commands:
            width = max(formatter.width - formatter.current_indent - max(len(n) for n, _ in commands) - 4, 10)
            with formatter.section("命令 Commands"):
                formatter.write_dl([(name, _two_paragraphs(cmd.get_short_help_str(200), width))
                                    for name, cmd in commands])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("已中断 / Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class HelpArgument(click.Argument):
    """An argument with help, listed with the options (click before 8.5 had none)."""

    def __init__(self, *args, help: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = help

    def get_help_record(self, ctx):
        try:
            metavar = self.make_metavar(ctx)
        except TypeError:  # click < 8.2
            metavar = self.make_metavar()
        return metavar, self.help or ""


def argument(*args, **kwargs):
    return click.argument(*args, cls=HelpArgument, **kwargs)


SUBMISSION = "提交的数据：CSV 文件夹或 .xlsx 工作簿。The submission: a folder of CSV files or an .xlsx workbook."
LEDGER = "账本：SQLite 文件或 PostgreSQL 地址。The ledger: a SQLite file or a PostgreSQL URL."


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        from checker.dates import parse_date

        # click names the option as the user typed it (--from), so the message need not
        try:
            return parse_date(value)
        except LiftcheckError:
            self.fail(f"「{value}」不是有效日期（应为 YYYY-MM-DD） / {value!r} is not a valid date (expected YYYY-MM-DD)",
                      param, ctx)


DATE = DateParam()
LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    help="表格文件（.xlsx、.csv）的语言：表头、级别、责任方等用中文或英文。"
                         "Language of .xlsx/.csv outputs: headers and names in Chinese or English.")
CSV_ENCODING = click.option("--csv-encoding", type=click.Choice(["utf-8-bom", "utf-8"]), default="utf-8-bom",
                            show_default=True,
                            help="CSV 的编码：默认带 BOM 的 UTF-8，中文版 Excel 直接打开不乱码；utf-8 为不带 BOM。"
                                 "CSV encoding: UTF-8 with a BOM (Chinese Excel opens it as is) or plain utf-8.")
FORCE = click.option("--force", is_flag=True,
                     help="覆盖已存在的输出文件（输入文件永远不会被覆盖，加 --force 也不行）。"
                          "Overwrite an existing output file (never an input: those are refused even with --force).")
def _params_file(ctx, param, value: Path | None) -> Path | None:
    """A --params file's slips a drafter makes (a full-width colon, a misspelt name) are said before
    anything is read, with "您是不是要找 …" (checker/hints.py)."""
    from checker.hints import check_params_file

    try:
        check_params_file(value)
    except LiftcheckError as exc:
        raise click.BadParameter(f"{exc.zh} / {exc.en}", ctx, param) from None
    return value


PARAMS = click.option("--params", "params_file", type=click.Path(path_type=Path), callback=_params_file,
                      help="参数覆盖文件（YAML：参数名 → 取值）。YAML overrides: dotted parameter name → value.")


@click.group(cls=LiftcheckGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="liftcheck", help="显示版本并退出。Show the version and exit.")
def main():
    """liftcheck：南京老旧住宅电梯安全评估及整治意见的规则即代码检查工具。

    Rules-as-code compliance checker for old residential elevators in Nanjing.

    退出状态 Exit status: 0 无违规 clean · 1 有违规 violations · 2 无法评判 could not judge.
    """
    _few_malloc_arenas()


def _few_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena and reserves 64 MB of address space
    for it: the readers' threads (prefetch, the CSV parse, calamine's callers) took the address
    space of reading an 18 MB workbook to 1.64 GB for 0.63 GB used. Two arenas keep what the
    command reserves near what it uses (1.09 GB), so it runs under an address-space limit
    (ulimit -v, a container's) that its memory fits in (issue 25). Elsewhere than glibc: nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)   # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


# ---- progress and notices ----------------------------------------------------------------

STAGES = {"load": "读取 load", "validate": "校验 validate", "derive": "推导 derive", "evaluate": "推导、评判 evaluate",
          "estimate": "估计 estimate",
          "report": "汇总 report"}


class _Stages:
    """Progress of the long stages, on stderr; each stage a line, the rules counted as they are judged."""

    def __init__(self, bar=None):
        self.bar = bar
        self.task = None

    def stage(self, name: str) -> None:
        if self.bar is None:
            return
        if self.task is not None:
            self.bar.update(self.task, total=1, completed=1)
        self.task = self.bar.add_task(STAGES[name], total=None)

    def rule(self, rule_id: str, total: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, total=total, advance=1, description=f"{STAGES['evaluate']} · {rule_id}")


@contextlib.contextmanager
def _progress():
    """Bars only for a person at a terminal: never in a pipe, a log or a test."""
    if not sys.stderr.isatty():
        yield _Stages()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        yield _Stages(bar)


def _say(text: str, data_on_stdout: bool = False) -> None:
    """A notice for the person: on stdout, unless stdout carries data (JSON, CSV)."""
    click.echo(text, err=data_on_stdout)


def _load_and_validate(path: Path, skip_invalid: bool, stages: _Stages):
    from checker.load import load_submission
    from checker.validate import validate as run_validation

    stages.stage("load")
    raw = load_submission(path)
    stages.stage("validate")
    return run_validation(raw, skip_invalid=skip_invalid)


# ---- commands ----------------------------------------------------------------------------

TABLE_FILE = "（.csv、.xlsx、.json 或 .jsonl）"


def _prefetch(path: Path) -> None:
    """Start reading the submission's files while the command imports polars and the rules'
    machinery (checker.files): load_submission takes what was read, or reads it itself."""
    from checker.files import prefetch

    prefetch(path)


@main.command()
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="输出形式：终端表格或 JSON。Output: a table for people or JSON.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help=f"把全部问题写入文件{TABLE_FILE}。Write every problem to this file (.csv, .xlsx, .json, .jsonl).")
@LANG
@CSV_ENCODING
@FORCE
@_friendly
def validate(path: Path, fmt: str, output: Path | None, lang: str, csv_encoding: str, force: bool):
    """校验提交的数据（文件夹或 .xlsx）：退出状态 0 有效，2 无效。Validate a submission: exit 0 valid, 2 not."""
    _prefetch(path)
    from checker.outputs import check_output
    from checker.render import check_table_path, print_validation, validation_json, write_problems

    if output is not None:
        check_table_path(output)
        check_output(output, [path], force)
    with _progress() as stages:
        submission = _load_and_validate(path, False, stages)
    if submission.record_counts.get("elevators", 0) == 0:
        # nothing check could judge is no "校验通过" (records.md, "Never silent"): an error, as check says it
        from checker.validate import nothing_to_judge

        submission = nothing_to_judge(submission, path)
    if output:
        write_problems(submission.problems, output, lang, csv_encoding)
    if fmt == "json":
        click.echo(validation_json(submission))
    else:
        print_validation(submission, path)
    if output:
        _say(f"全部问题（{submission.problems.height:,} 条）已写入 {output} / every problem "
             f"({submission.problems.height:,}) written to {output}", data_on_stdout=fmt == "json")
    sys.exit(EXIT_CANNOT_JUDGE if submission.error_count else EXIT_OK)


@main.command()
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@argument("out", type=click.Path(path_type=Path),
          help="数据集写入的新文件夹。The new folder to write the dataset to.")
@click.option("--force", is_flag=True,
              help="替换已有的 liftcheck 数据集（别的文件夹加 --force 也不会被删除）。"
                   "Replace OUT when it is an existing liftcheck dataset (no other folder is ever deleted).")
@click.option("--partitions", "buckets", type=click.IntRange(min=1, max=4096),
              help="按使用单位分的分区数；默认每约 2,500 部电梯一个分区。"
                   "Use-unit partitions to write; default one per ~2,500 elevators.")
@_friendly
def convert(path: Path, out: Path, force: bool, buckets: int | None):
    """校验后转换为 Parquet 数据集（按使用单位分区）。Validate a submission and write it as a Parquet dataset.

    此后每个命令都可直接读取数据集，不再重新校验；check --cluster 需要它。
    Every command reads the dataset instead of the original files, without validating again;
    check --cluster needs one. 退出状态 Exit status: 0 已写入 written · 2 数据有误或 OUT 已存在 invalid input or OUT exists.
    """
    _prefetch(path)
    from rich.console import Console

    from checker.columnar import check_target, convert as write_dataset
    from checker.render import print_problems

    check_target(out, path, force)
    submission = _load_and_validate(path, False, _Stages())
    if submission.record_counts.get("elevators", 0) == 0:  # nothing a check could judge
        from checker.pipeline import NothingToJudge

        raise NothingToJudge(submission, path)
    if submission.error_count:
        print_problems(submission.problems, Console(stderr=True))
        raise LiftcheckError(f"{path} 有 {submission.error_count:,} 个错误，未转换（见上表；liftcheck validate 列出全部）",
                             f"{path} has {submission.error_count:,} errors; not converted (see above; "
                             "liftcheck validate lists them all)")
    manifest = write_dataset(submission, out, path, force=force, buckets=buckets)
    records = sum(manifest.body["record_counts"].values())
    click.echo(f"已转换 {records:,} 条记录（{len(manifest.present_types)} 类，{manifest.buckets} 个分区）→ {out}\n"
               f"converted {records:,} records ({len(manifest.present_types)} types, {manifest.buckets} partitions) → {out}")


@main.command()
@argument("out", type=click.Path(path_type=Path),
          help="写到哪里：文件夹，或 .xlsx 工作簿。Where to write: a folder, or an .xlsx workbook.")
@click.option("--elevators", type=click.IntRange(min=1), default=200, show_default=True,
              help="电梯数量。How many elevators.")
@click.option("--from", "start", type=DATE, default="2024-01-01", show_default=True,
              help="记录的第一天。First day of the records.")
@click.option("--to", "end", type=DATE, default="2024-12-31", show_default=True,
              help="记录的最后一天。Last day of the records.")
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子（同一种子得到同一份数据）。Random seed.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]),
              help="csv、jsonl（每类记录一个文件）或 xlsx（一个工作簿）；OUT 以 .xlsx 结尾时默认 xlsx，否则 csv。"
                   "csv or jsonl (a file per record type) or xlsx (one workbook); default xlsx when OUT ends in .xlsx, else csv.")
@click.option("--chinese-headers", is_flag=True,
              help="用中文标签作表头（CSV、xlsx）。Use the Chinese labels as column headers (CSV, xlsx).")
@click.option("--force", is_flag=True,
              help="写入已有文件的文件夹（同名文件被替换），或覆盖已有的 .xlsx。"
                   "Write into a folder that already holds files (same names are replaced), or over an existing .xlsx.")
@click.option("--no-effect", is_flag=True,
              help="不植入整治效果（默认植入，见 docs/sample-data.md）。Plant no remediation effect (planted by default).")
@_friendly
def sample(out: Path, elevators: int, start: dt.date, end: dt.date, seed: int, fmt: str | None, chinese_headers: bool,
           force: bool, no_effect: bool):
    """生成一份逼真的样例数据：OUT 为文件夹，或 .xlsx 工作簿。Write a realistic, deterministic sample submission.

    OUT 是 .xlsx 文件名时写入这个工作簿；是文件夹时 csv/jsonl 每类记录一个文件，xlsx 写入 OUT/submission.xlsx。
    OUT ending in .xlsx is the workbook itself; a folder gets a file per record type, or submission.xlsx.
    """
    from checker.outputs import check_output, check_output_folder
    from checker.sample import SampleSpec, generate, write

    workbook = out.suffix.lower() == ".xlsx"
    fmt = fmt or ("xlsx" if workbook else "csv")
    if workbook and fmt != "xlsx":
        raise click.UsageError(f"{out.name} 是 .xlsx 文件名，与 --format {fmt} 不符（{fmt} 写入一个文件夹）/ "
                               f"{out.name} is an .xlsx name but --format {fmt} writes a folder")
    if workbook:
        check_output(out, force=force)
    else:
        check_output_folder(out, force)
    tables = generate(SampleSpec(elevators, start, end, seed, effect=not no_effect))
    paths = write(tables, out, fmt, chinese_headers)
    total = sum(df.height for df in tables.values())
    where = paths[0] if fmt == "xlsx" else out
    click.echo(f"已生成 {len(paths)} 个文件，共 {total:,} 条记录 → {where}\n"
               f"wrote {len(paths)} file(s), {total:,} records → {where}")


REPORT_SUFFIXES = {"json": (".json",), "html": (".html", ".htm")}


@main.command()
@argument("path", help=SUBMISSION + " 也可以是 liftcheck convert 的数据集（与 --cluster 同用时还可以是 fsspec 地址，"
          "如 s3://bucket/city-2024）。Or a dataset of liftcheck convert (with --cluster also an fsspec URL of one).")
@click.option("--from", "start", type=DATE, required=True,
              help="检查期间的第一天（含），如 2024-01-01。First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True,
              help="检查期间的最后一天（含），如 2024-12-31。Last day of the period (included).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="table：终端表格（可加 -o 导出违规清单）；json：完整报告；html：带图表的网页报告（须 -o）。"
                   "table for people (-o exports the violations), json the full report, html a page with charts (needs -o).")
@PARAMS
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="覆盖在发布规则之上的规则文件夹（替换、新增或注明理由停用），用于试算。"
                   "A folder of rule files laid over the shipped ones (replace, add, or disable with a reason).")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path),
              help="官方扣分标准（YAML）；不给出时使用默认分值（非官方）。The official credit-point schedule.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="json/html：报告写入此文件。table：违规清单写入 .xlsx（中文工作簿）、.csv、.json 或 .jsonl。"
                   "json/html: write the report here. table: write the violations here (.xlsx workbook, .csv, .json, .jsonl).")
@click.option("--skip-invalid", is_flag=True,
              help="只评判有效的记录；被拒收的记录和因此未评判的电梯列入报告。"
                   "Judge the valid records; list every rejected one, and the elevators it touches, in the report.")
@click.option("--rule", "only", multiple=True,
              help="只评判这条规则（可重复）。Evaluate only this rule (repeatable).")
@click.option("--ledger", "ledger_target",
              help="把扣分记入账本（SQLite 文件或 PostgreSQL 地址）；同一违规只扣一次。"
                   "Record the deductions in this ledger (SQLite path or PostgreSQL URL); a violation deducts once.")
@click.option("--partitions", type=click.IntRange(min=1), default=1, show_default=True,
              help="按使用单位分片并行评判（结论相同）。Evaluate use-unit partitions in parallel (same verdicts).")
@click.option("--cluster", metavar="tcp://HOST:PORT|local:N",
              help="在 Dask 集群上评判各分区（docs/cluster.md），报告在本机生成。"
                   "Judge the partitions on a Dask cluster (docs/cluster.md); the report is made here.")
@click.option("--bundle", "bundle", type=click.Path(path_type=Path),
              help="另写一个可复核的检查包（.zip：报告、输入文件摘要、所用规则和参数、签名声明；docs/bundles.md）。"
                   "Also write a replayable bundle (.zip: report, input digests, the rules used, a signed statement).")
@click.option("--sign-key", "sign_key", type=click.Path(path_type=Path),
              help="用这个 Ed25519 私钥（liftcheck keys new）给检查包签名。Sign the bundle with this Ed25519 key.")
@LANG
@CSV_ENCODING
@FORCE
@_friendly
def check(path: str, start: dt.date, end: dt.date, fmt: str, params_file: Path | None, rules_dir: Path | None,
          credit_file: Path | None, output: Path | None, skip_invalid: bool, only: tuple[str, ...],
          ledger_target: str | None, partitions: int, cluster: str | None, bundle: Path | None, sign_key: Path | None,
          lang: str, csv_encoding: str, force: bool):
    """按规则检查提交的数据。Check a submission against the rules for a period.

    退出状态 Exit status: 0 无违规 no violation · 1 有违规 violations · 2 无法评判 could not judge.
    """
    if "://" not in path and cluster is None:
        _prefetch(Path(path))
    from checker.outputs import check_output
    from checker.pipeline import InvalidSubmission, run_check
    from checker.render import check_table_path, print_problems

    gc.freeze()   # the modules just imported are never garbage: the collector need not walk them

    if "://" in path and cluster is None:
        raise click.UsageError("URL 形式的数据集只能与 --cluster 一起使用 / a dataset URL needs --cluster")
    path = path if "://" in path else Path(path)
    local = path if isinstance(path, Path) else None   # an input outputs must not overwrite
    if cluster is not None and partitions > 1:
        raise click.UsageError("--partitions 与 --cluster 不能同时使用 / --partitions and --cluster exclude each other")
    if fmt == "html" and output is None:
        raise click.UsageError("--format html 需要 -o 报告.html / --format html needs -o REPORT.html")
    if ledger_target and rules_dir:
        raise LiftcheckError("信用账本只记录按发布的规则所做的检查；--rules 覆盖目录用于试算，不能与 --ledger 同用",
                             "the credit ledger records sweeps by the published rules only; a --rules overlay is "
                             "for trying wordings and cannot be used with --ledger")
    # every output is checked before the work starts: the report file, then the ledger
    if output is not None and fmt == "table":
        check_table_path(output)
    if output is not None:
        check_output(output, [local, params_file, credit_file, _ledger_file(ledger_target)], force)
    if output is not None and fmt != "table" and output.suffix.lower() not in REPORT_SUFFIXES[fmt]:
        raise click.UsageError(f"--format {fmt} 的报告应写入 {' 或 '.join(REPORT_SUFFIXES[fmt])} 文件，而不是 {output.name}"
                               f"（Excel 违规清单用 --format table -o 文件.xlsx）/ the {fmt} report goes to a "
                               f"{' or '.join(REPORT_SUFFIXES[fmt])} file, not {output.name} "
                               "(for the Excel workbook use --format table -o FILE.xlsx)")
    kept_starts = None
    if ledger_target:
        from checker.ledger import check_ledger, kept_declared_starts

        check_ledger(ledger_target, inputs=[local, params_file, credit_file])
        kept_starts = kept_declared_starts(ledger_target)   # R3-A 1: never moved forward
    bundler = _bundler(bundle, sign_key, local, output, params_file, credit_file, rules_dir, ledger_target, force)
    timings: dict = {}
    try:
        with _progress() as stages:
            run = run_check(path, start, end, params_file, skip_invalid, credit_file, list(only) or None,
                            progress=stages.rule, stage=stages.stage, partitions=partitions, rules_dir=rules_dir,
                            cluster=cluster, timings=timings, declared_by_unit=kept_starts)
    except InvalidSubmission as exc:
        if fmt == "json":
            from checker.render import validation_json

            click.echo(validation_json(exc.submission))
        else:
            from rich.console import Console

            print_problems(exc.submission.problems, Console(stderr=True))
        raise
    report = run.report
    if cluster is not None:
        _cluster_summary(cluster, timings["partitions"])
    _print_warnings(run.submission)
    if ledger_target:
        from checker.ledger import unrecorded

        report["summary"]["ledger"] = {"target": ledger_target, "new_deductions": unrecorded(ledger_target, report)}
    # the report first, the ledger last: a report that cannot be written leaves the ledger as it was
    _emit_report(run, fmt, output, lang, csv_encoding)
    if bundler is not None:
        _write_bundle(bundler, bundle, run, start, end, only, skip_invalid, output if fmt == "json" else None,
                      data_on_stdout=fmt == "json" and output is None)
    if ledger_target:
        added = _record(ledger_target, report, output, _declared_per_unit(run.submission))
        items = sum(len(f["items"]) for f in report["credit"])
        summary = report["summary"]
        _say(f"已记入账本 {ledger_target}：新增扣分 {added} 项（拟扣分，异议期满后为正式扣分），另有 {items - added} 项此前已记入"
             f"（同一违规只扣一次）；暂定扣分 {summary['provisional_deductions']} 项（{summary['provisional_points']} 分）"
             "依据解释性参数或尚未施行的依据，不记入账本\n"
             f"recorded in ledger {ledger_target}: {added} new deduction(s) (proposed; final once the objection window "
             f"has passed), {items - added} already recorded (a violation deducts once); "
             f"{summary['provisional_deductions']} provisional deduction(s) ({summary['provisional_points']} points) rest on "
             "an interpretation or a source not in force and are not recorded", data_on_stdout=fmt == "json" and output is None)
    sys.exit(EXIT_VIOLATIONS if report["violations"] else EXIT_OK)


def _bundler(bundle: Path | None, sign_key: Path | None, local: Path | None, output: Path | None,
             params_file: Path | None, credit_file: Path | None, rules_dir: Path | None, ledger_target: str | None,
             force: bool):
    """`check --bundle`: its path checked and its key read before any work; the inputs' digests
    start in a thread beside the sweep (checker/bundle.py)."""
    if bundle is None:
        if sign_key is not None:
            raise click.UsageError("--sign-key 只能与 --bundle 同用 / --sign-key goes with --bundle")
        return None
    from checker.bundle import BundleWriter, loose_permissions
    from checker.outputs import check_output

    if local is None:
        raise LiftcheckError("检查包只能为本机的数据生成（URL 形式的数据集无法逐个文件核对摘要）",
                             "a bundle is made of local data only (the files of a dataset URL cannot be digested here)")
    if bundle.suffix.lower() != ".zip":
        raise click.UsageError(f"检查包应写入 .zip 文件，而不是 {bundle.name} / the bundle goes to a .zip file, not {bundle.name}")
    if output is not None and os.path.abspath(output) == os.path.abspath(bundle):
        raise click.UsageError("-o 与 --bundle 不能是同一个文件 / -o and --bundle must be different files")
    check_output(bundle, [local, params_file, credit_file, sign_key, _ledger_file(ledger_target)], force)
    writer = BundleWriter(local, params_file, credit_file, rules_dir, sign_key)
    if sign_key is not None and (mode := loose_permissions(sign_key)) is not None:
        click.echo(f"提醒：私钥 {sign_key} 其他用户也能读取（权限 {mode:04o}），建议 chmod 600\n"
                   f"note: the private key {sign_key} is readable by others (mode {mode:04o}); chmod 600 it", err=True)
    return writer


def _write_bundle(writer, bundle: Path, run, start: dt.date, end: dt.date, only: tuple[str, ...], skip_invalid: bool,
                  json_report: Path | None, data_on_stdout: bool) -> None:
    """The bundle after the report: the JSON report just written by -o is copied (tens of MB for a
    city, not encoded twice), else made from the run."""
    from checker.bundle import Sweep, file_pieces
    from checker.render import report_json_pieces

    sweep = Sweep(start, end, list(only), skip_invalid, run.submission.declared_by_unit)
    pieces = (file_pieces(json_report) if json_report is not None
              else itertools.chain(report_json_pieces(run.report), [b"\n"]))
    made = writer.write(bundle, run, sweep, pieces)
    if made["signed_by"]:
        zh, en = f"已签名，keyid {made['signed_by']}", f"signed, keyid {made['signed_by']}"
    else:
        zh, en = "未签名（加 --sign-key 签名）", "not signed (add --sign-key to sign it)"
    _say(f"检查包已写入 {bundle}（{made['files']} 个文件，{zh}）；复核：liftcheck verify {bundle} --data 数据\n"
         f"bundle written to {bundle} ({made['files']} files, {en}); check it with liftcheck verify {bundle} --data DATA",
         data_on_stdout=data_on_stdout)


def _cluster_summary(cluster: str, runs) -> None:
    """Per worker: partitions judged, seconds, peak memory — on stderr, for whoever sizes the cluster."""
    workers: dict[str, list] = {}
    for run in runs:
        workers.setdefault(run.worker, []).append(run)
    click.echo(f"集群 cluster {cluster}：{len(runs)} 个分区 partitions，{len(workers)} 个工作进程 workers", err=True)
    for worker, done in sorted(workers.items()):
        click.echo(f"  worker {worker}: partitions {len(done)}, seconds {sum(r.seconds for r in done):.1f}, "
                   f"peak_rss_mb {max(r.peak_rss_mb for r in done):.0f}", err=True)


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


def _declared_per_unit(submission) -> dict[str, dict[str, str]]:
    """The history starts the submission declares, for each of its use units (R3-A 1)."""
    if not submission.declared_from:
        return {}
    units = sorted(set(submission.table("elevators").get_column("use_unit_id").to_list()))
    return {t: {u: day.isoformat() for u in units} for t, day in submission.declared_from.items()}


def _record(target: str, report: dict, output: Path | None, declared: dict | None = None) -> int:
    from checker.ledger import open_ledger

    expected = report["summary"]["ledger"]["new_deductions"]
    try:
        with open_ledger(target) as ledger:
            added = ledger.record_sweep(report, declared)
    except LiftcheckError as exc:
        where = f"（报告已写入 {output}）" if output else ""
        where_en = f" (the report was written to {output})" if output else ""
        raise LiftcheckError(f"报告已生成{where}，但账本未更新：{exc.zh}", f"the report is out{where_en}, but the ledger "
                             f"was not updated: {exc.en}") from None
    if added != expected:  # another sweep recorded some of the same breaches meanwhile
        click.echo(f"账本 {target}：实际新增 {added} 项扣分（报告写的是 {expected} 项，期间有其他检查写入）\n"
                   f"ledger {target}: {added} deductions were new (the report says {expected}; another sweep "
                   "recorded some meanwhile)", err=True)
    return added


def _prerequisite_wording(run, lang: str) -> dict[str, dict[str, str]]:
    """Each prerequisite rule's failure wording, as of the period's end, for the evidence column."""
    from checker.wording import render_static

    end = dt.date.fromisoformat(run.report["period"]["to"])
    return {rule.id: {p["id"]: render_static(p[lang], run.params, end, lang) for p in rule.prerequisites}
            for rule in run.book if rule.body.get("kind") == "prerequisites"}


def _emit_report(run, fmt: str, output: Path | None, lang: str, csv_encoding: str) -> None:

    from checker.outputs import write_text
    from checker.render import print_report, write_violations

    report = run.report
    if fmt == "html":
        from checker.render import report_html

        write_text(output, report_html(report, _prerequisite_wording(run, "zh")))
        _say(f"报告（含图表）已写入 {output} / report written to {output}")
        return
    if fmt == "json":
        from checker.outputs import write_pieces
        from checker.render import report_json_bytes, report_json_pieces

        if output:   # tens of MB for a city-year: written piece by piece as encoded, never decoded
            write_pieces(output, itertools.chain(report_json_pieces(report), [b"\n"]))
            _say(f"完整报告已写入 {output} / report written to {output}")
        else:
            click.echo(report_json_bytes(report).decode("utf-8"))
        return
    print_report(report)
    if output:
        what = write_violations(report, output, lang, csv_encoding, _prerequisite_wording(run, lang))
        _say(f"{what[0]}已写入 {output} / {what[1]} written to {output}")


@main.command()
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@click.option("--from", "start", type=DATE, required=True,
              help="检查期间的第一天（含）。First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True, help="检查期间的最后一天（含）。Last day of the period (included).")
@click.option("--proposal-params", type=click.Path(path_type=Path), callback=_params_file,
              help="提议方案的参数取值（YAML）。The proposal's parameter values (YAML).")
@click.option("--proposal-rules", type=click.Path(path_type=Path),
              help="提议方案的规则文件，叠加在基准之上。The proposal's rule files, laid over the base.")
@click.option("--params", "params_file", type=click.Path(path_type=Path), callback=_params_file,
              help="基准的参数（默认为发布的参数）。The base's parameters (default: shipped).")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="基准的规则覆盖文件夹（默认无）。The base's rule overlay (default: none).")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path),
              help="官方扣分标准（YAML）。The official credit-point schedule.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx", "html"]), default="table", show_default=True,
              help="终端表格、JSON、Excel 工作簿或网页（后三者可写文件）。A table, JSON, a workbook or a page.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="比较结果写入此文件（.xlsx、.html 或 .json；不给 --format 时按后缀）。"
                   "Write the comparison here (.xlsx, .html or .json; the suffix names the format unless --format does).")
@click.option("--skip-invalid", is_flag=True, help="只评判有效的记录。Judge the valid records only.")
@FORCE
@_friendly
def compare(path: Path, start: dt.date, end: dt.date, proposal_params: Path | None, proposal_rules: Path | None,
            params_file: Path | None, rules_dir: Path | None, credit_file: Path | None, fmt: str,
            output: Path | None, skip_invalid: bool, force: bool):
    """比较两种措辞对同一批记录的结论（先看结论）。Compare the base rule book with a proposal over the same records.

    退出状态 Exit status: 0 比较已完成（差异即结果）the comparison was made · 2 无法比较 it could not be made.
    """
    import json

    from checker.compare import run_compare

    suffixes = {"xlsx": (".xlsx",), "html": (".html", ".htm"), "json": (".json",)}
    if fmt in ("xlsx", "html") and output is None:
        raise click.UsageError(f"--format {fmt} 需要 -o 文件{suffixes[fmt][0]} / --format {fmt} needs -o FILE{suffixes[fmt][0]}")
    if output is not None and fmt == "table":   # -o 比较.xlsx: the file's suffix names the format, as for check
        fmt = next((f for f, ends in suffixes.items() if output.suffix.lower() in ends), "")
        if not fmt:
            raise click.UsageError(f"{output.name}：比较结果可写入 .xlsx、.html 或 .json 文件（或用 --format 指定）/ "
                                   f"{output.name}: the comparison goes to an .xlsx, .html or .json file (or give --format)")
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


EFFECT_SUFFIXES = {".json": "json", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}


@main.command()
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@click.option("--from", "start", type=DATE, required=True,
              help="评价期间的第一天（含），如 2024-01-01。First day of the period (included).")
@click.option("--to", "end", type=DATE, required=True, help="评价期间的最后一天（含）。Last day of the period (included).")
@click.option("--by", type=click.Choice(["kind", "district", "assessment_conclusion"]),
              help="另按整治类别、区或评估结论分组估计。Also estimate per kind of works, district or assessment conclusion.")
@click.option("--outcome", "outcomes", multiple=True,
              type=click.Choice(["entrapments", "alarm_failures", "hazards", "daily_findings", "failed_inspections"]),
              help="只评价这项结果（可重复；默认全部五项）：困人故障、报警装置测试不合格、隐患、日管控发现问题、定期检验不合格。"
                   "Only this outcome (repeatable; default all five).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx", "html"]),
              help="终端表格、JSON、Excel 工作簿或网页；给出 -o 时默认按文件后缀。"
                   "A table, JSON, a workbook or a page; with -o the file's suffix decides by default.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="写入文件（.json、.xlsx、.html）。Write to this file (.json, .xlsx, .html).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="自助法的随机种子（同一数据、同一种子得到同一区间）。The bootstrap's seed.")
@click.option("--skip-invalid", is_flag=True, help="只用有效的记录。Use the valid records only.")
@FORCE
@_friendly
def effect(path: Path, start: dt.date, end: dt.date, by: str | None, outcomes: tuple[str, ...], fmt: str | None,
           output: Path | None, seed: int, skip_invalid: bool, force: bool):
    """整治后评价：完成整治的电梯与尚未整治的电梯比较（先看结论）。Did the remediation work? (conclusion first)

    交错双重差分（分组—时间效果，以尚未整治的电梯为对照），按电梯聚类的自助法置信区间（docs/effect.md）。
    Staggered difference-in-differences against elevators not yet remediated, with a bootstrap clustered on
    the elevator. 退出状态 Exit status: 0 评价已完成 evaluated · 2 无法评价 could not evaluate.
    """
    _prefetch(path)
    from checker.effect import check_period
    from checker.effect_estimate import import_in_background, require_library

    require_library()
    importing = import_in_background()   # scipy and statsmodels load while the records are read
    if output is not None:
        inferred = EFFECT_SUFFIXES.get(output.suffix.lower())
        if inferred is None:
            raise click.UsageError(f"-o {output.name}：应以 .json、.xlsx 或 .html 结尾 / "
                                   f"-o {output.name}: the file must end in .json, .xlsx or .html")
        if fmt not in (None, inferred):
            raise click.UsageError(f"--format {fmt} 与文件 {output.name} 的后缀不符 / "
                                   f"--format {fmt} does not match the suffix of {output.name}")
        fmt = inferred
    fmt = fmt or "table"
    if fmt in ("xlsx", "html") and output is None:
        raise click.UsageError(f"--format {fmt} 需要 -o 文件.{fmt} / --format {fmt} needs -o FILE.{fmt}")
    check_period(start, end)
    if output is not None:
        from checker.outputs import check_output

        check_output(output, [path], force)
    from checker.effect_report import evaluate
    from checker.pipeline import judged_submission

    from checker.pipeline import InvalidSubmission

    try:
        with _progress() as stages:
            submission = judged_submission(path, skip_invalid, stages.stage)
    except InvalidSubmission as exc:   # every problem, as check shows them
        from rich.console import Console

        from checker.render import print_problems

        print_problems(exc.submission.problems, Console(stderr=True))
        raise
    with _progress() as stages:
        stages.stage("estimate")
        importing.join()
        report = evaluate(submission, start, end, by, list(dict.fromkeys(outcomes)) or None, seed)
    _print_warnings(submission)
    from checker import effect_render

    if output is None and fmt == "json":
        click.echo(effect_render.effect_json(report))
    elif output is None:
        effect_render.print_effect(report)
    else:
        from checker.outputs import atomic_output, write_text

        if fmt == "json":
            write_text(output, effect_render.effect_json(report) + "\n")
        elif fmt == "html":
            write_text(output, effect_render.effect_html(report))
        else:
            with atomic_output(output) as tmp:
                effect_render.write_effect_xlsx(report, tmp)
        click.echo(f"{report['conclusion_zh']}\n整治后评价已写入 {output} / effect evaluation written to {output}")
    sys.exit(EXIT_OK)


@main.command()
@argument("bundle", type=click.Path(path_type=Path),
          help="检查包（liftcheck check --bundle 写的 .zip）。The bundle (.zip) check --bundle wrote.")
@click.option("--data", "data", type=click.Path(path_type=Path),
              help="检查时的数据（文件夹、工作簿或数据集）：核对每个文件的摘要，并用包内规则重新评判。"
                   "The data that was checked: every file's digest is compared and it is re-judged with the bundle's rules.")
@click.option("--key", "key", type=click.Path(path_type=Path),
              help="签名单位公布的公钥（.pub）：检查包必须由它签名。The signer's published public key: the bundle must be signed by it.")
@_friendly
def verify(bundle: Path, data: Path | None, key: Path | None):
    """复核检查包：签名、每个文件的摘要、数据的摘要，并用包内的规则重新评判。Verify a bundle and replay its sweep.

    退出状态 Exit status: 0 一致 identical · 1 不一致或被改动 differs or tampered · 2 无法复核 could not verify.
    """
    from checker.bundle import FAIL, NOTE, OK, describe, verify as run_verify
    from checker.text import visible

    marks = {OK: "✓", NOTE: "·", FAIL: "✗"}

    def say(finding) -> None:
        click.echo(f"{marks[finding.status]} {visible(finding.zh)}\n  {visible(finding.en)}")

    click.echo(f"复核检查包 {bundle} / verifying bundle {bundle}")
    if data is not None and data.is_dir():
        _prefetch(data)   # the data is read while the bundle is checked, as check reads it while importing
    with _progress() as stages:
        result = run_verify(bundle, data, key, say=say, stage=stages.stage)
    if result.differences:
        click.echo("结论不同的违规（指纹、规则、对象）/ the verdicts that differ (fingerprint, rule, subject):")
        for d in result.differences[:50]:
            zh, en = describe(d)
            click.echo(f"  {visible(zh)}\n    {visible(en)}")
        if len(result.differences) > 50:
            click.echo(f"  ……另有 {len(result.differences) - 50:,} 项 / … and {len(result.differences) - 50:,} more")
    if result.exit_status:
        click.echo("结论：不一致或被改动 / conclusion: differs or tampered")
    elif result.rejudged:
        click.echo("结论：一致 / conclusion: identical")
    else:
        click.echo("结论：检查包完好（未重新评判）/ conclusion: the bundle is intact (nothing re-judged)")
    sys.exit(result.exit_status)


@main.group()
def keys():
    """检查包的签名密钥：liftcheck keys new 文件夹。Signing keys for bundles: liftcheck keys new DIR."""


@keys.command("new")
@argument("folder", type=click.Path(path_type=Path), help="密钥写入的文件夹。The folder for the key pair.")
@_friendly
def keys_new(folder: Path):
    """生成 Ed25519 密钥对：私钥仅本人可读（0600），从不覆盖已有文件。Make an Ed25519 key pair; never overwrites."""
    from checker.bundle import new_keys

    private, public, kid = new_keys(folder)
    click.echo(f"私钥 private key: {private}（仅本人可读 mode 0600；妥善保管，不要放进数据或检查包 / keep it safe, never in the data or a bundle）\n"
               f"公钥 public key: {public}（公布给复核的一方 / publish it to whoever verifies）\n"
               f"keyid {kid}")


@main.command()
@argument("out", type=click.Path(path_type=Path), default=Path("liftcheck-模板.xlsx"),
          help="模板文件名（.xlsx，默认 liftcheck-模板.xlsx）。The workbook to write (.xlsx).")
@_friendly
def template(out: Path):
    """生成填报用的 Excel 模板（不会覆盖已有文件）。Write an Excel workbook to fill in (never over an existing file).

    每类记录一张表，中文表头、下拉选项、字段说明；编号列为文本格式，日期列为日期格式。
    A sheet per record type with Chinese headers, dropdowns and notes; id columns are text, dates are dates.
    """
    from checker.outputs import check_output
    from checker.template import refuse_existing, write_template

    if out.suffix.lower() != ".xlsx":
        raise click.UsageError("模板文件应以 .xlsx 结尾 / the template must end in .xlsx")
    refuse_existing(out)  # before the general check, which would offer a --force the template does not have
    check_output(out)
    write_template(out)
    click.echo(f"模板已写入 {out}（每类记录一张表，填好后运行 liftcheck validate {out}）\n"
               f"template written to {out} (a sheet per record type; fill it in, then liftcheck validate {out})")


@main.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("liftcheck-demo"), show_default=True,
              help="样例和报告写入的文件夹。Where the sample and its report go.")
@click.option("--force", is_flag=True,
              help="写入含有其他文件的文件夹（样例自己的文件会被替换）。"
                   "Write into a folder that holds other files (the demo's own are replaced).")
@_friendly
def demo(folder: Path, force: bool):
    """生成小样例并运行完整检查，最后列出可以接着试的命令。Make a small sample and run the main job on it."""
    from checker.demo import DEMO_MARKER, run_demo
    from checker.outputs import check_output_folder

    check_output_folder(folder, force, owned_marker=DEMO_MARKER)
    sys.exit(run_demo(folder))


@main.group()
def rules():
    """规则目录。The rule catalogue."""


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="终端表格或 JSON。A table or JSON.")
@_friendly
def rules_list(fmt: str):
    """列出全部规则。List every rule."""
    from checker.params import load_parameters
    from checker.render import rules_table
    from checker.rulebook import load_rulebook

    book = load_rulebook()
    if fmt == "json":
        import json

        click.echo(json.dumps([r.body for r in book], ensure_ascii=False, indent=2, default=str))
    else:
        rules_table(book, load_parameters())


@rules.command("show")
@argument("rule_id", help="规则编号，如 MAINT-INTERVAL-DENSE。A rule id.")
@_friendly
def rules_show(rule_id: str):
    """一条规则的说明：检查什么、为什么、条款原文、参数、正反例。Explain one rule."""
    from checker.engine import definitions_used
    from checker.params import load_parameters
    from checker.render import print_rule
    from checker.rulebook import load_rulebook

    rule, params = load_rulebook().get(rule_id), load_parameters()
    print_rule(rule, params, definitions_used(rule, params))


@main.command("old-list")
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@click.option("--as-of", "as_of", type=DATE, help="清单的日期。The day the list is drawn up for.")
@click.option("--quarter", help="季度，如 2024Q3（取季度最后一天）。A quarter such as 2024Q3: its last day is the date.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True,
              help="终端表格、JSON、CSV 或 Excel 工作簿（须 -o）。A table, JSON, CSV or an Excel workbook (needs -o).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="把清单写入文件（--format 决定类型；table 时按文件后缀）。Write the list to this file.")
@PARAMS
@click.option("--skip-invalid", is_flag=True, help="只用有效的记录。Use the valid records only.")
@LANG
@CSV_ENCODING
@FORCE
@_friendly
def old_list(path: Path, as_of: dt.date | None, quarter: str | None, fmt: str, output: Path | None,
             params_file: Path | None, skip_invalid: bool, lang: str, csv_encoding: str, force: bool):
    """15年以上老旧住宅电梯清单（四（二））。The list of old residential elevators, as of a date."""
    from checker.dates import quarter_end
    from checker.facts import FactBase
    from checker.metrics import old_list as build_old_list
    from checker.outputs import check_output
    from checker.params import load_parameters
    from checker.pipeline import require_elevators
    from checker.render import check_table_path, print_old_list, write_old_list

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
    params = load_parameters(params_file)
    with _progress() as stages:
        sub = _load_and_validate(path, skip_invalid, stages)
        require_elevators(sub, path, skip_invalid)
        stages.stage("derive")
        listing = build_old_list(FactBase(sub, params, day, day), day)
    if target is not None:
        write_old_list(listing, target, day, lang, csv_encoding)
        click.echo(f"老旧电梯清单 {listing.height:,} 部 → {target} / old-elevator list: {listing.height:,} elevators → {target}")
    elif fmt == "json":
        import json

        click.echo(json.dumps({"as_of": day.isoformat(), "count": listing.height,
                               "elevators": listing.to_dicts()}, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        from checker.office import csv_text, old_list_table

        click.echo(csv_text(old_list_table(listing, lang), lang, _stdout_encoding(csv_encoding)), nl=False)
    else:
        print_old_list(listing, day)


def _stdout_encoding(encoding: str) -> str:
    """CSV on a terminal needs no BOM (it is read there, not opened in Excel); redirected, it keeps one."""
    return "utf-8" if sys.stdout.isatty() else encoding


@main.command("fund-check")
@argument("path", type=click.Path(path_type=Path), help=SUBMISSION)
@argument("application_id", help="维修资金申请编号，如 ZJ0000000。The fund application's id.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="终端表格或 JSON。A table or JSON.")
@PARAMS
@_friendly
def fund_check(path: Path, application_id: str, fmt: str, params_file: Path | None):
    """维修资金应急通道申请的依据是否充分（四（三），审核）。Review one emergency-channel fund application.

    这是审核，不是违规（不扣分、不入账本）。A review, not a violation.
    退出状态 Exit status: 0 依据充分 well founded · 1 依据不足 not well founded · 2 无法审核 could not review.
    """
    from checker.funds import judge_application
    from checker.render import print_fund_verdict

    with _progress() as stages:
        verdict = judge_application(path, application_id, params_file, stage=stages.stage)
    if fmt == "json":
        import json

        click.echo(json.dumps(verdict, ensure_ascii=False, indent=2, default=str))
    else:
        print_fund_verdict(verdict)
    sys.exit(EXIT_OK if verdict["well_founded"] else EXIT_VIOLATIONS)


class _DefaultCommandGroup(LiftcheckGroup):
    """`liftcheck credit TARGET …` shows totals; `liftcheck credit revoke …` reverses a deduction."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


def _refuse_non_ledger(target: str) -> None:
    """A file given as a ledger that is not one (a JSON report, a workbook) is said so in words,
    before the database driver answers in English ("file is not a database")."""
    if "://" in target:
        return
    path = Path(target)
    if not path.is_file() or path.stat().st_size == 0:
        return   # absent, a folder, or empty: the ledger's own checks answer those
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head == b"SQLite format 3\x00":
        return
    from checker.text import visible

    shown = visible(target)
    kind_zh, kind_en = (" JSON 文件（例如 check --format json 写下的报告）", "a JSON file (such as a report of check --format json)") \
        if head.lstrip()[:1] in (b"{", b"[") else (" Excel 工作簿", "an Excel workbook") if head[:2] == b"PK" \
        else ("别的文件", "some other file")
    raise LiftcheckError(f"{shown} 不是 liftcheck 账本：它是{kind_zh}，不是 SQLite 数据库。信用扣分账本是 liftcheck check … "
                         "--ledger 账本.sqlite 写下的 SQLite 文件，或 postgresql:// 地址",
                         f"{shown} is not a liftcheck ledger: it is {kind_en}, not a SQLite database. A credit ledger is "
                         "the SQLite file liftcheck check … --ledger LEDGER.sqlite writes, or a postgresql:// URL")


@main.group(cls=_DefaultCommandGroup)
def credit():
    """信用扣分账本：liftcheck credit 账本、liftcheck credit revoke 账本 指纹。
    The credit ledger: liftcheck credit TARGET, liftcheck credit revoke TARGET FINGERPRINT."""


@credit.command("show")
@argument("target", help=LEDGER)
@click.option("--year", type=int, help="只看这一年度的扣分。Only this year's deductions.")
@click.option("--org", "org_id", help="只看这家企业（统一社会信用代码）。Only this firm (its org id).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table", show_default=True,
              help="终端表格、JSON、CSV 或 Excel 工作簿（须 -o）。A table, JSON, CSV or an Excel workbook (needs -o).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="写入文件（json、csv、xlsx）。Write to this file (json, csv, xlsx).")
@click.option("--credit", "credit_file", type=click.Path(path_type=Path),
              help="扣分标准（年度上限、失信名录门槛）。The point schedule (caps, threshold).")
@LANG
@CSV_ENCODING
@FORCE
@_friendly
def credit_show(target: str, year: int | None, org_id: str | None, fmt: str, output: Path | None,
                credit_file: Path | None, lang: str, csv_encoding: str, force: bool):
    """各物业服务企业的扣分合计（按分数排序），附企业名称和每一项扣分。Per-firm totals with names and items, ranked.

    只读账本，从不创建、迁移或写入数据库。Reads the ledger without changing it: never creates, migrates or
    writes to a database."""
    from checker.credit import load_schedule
    from checker.ledger import open_ledger, totals
    from checker.office import credit_items_table, csv_text, write_credit_workbook, write_csv
    from checker.outputs import atomic_output, check_output, write_text
    from checker.render import check_table_path, print_credit

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx 需要 -o 文件.xlsx / --format xlsx needs -o FILE.xlsx")
    if output is not None and fmt != "table":
        if fmt in ("csv", "xlsx"):
            check_table_path(output)
        check_output(output, [_ledger_file(target), credit_file], force)
    schedule = load_schedule(credit_file)
    _refuse_non_ledger(target)
    with open_ledger(target, must_exist=True, read_only=True) as ledger:
        rows = ledger.deductions(year, org_id)
        in_ledger = ledger.deductions() if not rows and (year is not None or org_id is not None) else rows
    firms = totals(rows, schedule)
    body = {"target": target, "year": year, "org": org_id, "official": schedule.official,
            "notice_zh": schedule.notice_zh, "notice_en": schedule.notice_en, "firms": firms,
            "ledger_deductions": len(in_ledger)}
    if fmt == "xlsx":
        with atomic_output(output) as tmp:
            write_credit_workbook(body, tmp, lang)
        _say(f"扣分工作簿已写入 {output}（{len(firms)} 家企业）/ credit workbook written to {output} ({len(firms)} firms)")
    elif fmt == "csv" and output is not None:
        with atomic_output(output) as tmp:
            write_csv(credit_items_table(firms, lang), tmp, lang, csv_encoding)
        _say(f"扣分明细已写入 {output} / credit items written to {output}")
    elif fmt == "csv":
        click.echo(csv_text(credit_items_table(firms, lang), lang, _stdout_encoding(csv_encoding)), nl=False)
    elif fmt == "json":
        import json

        text = json.dumps(body, ensure_ascii=False, indent=2, default=str)
        if output:
            write_text(output, text + "\n")
            _say(f"扣分合计已写入 {output} / credit totals written to {output}")
        else:
            click.echo(text)
    else:
        print_credit(body)
    if not firms and fmt != "table":
        from checker.render import no_deductions_text

        _say(no_deductions_text(body), data_on_stdout=True)


@credit.command("migrate")
@argument("target", help=LEDGER)
@click.option("--data", "data", type=click.Path(path_type=Path),
              help="提交的数据：用来找出每次定期检验失效的第一天（INSPECTION-VALID），并按现行规则重新评判账本记录的每个期间。"
                   "The submission: to find the first day of each inspection lapse (INSPECTION-VALID) and to judge "
                   "each recorded period again under the current rules.")
@PARAMS
@_friendly
def credit_migrate(target: str, data: Path | None, params_file: Path | None):
    """把旧账本带到现行规则：改用现行的违规编号（同一违规只扣一次，合并重复扣分），并标记现行规则不再计入的扣分；全部历史保留。
    Bring an older ledger up to the current rules: re-key it to the current breach identity (one deduction per
    breach, double deductions merged) and mark the deductions the current rules would not charge; every row is kept."""
    from checker.ledger import open_ledger
    from checker.migrate import revision3_by_data, revision3_by_rule

    keys = None
    if data is not None:
        from checker.migrate import inspection_keys

        keys = inspection_keys(data, params_file)
    _refuse_non_ledger(target)
    with open_ledger(target, must_exist=True) as ledger:
        done = ledger.migrate_fingerprints(keys)
        if done["rekeyed"] or done["merged"]:
            click.echo(f"账本 {target} 已改用现行的违规编号：未变 {done['unchanged']} 项，改编号 {done['rekeyed']} 项，"
                       f"合并重复扣分 {done['merged']} 项（{done['merged_points']} 分不再计入）；旧记录保存在 rekeyed 表中。\n"
                       f"ledger {target} re-keyed to the current breach identity: {done['unchanged']} unchanged, "
                       f"{done['rekeyed']} re-keyed, {done['merged']} double deductions merged ({done['merged_points']} "
                       "points no longer counted); the old rows are kept in table rekeyed.")
        rows = [r for r in ledger.deductions() if not r["not_charged_reason"]]
        if data is not None:
            marks = revision3_by_data(rows, data, ledger.sweep_periods(), params_file)
        else:
            marks, undecided = revision3_by_rule(rows, params_file)
            if undecided:
                by_rule = {}
                for r in undecided:
                    by_rule[r["rule_id"]] = by_rule.get(r["rule_id"], 0) + 1
                listed = "、".join(f"{k} {v} 项" for k, v in sorted(by_rule.items()))
                raise LiftcheckError(
                    f"账本中有 {len(undecided)} 项扣分（{listed}）是否仍按修订三扣分，要看每个案件的记录（如隐患是否自带整改期限）："
                    f"请加上 --data 提交的数据 再运行；修订三的标记未做。",
                    f"{len(undecided)} deductions ({', '.join(f'{k}: {v}' for k, v in sorted(by_rule.items()))}) depend on their case under "
                    "Revision 3 (a hazard's own deadline, say): run again with --data SUBMISSION; nothing was marked.")
        marked = ledger.mark_not_charged(marks)
        points = sum(r["points"] for r in rows if r["fingerprint"] in marks)
    click.echo(f"修订三：账本 {target} 中有 {marked} 项扣分（{points} 分）按修订三不会扣分（暂定或不再认定），已标记、保留，"
               f"不再计入合计；其余 {len(rows) - marked} 项不变。\n"
               f"Revision 3: {marked} deductions ({points} points) in ledger {target} would not be charged under Revision 3 "
               f"(provisional, or no longer found); they are marked and kept, and no longer counted; the other "
               f"{len(rows) - marked} are unchanged.")


@credit.command("revoke")
@argument("target", help=LEDGER)
@argument("fingerprint", help="要撤销的扣分的违规指纹。The deduction's fingerprint.")
@click.option("--reason", required=True, help="撤销理由（如申诉结果）。Why the deduction is reversed (e.g. the appeal's outcome).")
@click.option("--by", "by", required=True, help="经办人。Who reverses it.")
@_friendly
def credit_revoke(target: str, fingerprint: str, reason: str, by: str):
    """撤销一项扣分（申诉），保留记录。Reverse a deduction on appeal; nothing is deleted."""
    from checker.ledger import open_ledger

    _refuse_non_ledger(target)
    with open_ledger(target, must_exist=True) as ledger:
        _refuse_second_revocation(ledger, fingerprint)
        ledger.revoke(fingerprint, reason, by)
    click.echo(f"已撤销 {fingerprint}（{by}：{reason}）/ revoked {fingerprint} ({by}: {reason})")


def _refuse_second_revocation(ledger, fingerprint: str) -> None:
    """A deduction revoked already is said with when (Beijing time, as every time liftcheck shows),
    who and why; the ledger refuses it too, in the same transaction as the revocation."""
    from checker import labels

    with ledger.transaction() as cur:
        cur.execute(ledger._sql("SELECT revoked_by, revoked_at, reason FROM revocations WHERE fingerprint = %s"),
                    (fingerprint,))
        earlier = cur.fetchone()
    if earlier is not None:
        by, at, reason = earlier
        raise LiftcheckError(f"这项扣分已于 {labels.local_time(at)} 由 {by} 撤销（理由：{reason}），不能再次撤销",
                             f"this deduction was revoked already, at {labels.local_time(at, 'en')} by {by} "
                             f"(reason: {reason}); it cannot be revoked twice")


@main.command()
@argument("path", required=False, type=click.Path(path_type=Path),
          help="功能文件或文件夹（默认内置的 features/）。A feature file or folder.")
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path),
              help="用这个覆盖文件夹叠加在发布规则之上运行场景。"
                   "Run the scenarios against the shipped rules with this overlay folder laid over them.")
@_friendly
def features(path: Path | None, rules_dir: Path | None):
    """运行中文场景（Gherkin）。Run the drafters' Chinese features; exit 0 when all pass, 2 when a file is miswritten."""
    from checker.bdd.runner import run_features

    sys.exit(run_features(path, rules_overlay=rules_dir))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table", show_default=True,
              help="终端表格、JSON 或 Markdown。A table, JSON or Markdown.")
@click.option("--features", "features_dir", type=click.Path(path_type=Path),
              help="另一个场景文件夹。Another features folder.")
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

        from checker.terminal import Table, say

        console = Console()
        table = Table(title="条款覆盖：意见稿逐句 Clause coverage, sentence by sentence")
        for col in ("#", "条款", "句子 Sentence", "规则 / 未编码原因 Rules or why not"):
            table.add_column(col, overflow="fold")
        for c in cov["sentences"]:
            if c["rules"]:
                from checker.coverage import STATUS_ZH

                how = f"[bold]{STATUS_ZH[c['status']]}[/]\n" + "\n".join(f"{r}（{c['scenarios'][r]} 个场景）" for r in c["rules"])
                if c["note"]:
                    how += f"\n[dim]另：{c['note']['zh']}[/]"
            elif c["not_encoded"]:
                how = f"[dim]未编码：{c['not_encoded']['zh']}[/]"
            else:
                how = "[red]未说明 unaccounted[/]"
            table.add_row(str(c["n"]), c["section"], c["text"], how)
        console.print(table)
        for x in cov["presupposed_law"]:
            say(console, f"{x['rule_id']} 依据 {x['source']}（义务概述：{x['text']}）" + (f"——{x['presupposed']}" if x["presupposed"] else ""))
        s = cov["summary"]
        say(console, f"意见稿共 {s['sentences']} 句：{s['encoded']} 句由规则编码，{s['partly']} 句部分编码，{s['interpreted']} 句按解释编码，"
                     f"{s['not_encoded']} 句未编码（附原因）。 {s['sentences']} sentences: {s['encoded']} encoded, {s['partly']} partly, "
                     f"{s['interpreted']} interpreted, {s['not_encoded']} not encoded (with reasons).")
        for p in cov["problems"]:
            say(console, f"问题 problem: {p}")
        if not cov["problems"]:
            say(console, "没有问题：每一句都有交代，每条规则的引文都在意见稿中，每条规则都有场景 / "
                         "no problems: every sentence accounted for, every quote in the draft, every rule has scenarios")
    sys.exit(EXIT_VIOLATIONS if cov["problems"] else EXIT_OK)


# ---- the portal (云小站, 四（四）): needs the `portal` extra -------------------------------------------

_ROLES = ["use_unit", "maintenance_unit", "inspection_agency", "market_regulator", "district_government",
          "housing_department"]
_DB_HELP = ("门户数据库：SQLite 文件（默认 liftcheck-portal.sqlite）或 postgresql://…。"
            "The portal database: a SQLite file (default liftcheck-portal.sqlite) or postgresql://…")


@main.command()
@argument("path", required=False, type=click.Path(path_type=Path),
          help="导入空数据库的提交数据（不给出时导入样例）。A submission to load into an empty database (default: the demo sample).")
@click.option("--db", "db", help=_DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口。The port.")
@click.option("--trusted-proxy", "proxies", multiple=True,
              help="信任其 X-Forwarded-For 的反向代理地址（可多次给出，可写网段；默认不信任任何代理，"
                   "亦可用 LIFTCHECK_TRUSTED_PROXIES）。A proxy whose X-Forwarded-For is believed (repeatable; "
                   "none by default).")
@_friendly
def serve(path: Path | None, db: str | None, host: str, port: int, proxies: tuple[str, ...]):
    """运行“云小站”门户（业主查询、单位办事、监管统计）。Run the portal (云小站).

    数据库为空时导入 PATH 的提交数据；不给出 PATH 时导入样例数据。已有数据的数据库照常使用，不会被覆盖。
    An empty database is loaded with the submission PATH, or with the demo sample when no PATH is
    given; a database that holds data is used as it is.
    """
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.pipeline import InvalidSubmission
    from checker.portal.server import serve as run_server

    try:
        run_server(path, db, host, port, click.echo, proxies)
    except InvalidSubmission as exc:  # PATH is imported whole or not at all: show every problem
        from rich.console import Console

        from checker.render import print_problems

        print_problems(exc.submission.problems, Console(stderr=True))
        raise


@main.group()
def users():
    """门户账号。Portal accounts: liftcheck users add NAME --role ROLE."""


@users.command("add")
@argument("name", help="账号名。The account's name.")
@click.option("--role", type=click.Choice(_ROLES), required=True, metavar="ROLE",
              help="角色：use_unit 使用单位、maintenance_unit 维保单位、inspection_agency 检验机构、market_regulator "
                   "市场监管、district_government 区政府、housing_department 房产部门。The account's role, one of these.")
@click.option("--org", "org_id",
              help="单位的统一社会信用代码（使用单位、维保单位必填）。The organisation's id (use_unit, maintenance_unit; "
                   "optional for inspection_agency).")
@click.option("--district", help="区政府账号所在的区，如 玄武区。The district of a district_government account.")
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


@users.command("revoke")
@argument("name", help="账号名。The account's name.")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_revoke(name: str, db: str | None):
    """结束该账号的全部登录会话。End every signed-in session of the account."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import revoke_user_sessions

    n = revoke_user_sessions(db, name)
    click.echo(f"已结束用户 {name} 的 {n} 个会话 / ended {n} session(s) of {name}")


@users.command("reset")
@argument("name", help="账号名。The account's name.")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_reset(name: str, db: str | None):
    """重置密码：打印新的一次性密码，结束全部会话。Reset the password: a new one-time password; every session ends."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import reset_user

    password = reset_user(db, name)
    click.echo(f"已重置用户 {name} 的密码，其全部会话已结束 / password of {name} reset, every session ended")
    click.echo(f"一次性密码 one-time password: {password}  （首次登录须修改 / must be changed at first sign-in）")


@users.command("revoke-token")
@argument("name", help="账号名。The account's name.")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_revoke_token(name: str, db: str | None):
    """作废 API 令牌并发放新令牌（只显示这一次）。Revoke the API token and issue a new one (shown once)."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import new_user_token

    token = new_user_token(db, name)
    click.echo(f"用户 {name} 的旧 API 令牌已作废 / the old API token of {name} no longer works")
    click.echo(f"新 API 令牌 new token: {token}")


@users.command("set-role")
@argument("name", help="账号名。The account's name.")
@click.option("--role", type=click.Choice(_ROLES), required=True, help="新角色。The new role.")
@click.option("--org", "org_id", help="单位的统一社会信用代码。The organisation's id.")
@click.option("--district", help="区政府账号所在的区。The district of a district_government account.")
@click.option("--db", "db", help=_DB_HELP)
@_friendly
def users_set_role(name: str, role: str, org_id: str | None, district: str | None, db: str | None):
    """更改账号的角色或范围；其全部会话随之结束。Change an account's role or scope; its sessions end."""
    from checker.portal import require_portal_dependencies

    require_portal_dependencies()
    from checker.portal.server import set_user_role

    set_user_role(db, name, role, org_id, district)
    click.echo(f"用户 {name} 现为 {role}，其全部会话已结束 / {name} is now {role}; every session ended")


if __name__ == "__main__":  # pragma: no cover
    main()
