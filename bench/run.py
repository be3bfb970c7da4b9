"""Time safecity at 104, 10k and 100k tasks, cold and warm, beside argparse and Taskwarrior.

    python bench/run.py [--sizes 104,10000,100000] [--repeat 5] [--quick] [--rollup 100]

Prints a table of medians, peak memory and the issue's targets as ratios measured in the
same run, and writes it as Markdown to bench/out/results.md. See bench/README.md.

The synthetic registries are split by district (tasks/dNNN.yaml, as each district keeps its own
file); a cold run follows a change to one of those files, with the cache otherwise filled.
A roll-up of 100 district registries (rollup.yaml) is timed too, and only reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

import generate

HERE = Path(__file__).resolve().parent
EMBEDDED = 104  # the size that means the embedded registry, used without --data
EMBEDDED_UNIT = "区住建局"
OVERDUE_DATE = generate.REFERENCE.isoformat()  # 2021-01-01
LARGE = 100_000  # from this size on, --repeat is capped (each cold run re-checks 100k tasks)
LARGE_REPEAT = 3
HOSTILE_TASKS = 4_000  # issue 11: validate stays linear in the number of problems

HELLO = (
    "import argparse\n"
    "parser = argparse.ArgumentParser(prog='hello', description='hello world')\n"
    "parser.add_argument('--name', default='world')\n"
    "print(f'hello {parser.parse_args().name}')\n"
)


@dataclass(frozen=True)
class Command:
    key: str
    label: str
    args: tuple[str, ...]
    cold: bool = True  # also timed right after a registry file changed
    tty: bool = False  # stdout a terminal (a pty): the Rich table; otherwise a pipe (TSV)
    where: str = "all"  # "all", "embedded" or "synthetic"
    heavy: bool = False  # a whole-registry report: timed once, warm


REPORT_DATE = generate.TODAY.isoformat()  # 2021-06-30: reports as of the ledger's last day


def safecity_commands(unit: str, out: Path | None = None) -> tuple[Command, ...]:
    scratch = out or Path("bench/out")
    return (
        Command("list", f"list --unit {unit}（管道：制表符分隔）", ("list", "--unit", unit)),
        Command(
            "list_json",
            f"list --unit {unit} --format json",
            ("list", "--unit", unit, "--format", "json"),
            cold=False,
        ),
        Command(
            "list_tty",
            f"list --unit {unit}（终端：Rich 表格）",
            ("list", "--unit", unit),
            cold=False,
            tty=True,
            where="embedded",
        ),
        Command(
            "overdue", f"overdue --date {OVERDUE_DATE}（管道）", ("overdue", "--date", OVERDUE_DATE)
        ),
        Command(
            "overdue_json",
            f"overdue --date {OVERDUE_DATE} --format json",
            ("overdue", "--date", OVERDUE_DATE, "--format", "json"),
        ),
        Command(
            "list_csv",
            f"list --date {OVERDUE_DATE} --format csv（全部任务）",
            ("list", "--date", OVERDUE_DATE, "--format", "csv"),
            cold=False,
        ),
        *(
            Command(key, label, args, cold=False, where="synthetic", heavy=True)
            for key, label, args in (
                ("units", "units", ("units", "--date", REPORT_DATE)),
                ("stats", "stats", ("stats", "--date", REPORT_DATE)),
                ("weekly", "report weekly", ("report", "weekly", "--date", REPORT_DATE)),
                (
                    "books",
                    "report unit --all-units",
                    (
                        "report",
                        "unit",
                        "--all-units",
                        "--date",
                        REPORT_DATE,
                        "--output-dir",
                        str(scratch / "books"),
                    ),
                ),
                (
                    "xlsx",
                    "export xlsx",
                    ("export", "xlsx", "--date", REPORT_DATE, "-o", str(scratch / "台账.xlsx")),
                ),
            )
        ),
    )


def applies(command: Command, size: int) -> bool:
    if command.where == "embedded":
        return size == EMBEDDED
    if command.where == "synthetic":
        return size != EMBEDDED
    return True


# -- one timed run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float | None
    failure: str | None = None  # why the run did not succeed


# Runs inside a small `python -I -S` process that starts the command and waits for it: the
# command's peak RSS is then its own. (Forked straight from this script, a child would report
# this script's RSS at the fork as its peak.) The time excludes the wrapper's own start-up.
WRAPPER = """
import os, sys, time
result, mode, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
actions = []
if mode == "pty":  # stdout a terminal, its output read (and dropped) as a terminal would
    master, slave = os.openpty()
    actions = [(os.POSIX_SPAWN_DUP2, slave, 1)]
started = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
if mode == "pty":
    os.close(slave)
    while True:
        try:
            if not os.read(master, 1 << 16):
                break
        except OSError:
            break
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(result, "w") as handle:
    handle.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""
MEASURED = hasattr(os, "posix_spawn") and hasattr(os, "wait4")


def run_once(
    argv: Sequence[str], env: dict[str, str], timeout: float, *, tty: bool = False
) -> Sample:
    """Wall-clock time and peak RSS of one process; stdout is discarded, stderr kept for errors."""
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result"
        errors_path = Path(scratch) / "stderr"
        command = list(argv)
        if MEASURED:
            mode = "pty" if tty else "pipe"
            command = [sys.executable, "-I", "-S", "-c", WRAPPER, str(result), mode, *command]
        with errors_path.open("wb") as errors:
            started = time.perf_counter()
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=env,
                start_new_session=True,  # its own process group, so a timeout kills all of it
            )
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return Sample(timeout, None, f"超时（>{timeout:.0f} 秒）")
            seconds, peak, code = time.perf_counter() - started, None, proc.returncode
        if MEASURED and code == 0:
            text = result.read_text().split()
            # ru_maxrss: kilobytes on Linux, bytes on macOS.
            seconds, code = float(text[0]), int(text[2])
            peak = int(text[1]) / (1 << 20 if sys.platform == "darwin" else 1 << 10)
        if code != 0:
            lines = errors_path.read_text("utf-8", "replace").strip().splitlines() or [""]
            return Sample(seconds, peak, f"出错（退出码 {code}）：{lines[-1][:120]}")
        return Sample(seconds, peak)


@dataclass
class Cell:
    """Every run of one command at one size in one state (cold or warm)."""

    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None

    @property
    def failure(self) -> str | None:
        return self.skipped or next((s.failure for s in self.samples if s.failure), None)

    @property
    def median(self) -> float | None:
        times = [s.seconds for s in self.samples if not s.failure]
        return statistics.median(times) if times and not self.failure else None

    @property
    def peak_mb(self) -> float | None:
        peaks = [s.peak_mb for s in self.samples if s.peak_mb is not None]
        return max(peaks) if peaks else None


# -- registries and Taskwarrior data -------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    size: int
    data: Path | None  # None: the embedded registry
    unit: str  # the bureau `list --unit` asks about
    tasks: list[generate.TaskSummary]

    @property
    def changed(self) -> Path | None:
        """The file a cold run changes: the first task file (the first district's when split)."""
        if self.data is None:
            return None
        parts = sorted((self.data / generate.TASKS_DIR).glob("*.yaml"))
        return parts[0] if parts else self.data / "tasks.yaml"


def generator_digest() -> str:
    return hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:16]


def prepare_registry(
    size: int, out: Path, args: argparse.Namespace, progress: Progress
) -> Prepared:
    """The synthetic registry of `size` tasks under out/, generated unless a matching one exists."""
    if size == EMBEDDED:
        return Prepared(size, None, EMBEDDED_UNIT, embedded_summaries())
    folder = out / "registries" / str(size)
    meta_path = folder.with_name(f"{size}.json")
    split = min(args.split_files, size)  # no more files than tasks
    wanted = {
        "tasks": size,
        "seed": args.seed,
        "entries_per_task": args.entries_per_task,
        "split_files": split,
        "generator": generator_digest(),
    }
    if meta_path.is_file() and folder.is_dir() and not args.regenerate:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if all(meta.get(k) == v for k, v in wanted.items()):
            tasks = [
                generate.TaskSummary(t[0], t[1], t[2], _day(t[3]), _day(t[4]))
                for t in meta["task_summaries"]
            ]
            return Prepared(size, folder, meta["sample_bureau"], tasks)
    job = progress.add_task(f"生成 {size} 项任务的登记册", total=size)
    summary = generate.generate(
        folder,
        size,
        seed=args.seed,
        entries_per_task=args.entries_per_task,
        split_files=split,
        progress=lambda done, total: progress.update(job, completed=done),
        keep_summaries=True,
    )
    progress.update(job, completed=size, visible=False)
    meta_path.write_text(
        json.dumps(
            {
                **wanted,
                "sample_bureau": summary.sample_bureau,
                "seconds": round(summary.seconds, 2),
                "task_summaries": [
                    [t.id, t.text, t.project, _iso(t.due), _iso(t.done)]
                    for t in summary.task_summaries
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    progress.console.log(
        f"已生成 {folder}：{summary.tasks} 项任务、{summary.units} 个单位、"
        f"{summary.entries} 条进展记录、{len(summary.task_files)} 个任务文件，"
        f"用时 {summary.seconds:.1f} 秒"
    )
    return Prepared(size, folder, summary.sample_bureau, summary.task_summaries)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def embedded_summaries() -> list[generate.TaskSummary]:
    """The embedded 104 tasks for Taskwarrior: no ledger, so each is due at its deadline's end."""
    from safecity_cli.registry.layout import embedded_data_dir
    from safecity_cli.registry.load import load_registry

    registry = load_registry(embedded_data_dir())
    return [
        generate.TaskSummary(
            t.id,
            t.text,
            EMBEDDED_UNIT if EMBEDDED_UNIT in t.units else t.units[0],
            t.deadline.end,
            None,
        )
        for t in registry.tasks
    ]


COLD_MARK = b"# bench: cold run "
IMPORT_SIZE, IMPORT_ROWS = 10_000, 4000  # import xlsx: this many filled rows at this size


def fill_sheets(safecity: Path, env: dict[str, str], data: Path, out: Path) -> list[Path]:
    """Fillable sheets of the units with the most tasks, IMPORT_ROWS rows filled in all: a
    status (推进中) and a note in every row of a task not yet closed."""
    from openpyxl import load_workbook

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    listed = subprocess.run(
        [str(safecity), "units", "--date", REPORT_DATE, "--format", "json", "--data", str(data)],
        env=env,
        capture_output=True,
        check=True,
    )
    units = sorted(
        (u for u in json.loads(listed.stdout) if not u["group"]),
        key=lambda u: (-u["tasks"], u["name"]),
    )
    sheets: list[Path] = []
    filled = 0
    for unit in units:
        if filled >= IMPORT_ROWS:
            break
        path = out / f"填报表{len(sheets) + 1:02d}.xlsx"
        export = ("export", "xlsx", "--fillable", "--unit", unit["name"], "--date", REPORT_DATE)
        subprocess.run(
            [str(safecity), *export, "-o", str(path), "--data", str(data)],
            env=env,
            capture_output=True,
            check=True,
        )
        workbook = load_workbook(path)
        sheet = workbook["进展填报"]
        header = next(r for r in sheet.iter_rows() if any(c.value == "填报状态" for c in r))
        column = {c.value: c.column for c in header}
        for row in range(header[0].row + 1, sheet.max_row + 1):
            if filled >= IMPORT_ROWS:
                break
            if sheet.cell(row, column["序号"]).value is None:
                continue
            if sheet.cell(row, column["当前状态"]).value == "已销号":
                continue
            sheet.cell(row, column["填报状态"]).value = "推进中"
            sheet.cell(row, column["进展说明"]).value = f"基准测试：第 {row} 行"
            filled += 1
        workbook.save(path)
        sheets.append(path)
    return sheets


def touch(path: Path) -> None:
    """Change one registry file (a comment line at its end) so every cache of it is stale."""
    data = path.read_bytes()
    at = data.rfind(b"\n" + COLD_MARK)
    if at != -1:
        data = data[: at + 1]
    path.write_bytes(data + COLD_MARK + str(time.time_ns()).encode() + b"\n")


def untouch(path: Path) -> None:
    data = path.read_bytes()
    at = data.rfind(b"\n" + COLD_MARK)
    if at != -1:
        path.write_bytes(data[: at + 1])


@dataclass(frozen=True)
class Taskwarrior:
    env: dict[str, str]
    project: str


def prepare_taskwarrior(
    prepared: Prepared, out: Path, executable: str, timeout: float
) -> Taskwarrior | str:
    """A throwaway TASKDATA with the same tasks (project = the unit `list --unit` asks about
    when the task is one of its, else the lead unit; due = the governing end on 2021-01-01).

    Taskwarrior only knows the real clock, so every date is shifted by (today - 2021-01-01):
    `task overdue` then lists the tasks `safecity overdue --date 2021-01-01` lists.
    """
    folder = out / "taskwarrior" / str(prepared.size)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    shift = date.today() - generate.REFERENCE

    def stamp(day: date, end_of_day: bool = False) -> str:
        moment = datetime.combine(day + shift, datetime.min.time())
        if end_of_day:  # safecity: overdue once the end date has passed, not on it
            moment += timedelta(hours=23, minutes=59, seconds=59)
        return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    items = []
    for t in prepared.tasks:
        item = {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"safecity-bench/{prepared.size}/{t.id}")),
            "description": t.text,
            "project": t.project,
            "entry": stamp(generate.PROGRAM_START),
            "status": "completed" if t.done else "pending",
        }
        if t.due:
            item["due"] = stamp(t.due, end_of_day=True)
        if t.done:
            item["end"] = stamp(t.done)
        items.append(item)
    import_file = folder / "import.json"
    import_file.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    rc = folder / "taskrc"
    rc.write_text(
        f"data.location={folder / 'data'}\n"
        "confirmation=off\nhooks=off\nnews.version=2.6.0\n"
        "color=off\ndetection=off\ndefaultwidth=100\nverbose=nothing\n",
        encoding="utf-8",
    )
    env = {**os.environ, "TASKRC": str(rc), "TASKDATA": str(folder / "data")}
    done = subprocess.run(
        [executable, "import", str(import_file)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=max(timeout, 600),
        check=False,
    )
    if done.returncode != 0:
        return f"导入失败（退出码 {done.returncode}）：{done.stderr.strip()[-120:]}"
    return Taskwarrior(env, prepared.unit)


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class Results:
    sizes: list[int]
    repeat: int
    timeout: float
    cells: dict[tuple[int, str, str], Cell] = field(default_factory=dict)  # size, key, state
    labels: dict[tuple[int, str], str] = field(default_factory=dict)
    counts: dict[tuple[int, str], str] = field(default_factory=dict)  # size, query -> rows
    changed: dict[int, str] = field(default_factory=dict)  # size -> the file cold runs change
    first: dict[int, Sample] = field(default_factory=dict)  # size -> the run on an empty cache
    taskwarrior: str | None = None  # version, or None when not installed
    safecity: str = ""
    seconds: float = 0.0
    hostile: str = ""  # validate on 4,000 tasks that each name an unknown unit
    rollup: list[tuple[str, Cell, Cell]] = field(default_factory=list)  # label, cold, warm
    rollup_name: str = ""  # 100 个区县 × 1000 项
    rollup_counts: dict[str, str] = field(default_factory=dict)

    def cell(self, size: int, key: str, state: str) -> Cell:
        return self.cells.setdefault((size, key, state), Cell())


class Bench:
    def __init__(self, args: argparse.Namespace, progress: Progress) -> None:
        self.args = args
        self.progress = progress
        self.out: Path = args.out
        self.cache = self.out / "cache"
        self.safecity = safecity_executable()
        self.task = None if args.no_taskwarrior else shutil.which("task")
        self.no_task = "未测（--no-taskwarrior）" if args.no_taskwarrior else "未安装"
        self.results = Results(args.sizes, args.repeat, args.timeout)
        self.env = {
            **os.environ,
            "COLUMNS": "100",
            "NO_COLOR": "1",
            "SAFECITY_CACHE_DIR": str(self.cache),  # our own cache: cold means cold
            "XDG_CACHE_HOME": str(self.out / "xdg-cache"),
        }
        self.env.pop("SAFECITY_DATA", None)
        self.job: TaskID = progress.add_task("计时", total=self.planned_runs())

    def repeats(self, size: int) -> int:
        repeat = int(self.args.repeat)
        return min(repeat, LARGE_REPEAT) if size >= LARGE else repeat

    def planned_runs(self) -> int:
        runs = 2 * self.baseline_repeats() + 1  # argparse and the Typer floor
        for size in self.args.sizes:
            per = self.repeats(size)
            runs += sum(
                1 if c.heavy else (2 if c.cold else 1) * per
                for c in safecity_commands("")
                if applies(c, size)
            )
            runs += 2 * per if size != EMBEDDED else 0  # update and the query after it
            runs += per if size == IMPORT_SIZE else 0
            runs += size != EMBEDDED  # the run that fills the cache before the cold runs
            if self.task:
                runs += 2 * (per + 1)
        if self.args.rollup:
            runs += 1 + 2 * 2 * min(int(self.args.repeat), LARGE_REPEAT)
        return runs + 1  # the hostile validate

    def baseline_repeats(self) -> int:
        return max(10, 2 * int(self.args.repeat))

    def step(self, description: str) -> None:
        self.progress.update(self.job, description=description)

    def timed(
        self, cell: Cell, argv: Sequence[str], env: dict[str, str], *, tty: bool = False
    ) -> Sample:
        sample = run_once(argv, env, self.args.timeout, tty=tty)
        cell.samples.append(sample)
        self.progress.advance(self.job)
        return sample

    def run(self) -> Results:
        started = time.perf_counter()
        self.results.safecity = version([str(self.safecity), "--version"], self.env)
        if self.task:
            self.results.taskwarrior = version([self.task, "--version"], self.env)
        self.baseline()
        for size in self.args.sizes:
            self.measure(size)
        if self.args.rollup:
            self.measure_rollup(self.args.rollup, ROLLUP_TASKS)
        self.hostile()
        self.results.seconds = time.perf_counter() - started
        return self.results

    def baseline(self) -> None:
        self.step("基准：argparse hello-world")
        argv = [sys.executable, "-c", HELLO]
        run_once(argv, self.env, self.args.timeout)  # warm the page cache
        self.progress.advance(self.job)
        cell = self.results.cell(0, "argparse", "warm")
        for _ in range(self.baseline_repeats()):
            self.timed(cell, argv, self.env)
        # The floor of any Typer command line: what the start-up ratios cannot go below.
        floor = self.results.cell(0, "typer", "warm")
        for _ in range(self.baseline_repeats()):
            self.timed(floor, [sys.executable, "-c", "import typer"], self.env)

    def hostile(self, bad: int = HOSTILE_TASKS) -> None:
        """validate on the embedded registry plus `bad` tasks naming unknown units (issue 11):
        every problem needs its line, and that must not cost a parse of the file each."""
        self.step(f"validate：{bad} 项任务的责任单位不存在")
        data = self.out / f"hostile-{bad}"
        if data.exists():
            shutil.rmtree(data)
        subprocess.run(
            [str(self.safecity), "init", str(data)], env=self.env, check=True, capture_output=True
        )
        with (data / "tasks.yaml").open("a", encoding="utf-8") as tasks:
            for i in range(bad):
                tasks.write(
                    f"  - id: {100_000 + i}\n    category: 1\n    text: 任务{i}\n"
                    f"    units: [不存在的单位{i}]\n    deadline: 2021 年 7 月\n"
                )
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [str(self.safecity), "validate", "--data", str(data)],
                env=self.env,
                capture_output=True,
                timeout=self.args.timeout,
            )
        except subprocess.TimeoutExpired:
            self.results.hostile = f"超时（>{self.args.timeout:.0f} 秒）"
        else:
            seconds = time.perf_counter() - started
            found = done.stdout.decode("utf-8", "replace").count("未知的责任单位")
            found += done.stderr.decode("utf-8", "replace").count("未知的责任单位")
            self.results.hostile = (
                f"{fmt_seconds(seconds)}，列出 {found} 处问题（退出码 {done.returncode}）"
            )
        self.progress.advance(self.job)

    def measure(self, size: int) -> None:
        prepared = prepare_registry(size, self.out, self.args, self.progress)
        name = "内置登记册" if prepared.data is None else f"{size} 项"
        if self.cache.exists():
            shutil.rmtree(self.cache)
        data_args = () if prepared.data is None else ("--data", str(prepared.data))
        if prepared.data is not None and prepared.changed is not None:
            # Cold means one file just changed, not an empty cache: fill the cache first, so
            # the other task files (and the ledger) are found there.
            untouch(prepared.changed)
            self.results.changed[size] = prepared.changed.relative_to(prepared.data).as_posix()
            first = safecity_commands(prepared.unit)[0]
            self.step(f"{name}：safecity {first.label}（缓存为空，填充缓存）")
            argv = [str(self.safecity), *first.args, *data_args]
            self.results.first[size] = run_once(argv, self.env, self.args.timeout)
            self.progress.advance(self.job)
        for command in safecity_commands(prepared.unit, self.out):
            if not applies(command, size):
                continue
            self.results.labels[(size, command.key)] = command.label
            argv = [str(self.safecity), *command.args, *data_args]
            cold = self.results.cell(size, command.key, "cold")
            warm = self.results.cell(size, command.key, "warm")
            if command.heavy:  # the cache is warm by now; one run says linear or not
                cold.skipped = "—"
                self.step(f"{name}：safecity {command.label}（热）")
                self.timed(warm, argv, self.env)
                continue
            if command.cold:
                for i in range(self.repeats(size)):
                    self.step(f"{name}：safecity {command.label}（冷，第 {i + 1} 次）")
                    self.make_cold(prepared)
                    if self.timed(cold, argv, self.env).failure:
                        break
                if cold.failure:
                    warm.skipped = f"未测：冷启动未完成，缓存未建立（{cold.failure}）"
                    self.progress.advance(self.job, self.repeats(size) * 2 - len(cold.samples))
                    continue
            else:
                cold.skipped = "—"
                self.step(f"{name}：safecity {command.label}（预热）")
                run_once(argv, self.env, self.args.timeout)  # fills the cache; errors show below
            for i in range(self.repeats(size)):
                self.step(f"{name}：safecity {command.label}（热，第 {i + 1} 次）")
                if self.timed(warm, argv, self.env, tty=command.tty).failure:
                    self.progress.advance(self.job, self.repeats(size) - i - 1)
                    break
        if prepared.changed is not None:
            untouch(prepared.changed)
        if prepared.data is not None:
            self.measure_update(prepared, name, data_args)
        if size == IMPORT_SIZE:
            self.measure_import(prepared, name, data_args)
        self.count_rows(prepared, data_args)
        self.measure_taskwarrior(prepared, name)
        if self.cache.exists():  # stale entries of the cold runs: tens of MB at 100k
            shutil.rmtree(self.cache)

    def measure_rollup(self, districts: int, tasks: int) -> None:
        """A province as rollup.yaml over `districts` registries of `tasks` tasks each: the two
        queries warm, and cold right after one district's tasks.yaml changed (the others are
        found in the cache). Timed and reported only; there is no target to pass."""
        folder = self.out / "registries" / f"rollup-{districts}x{tasks}"
        meta_path = folder.with_name(folder.name + ".json")
        wanted = {
            "districts": districts,
            "tasks": tasks,
            "seed": self.args.seed,
            "entries_per_task": self.args.entries_per_task,
            "generator": generator_digest(),
        }
        meta = (
            json.loads(meta_path.read_text(encoding="utf-8"))
            if meta_path.is_file() and folder.is_dir() and not self.args.regenerate
            else {}
        )
        if any(meta.get(k) != v for k, v in wanted.items()):
            job = self.progress.add_task(
                f"生成汇总登记册（{districts} 个区县）", total=districts * tasks
            )
            summary = generate.generate_rollup(
                folder,
                districts,
                tasks,
                seed=self.args.seed,
                entries_per_task=self.args.entries_per_task,
                progress=lambda done, total: self.progress.update(job, completed=done),
            )
            self.progress.update(job, visible=False)
            meta = {**wanted, "sample_bureau": summary.sample_bureau}
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        unit = str(meta["sample_bureau"])
        name = f"{districts} 个区县 × {tasks} 项"
        self.results.rollup_name = name
        changed = folder / "d001" / "tasks.yaml"
        untouch(changed)
        if self.cache.exists():
            shutil.rmtree(self.cache)
        data_args = ("--data", str(folder))
        commands = (
            (
                f"overdue --date {OVERDUE_DATE} --format json",
                ("overdue", "--date", OVERDUE_DATE, "--format", "json"),
            ),
            (f"list --unit {unit}（表格）", ("list", "--unit", unit)),
        )
        self.step(f"汇总登记册 {name}：填充缓存")
        run_once([str(self.safecity), *commands[0][1], *data_args], self.env, self.args.timeout)
        self.progress.advance(self.job)
        repeats = min(int(self.args.repeat), LARGE_REPEAT)
        for label, args in commands:
            argv = [str(self.safecity), *args, *data_args]
            cold, warm = Cell(), Cell()
            for i in range(repeats):
                self.step(f"汇总登记册 {name}：safecity {label}（冷，第 {i + 1} 次）")
                touch(changed)
                self.timed(cold, argv, self.env)
            for i in range(repeats):
                self.step(f"汇总登记册 {name}：safecity {label}（热，第 {i + 1} 次）")
                self.timed(warm, argv, self.env)
            self.results.rollup.append((label, cold, warm))
        untouch(changed)
        for key, args in (
            ("overdue", commands[0][1]),
            ("list", (*commands[1][1], "--format", "json")),
        ):
            done = subprocess.run(
                [str(self.safecity), *args, *data_args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.args.timeout,
                check=False,
            )
            with suppress(ValueError):
                if done.returncode == 0:
                    self.results.rollup_counts[key] = str(len(json.loads(done.stdout)))
        if self.cache.exists():
            shutil.rmtree(self.cache)

    def measure_update(self, prepared: Prepared, name: str, data_args: tuple[str, ...]) -> None:
        """`update` (one entry appended to one unit's file), and the first query after it:
        overdue --format json, set beside the same query warm. The progress folder is put
        back afterwards, so the generated registry stays the one its digest names."""
        assert prepared.data is not None
        size = prepared.size
        listed = subprocess.run(
            [str(self.safecity), "list", "--unit", prepared.unit, "--format", "json", *data_args],
            env=self.env,
            capture_output=True,
            timeout=self.args.timeout,
            check=False,
        )
        try:
            task = json.loads(listed.stdout)[0]["id"]
        except (ValueError, IndexError, KeyError, TypeError):
            return
        progress = prepared.data / "progress"
        backup = self.out / "progress-backup"
        if backup.exists():
            shutil.rmtree(backup)
        shutil.copytree(progress, backup)
        update = self.results.cell(size, "update", "warm")
        after = self.results.cell(size, "after_update", "warm")
        self.results.labels[(size, "update")] = f"update {task} --unit {prepared.unit}"
        self.results.labels[(size, "after_update")] = "update 之后第一次 overdue --format json"
        query = [
            str(self.safecity),
            "overdue",
            "--date",
            OVERDUE_DATE,
            "--format",
            "json",
            *data_args,
        ]
        try:
            for i in range(self.repeats(size)):
                self.step(f"{name}：safecity update 与之后的第一次查询（第 {i + 1} 次）")
                argv = [
                    str(self.safecity),
                    "update",
                    str(task),
                    "--unit",
                    prepared.unit,
                    "--status",
                    "推进中",
                    "--note",
                    f"基准测试第 {i + 1} 次",
                    "--date",
                    generate.TODAY.isoformat(),
                    *data_args,
                ]
                if self.timed(update, argv, {**self.env, "SAFECITY_USER": "bench"}).failure:
                    break
                self.timed(after, query, self.env)
        finally:
            shutil.rmtree(progress)
            shutil.copytree(backup, progress)
            shutil.rmtree(backup)

    def measure_import(self, prepared: Prepared, name: str, data_args: tuple[str, ...]) -> None:
        """`import xlsx` of IMPORT_ROWS filled rows: the fillable sheets of the units with the
        most tasks, each row given a status and a note, imported in one command as the office
        imports what came back. The progress folder is put back after each run."""
        assert prepared.data is not None
        self.step(f"{name}：准备 {IMPORT_ROWS} 行填报表")
        sheets = fill_sheets(self.safecity, self.env, prepared.data, self.out / "import")
        cell = self.results.cell(prepared.size, "import", "warm")
        self.results.labels[(prepared.size, "import")] = (
            f"import xlsx（{len(sheets)} 份填报表，共 {IMPORT_ROWS} 行）"
        )
        argv = [str(self.safecity), "import", "xlsx", *map(str, sheets), *data_args]
        progress = prepared.data / "progress"
        backup = self.out / "progress-backup"
        if backup.exists():
            shutil.rmtree(backup)
        shutil.copytree(progress, backup)
        try:
            for i in range(self.repeats(prepared.size)):
                self.step(f"{name}：safecity import xlsx（第 {i + 1} 次）")
                failed = self.timed(cell, argv, {**self.env, "SAFECITY_USER": "bench"}).failure
                shutil.rmtree(progress)
                shutil.copytree(backup, progress)
                if failed:
                    break
        finally:
            if backup.exists():
                shutil.rmtree(progress, ignore_errors=True)
                shutil.copytree(backup, progress)
                shutil.rmtree(backup)

    def make_cold(self, prepared: Prepared) -> None:
        if prepared.data is None:  # the embedded registry is read-only: empty our cache instead
            if self.cache.exists():
                shutil.rmtree(self.cache)
        elif prepared.changed is not None:
            touch(prepared.changed)

    def count_rows(self, prepared: Prepared, data_args: tuple[str, ...]) -> None:
        """How many tasks safecity lists, so a reader can check both tools answer alike."""
        queries = (
            ("overdue", ("overdue", "--date", OVERDUE_DATE)),
            ("list", ("list", "--unit", prepared.unit)),
        )
        for key, query in queries:
            argv = [str(self.safecity), *query, "--format", "json", *data_args]
            try:
                done = subprocess.run(
                    argv,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.args.timeout,
                    check=False,
                )
                rows = json.loads(done.stdout) if done.returncode == 0 else None
            except (subprocess.TimeoutExpired, ValueError):
                rows = None
            if isinstance(rows, list):
                self.results.counts[(prepared.size, key)] = str(len(rows))

    def measure_taskwarrior(self, prepared: Prepared, name: str) -> None:
        size = prepared.size
        commands = (
            ("tw_overdue", "task overdue", ("overdue",)),
            (
                "tw_project",
                f"task project:{prepared.unit} list",
                (f"project:{prepared.unit}", "list"),
            ),
        )
        for key, label, _ in commands:
            self.results.labels[(size, key)] = label
        if not self.task:
            for key, _, _ in commands:
                self.results.cell(size, key, "warm").skipped = self.no_task
            return
        self.step(f"{name}：导入 Taskwarrior")
        tw = prepare_taskwarrior(prepared, self.out, self.task, self.args.timeout)
        if isinstance(tw, str):
            for key, _, _ in commands:
                self.results.cell(size, key, "warm").skipped = tw
            self.progress.advance(self.job, 2 * (self.repeats(size) + 1))
            return
        for key, label, task_args in commands:
            argv = [self.task, *task_args]
            self.step(f"{name}：{label}（预热）")
            run_once(argv, tw.env, self.args.timeout)  # first run: gc rewrites the data files
            self.progress.advance(self.job)
            cell = self.results.cell(size, key, "warm")
            for i in range(self.repeats(size)):
                self.step(f"{name}：{label}（第 {i + 1} 次）")
                if self.timed(cell, argv, tw.env).failure:
                    self.progress.advance(self.job, self.repeats(size) - i - 1)
                    break
        counts: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("tw_overdue", ("+OVERDUE", "count")),
            ("tw_project", (f"project:{prepared.unit}", "status:pending", "count")),
        )
        for key, query in counts:
            done = subprocess.run(
                [self.task, *query],
                env=tw.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.args.timeout,
                check=False,
            )
            if done.returncode == 0 and done.stdout.strip().isdigit():
                self.results.counts[(size, key)] = done.stdout.strip()


def safecity_executable() -> Path:
    folder = Path(sys.executable).parent
    for name in ("safecity", "safecity.exe"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"错误：{folder} 中没有 safecity 命令；请在装有 safecity 的虚拟环境中运行")


def version(argv: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return "?"
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else "?"


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    number: str
    what: str
    size: int
    key: str  # a command key, or "memory"
    state: str
    baseline: str  # "argparse", "tw_overdue", "tw_project", or "" (an absolute limit)
    limit: float  # a ratio, seconds (absolute) or MB (memory)


LINEAR = (
    ("units", "units"),
    ("stats", "stats"),
    ("weekly", "report weekly"),
    ("books", "report unit --all-units"),
    ("xlsx", "export xlsx"),
)
QUERIES = ("list", "list_json", "list_tty", "overdue", "overdue_json", "list_csv")

# issue 13: 线性 (no work grows with units × tasks), 写入 (writes cost what they write),
# 索引 (answer from an index), 启动 (start-up near the interpreter), 内存.
TARGETS = (
    *(
        Target("线性", f"1 万项：{label}", 10_000, key, "warm", "", 2.0 if key == "xlsx" else 1.0)
        for key, label in LINEAR
    ),
    *(Target("线性", f"10 万项：{label}", 100_000, key, "warm", "", 10.0) for key, label in LINEAR),
    Target("线性", "导入 4000 行填报表（import xlsx）", 10_000, "import", "warm", "", 2.0),
    Target("写入", "10 万项：update", 100_000, "update", "warm", "", 0.5),
    Target(
        "写入",
        "10 万项：update 之后第一次 overdue --format json",
        100_000,
        "after_update",
        "warm",
        "overdue_json",
        1.2,
    ),
    Target("索引", "10 万项，热：list --unit（管道）", 100_000, "list", "warm", "tw_project", 0.1),
    Target(
        "索引",
        "10 万项，热：overdue --format json",
        100_000,
        "overdue_json",
        "warm",
        "tw_overdue",
        0.5,
    ),
    Target(
        "索引",
        "1 万项，热：overdue --format json",
        10_000,
        "overdue_json",
        "warm",
        "tw_overdue",
        0.5,
    ),
    Target(
        "索引",
        "10 万项，冷：overdue --format json",
        100_000,
        "overdue_json",
        "cold",
        "tw_overdue",
        1.0,
    ),
    Target(
        "启动", "内置登记册 list --unit 区住建局（管道）", EMBEDDED, "list", "warm", "argparse", 2.5
    ),
    Target(
        "启动",
        "内置登记册 list --unit --format json",
        EMBEDDED,
        "list_json",
        "warm",
        "argparse",
        2.5,
    ),
    Target(
        "启动",
        "内置登记册 list --unit（终端，Rich 表格）",
        EMBEDDED,
        "list_tty",
        "warm",
        "argparse",
        5,
    ),
    Target(
        "启动",
        "内置登记册，缓存为空：list --unit（管道）",
        EMBEDDED,
        "list",
        "cold",
        "argparse",
        2.5,
    ),
    Target("内存", "10 万项，热：查询的峰值内存", 100_000, "memory", "warm", "", 400),
    Target("内存", "10 万项，冷：查询的峰值内存", 100_000, "memory", "cold", "", 1024),
)


def size_name(size: int) -> str:
    if size == EMBEDDED:
        return "内置登记册（104 项）"
    return f"{size // 10_000} 万项" if size % 10_000 == 0 else f"{size} 项"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value >= 10 else f"{value * 1000:.0f} ms"


def fmt_mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} MB"


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    if cell.failure:
        return cell.failure
    return fmt_seconds(cell.median)


def target_rows(results: Results) -> list[list[str]]:
    rows = []
    for t in TARGETS:
        if t.size not in results.sizes:
            rows.append([t.number, t.what, "未测", "", "", "", "—"])
            continue
        if t.key == "memory":
            peaks = [
                c.peak_mb
                for (size, key, state), c in results.cells.items()
                if size == t.size and state == t.state and c.peak_mb is not None and key in QUERIES
            ]
            peak = max(peaks) if peaks else None
            verdict = "—" if peak is None else ("通过" if peak <= t.limit else "未通过")
            rows.append([t.number, t.what, fmt_mb(peak), "", "", f"≤ {t.limit:.0f} MB", verdict])
            continue
        mine = results.cells.get((t.size, t.key, t.state))
        mine_median = mine.median if mine else None
        if not t.baseline:
            verdict = (
                "—" if mine_median is None else ("通过" if mine_median <= t.limit else "未通过")
            )
            rows.append([t.number, t.what, cell_text(mine), "", "", f"≤ {t.limit:g} s", verdict])
            continue
        base_size = 0 if t.baseline == "argparse" else t.size
        base = results.cells.get((base_size, t.baseline, "warm"))
        base_label = (
            "argparse"
            if t.baseline == "argparse"
            else results.labels.get((t.size, t.baseline), t.baseline)
        )
        if not t.baseline.startswith(("argparse", "tw_")):
            base_label = f"同一命令热启动 {base_label}"
        base_median = base.median if base else None
        ratio = mine_median / base_median if mine_median is not None and base_median else None
        verdict = "—" if ratio is None else ("通过" if ratio <= t.limit else "未通过")
        rows.append(
            [
                t.number,
                t.what,
                cell_text(mine),
                f"{base_label}：{cell_text(base)}",
                "—" if ratio is None else f"{ratio:.2f}×",
                f"≤ {t.limit:g}×",
                verdict,
            ]
        )
    return rows


TARGET_HEADERS = ["目标", "测量", "safecity 中位数", "对照（中位数）", "比值", "上限", "结果"]
TIME_HEADERS = ["规模", "命令", "冷（中位数）", "热（中位数）", "峰值内存 冷/热"]


def time_rows(results: Results) -> list[list[str]]:
    rows = [
        ["—", label, "", cell_text(cell), fmt_mb(cell.peak_mb if cell else None)]
        for label, cell in (
            ("python -c 'argparse hello-world'", results.cells.get((0, "argparse", "warm"))),
            ("python -c 'import typer'", results.cells.get((0, "typer", "warm"))),
        )
    ]
    for size in results.sizes:
        for (s, key), label in results.labels.items():
            if s != size:
                continue
            cold = results.cells.get((size, key, "cold"))
            warm = results.cells.get((size, key, "warm"))
            tool = "" if key.startswith("tw_") else "safecity "
            memory = f"{fmt_mb(cold.peak_mb if cold else None)} / {fmt_mb(warm.peak_mb if warm else None)}"
            rows.append(
                [
                    size_name(size),
                    tool + label,
                    "" if cold is None or cold.skipped == "—" else cell_text(cold),
                    cell_text(warm),
                    memory if not key.startswith("tw_") else fmt_mb(warm.peak_mb if warm else None),
                ]
            )
    return rows


ROLLUP_TASKS = 1000  # tasks per district in the measured roll-up
ROLLUP_HEADERS = ["汇总登记册", "命令", "冷（中位数）", "热（中位数）", "峰值内存 冷/热"]


def rollup_rows(results: Results) -> list[list[str]]:
    return [
        [
            results.rollup_name,
            f"safecity {label}",
            cell_text(cold),
            cell_text(warm),
            f"{fmt_mb(cold.peak_mb)} / {fmt_mb(warm.peak_mb)}",
        ]
        for label, cold, warm in results.rollup
    ]


def rollup_note(results: Results) -> list[str]:
    if not results.rollup:
        return []
    counts = results.rollup_counts
    return [
        f"汇总登记册 {results.rollup_name}：冷启动 = 刚改过 d001/tasks.yaml（其余区县仍在缓存中）；"
        f"逾期任务 {counts.get('overdue', '?')} 项，list --unit 列出 {counts.get('list', '?')} 项；"
        "只计时，没有目标"
    ]


def notes(results: Results) -> list[str]:
    """What a cold run changed, and the rows each tool listed (the two agree when they answer
    the same question)."""
    lines = []
    for size, file in results.changed.items():
        first = results.first.get(size)
        empty = (
            "—"
            if first is None
            else first.failure or f"{fmt_seconds(first.seconds)}（峰值 {fmt_mb(first.peak_mb)}）"
        )
        lines.append(
            f"{size_name(size)}：冷启动 = 刚改过 {file}（缓存里其余文件仍有效）；"
            f"缓存为空时的首次 list --unit：{empty}"
        )
    base, floor = (
        results.cells.get((0, "argparse", "warm")),
        results.cells.get((0, "typer", "warm")),
    )
    if base and floor and base.median and floor.median:
        lines.append(
            f"下限：python -c 'import typer' 本身 {fmt_seconds(floor.median)}，"
            f"为 argparse hello-world 的 {floor.median / base.median:.2f} 倍（任何 Typer 命令行的启动比值都不会低于它）"
        )
    if results.hostile:
        lines.append(f"validate，{HOSTILE_TASKS} 项任务的责任单位不存在：{results.hostile}")
    for size in results.sizes:
        count = {
            key: results.counts.get((size, key), "?")
            for key in ("overdue", "tw_overdue", "list", "tw_project")
        }
        unit = (
            results.labels.get((size, "tw_project"), "").removeprefix("task ").removesuffix(" list")
        )
        lines.append(
            f"{size_name(size)}：逾期任务 safecity {count['overdue']} 项、Taskwarrior "
            f"{count['tw_overdue']} 项；list --unit 列出 {count['list']} 项，"
            f"task {unit} list 列出 {count['tw_project']} 项（未完成的）"
        )
    return lines


def environment_line(results: Results) -> str:
    tw = results.taskwarrior or "未安装"
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}；{platform.system()} {platform.machine()}，"
        f"{os.cpu_count()} 核；Python {platform.python_version()}；{results.safecity}；"
        f"Taskwarrior {tw}；每项重复 {results.repeat} 次（10 万项 {min(results.repeat, LARGE_REPEAT)} 次），"
        f"单次超时 {results.timeout:.0f} 秒；全程 {results.seconds / 60:.1f} 分钟"
    )


def markdown(results: Results) -> str:
    def table(headers: list[str], rows: list[list[str]]) -> list[str]:
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") or " " for c in cells) + " |"

        return [line(headers), "| " + " | ".join("---" for _ in headers) + " |"] + [
            line(r) for r in rows
        ]

    lines = [
        "### 性能目标",
        "",
        f"测于 {environment_line(results)}。比值 = safecity ÷ 对照，两者在同一次运行中测得。",
        "",
        *table(TARGET_HEADERS, target_rows(results)),
        "",
        "### 各命令中位耗时与峰值内存",
        "",
        *table(TIME_HEADERS, time_rows(results)),
        "",
    ]
    if results.rollup:
        lines += [
            "### 汇总登记册（rollup.yaml）",
            "",
            *table(ROLLUP_HEADERS, rollup_rows(results)),
            "",
        ]
    lines += [f"- {note}" for note in [*notes(results), *rollup_note(results)]]
    lines.append("")
    lines.append("重跑：`python bench/run.py`（`--quick` 只测内置登记册和 1 万项）。")
    return "\n".join(lines) + "\n"


def print_tables(console: Console, results: Results) -> None:
    targets = Table(title="性能目标（比值 = safecity ÷ 对照）", title_justify="left")
    for header in TARGET_HEADERS:
        targets.add_column(header, overflow="fold")
    for row in target_rows(results):
        style = {"通过": "green", "未通过": "red"}.get(row[-1])
        targets.add_row(*row, style=style)
    times = Table(title="各命令中位耗时与峰值内存", title_justify="left")
    for header in TIME_HEADERS:
        times.add_column(header, overflow="fold")
    for row in time_rows(results):
        times.add_row(*row)
    console.print(times)
    if results.rollup:
        rollup = Table(title="汇总登记册（rollup.yaml）", title_justify="left")
        for header in ROLLUP_HEADERS:
            rollup.add_column(header, overflow="fold")
        for row in rollup_rows(results):
            rollup.add_row(*row)
        console.print(rollup)
    console.print(targets)
    for note in [*notes(results), *rollup_note(results)]:
        console.print(f"• {note}")
    console.print(environment_line(results))


# -- the command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="safecity 性能测试：内置登记册、1 万项和 10 万项任务，冷/热启动，对照 argparse 与 Taskwarrior。"
    )
    parser.add_argument(
        "--sizes", default="104,10000,100000", help="任务数，逗号分隔；104 表示内置登记册"
    )
    parser.add_argument("--quick", action="store_true", help="只测 104 和 10000")
    parser.add_argument(
        "--repeat", type=int, default=5, help=f"每项重复次数（默认 5；10 万项最多 {LARGE_REPEAT}）"
    )
    parser.add_argument("--timeout", type=float, default=120, help="单次运行超时秒数（默认 120）")
    parser.add_argument("--seed", type=int, default=7, help="生成登记册的随机种子")
    parser.add_argument("--entries-per-task", type=int, default=2, help="每项任务的进展记录条数")
    parser.add_argument(
        "--split-files",
        type=int,
        default=generate.BY_DISTRICT,
        help="合成登记册的任务文件数：0（默认）每个区县一个 tasks/dNNN.yaml，1 全部在 tasks.yaml",
    )
    parser.add_argument(
        "--rollup",
        type=int,
        default=100,
        metavar="N",
        help=f"另测一个汇总登记册：N 个区县各 {ROLLUP_TASKS} 项任务（默认 100；0 不测；--quick 时不测）",
    )
    parser.add_argument("--regenerate", action="store_true", help="重新生成登记册，不复用已有的")
    parser.add_argument("--no-taskwarrior", action="store_true", help="不测 Taskwarrior")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="输出目录（默认 bench/out）")
    args = parser.parse_args(argv)
    text = "104,10000" if args.quick else args.sizes
    if args.quick:
        args.rollup = 0
    if args.rollup < 0:
        parser.error("--rollup 应不小于 0")
    try:
        args.sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes 应为逗号分隔的整数：{text}")
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1:
        parser.error("--sizes 和 --repeat 应为正整数")
    if args.split_files < 0:
        parser.error("--split-files 应不小于 0")
    return args


@contextmanager
def progress_bar(console: Console) -> Iterator[Progress]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield progress


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    with progress_bar(console) as progress:
        results = Bench(args, progress).run()
    report = markdown(results)
    (args.out / "results.md").write_text(report, encoding="utf-8")
    out = Console()
    print_tables(out if out.is_terminal else Console(width=160), results)
    console.print(f"已写入 {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
