"""The console entry point builds only the command asked for, and answers exactly as the full app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.cli import app


def _entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    env.pop("SAFECITY_DATA", None)
    return subprocess.run(
        [sys.executable, "-m", "safecity_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["overdue", "--date", "2021-01-01", "-f", "json"],
        ["list", "--unit", "区住建局", "--date", "2021-01-01"],
        ["report", "notice", "--unit", "区住建局", "--date", "2021-01-04"],
        ["show", "999"],
        ["lst"],
        ["--help"],
        ["--version"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_entry_point_matches_the_full_app(runner: CliRunner, args: list[str]) -> None:
    full = runner.invoke(app, args, prog_name="safecity")
    lazy = _entry_point(*args)
    assert (lazy.returncode, lazy.stdout, lazy.stderr) == (full.exit_code, full.stdout, full.stderr)


def test_a_query_imports_no_report_or_export_code() -> None:
    code = (
        "import sys; sys.argv = ['safecity', 'overdue', '--date', '2021-01-01', '-f', 'json']\n"
        "from safecity_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('jinja2', 'openpyxl', 'icalendar', 'pydantic', 'yaml', 'rich',"
        " 'safecity_cli.cli.reports', 'safecity_cli.cli.exports') if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)"
    )
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert warm.stdout == again.stdout
    # Once the cache is warm, a JSON query needs neither YAML, Pydantic nor Rich.
    assert again.stderr.strip().splitlines()[-1] == "[]"


def test_a_listing_to_a_pipe_imports_only_what_it_uses() -> None:
    code = (
        "import sys; sys.argv = ['safecity', 'list', '--unit', '区住建局']\n"
        "from safecity_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('json', 'csv', 'tempfile', 'zipfile', 'importlib.resources',"
        " 'rich', 'safecity_cli.rollup') if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert again.stderr.strip().splitlines()[-1] == "[]"


def test_a_reader_that_stops_early_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`safecity list --format csv | head`: the listing goes out in pieces, and the pipe
    closing after the first is not reported as a failed write."""
    import typer

    from safecity_cli.cli.common import write

    with (tmp_path / "sink").open("w") as sink:

        class ClosedPipe:
            def write(self, text: str) -> int:
                raise BrokenPipeError(32, "Broken pipe")

            def fileno(self) -> int:
                return sink.fileno()

        monkeypatch.setattr(sys, "stdout", ClosedPipe())
        with pytest.raises(typer.Exit) as exit_:
            write("序号\t内容\n")
    assert exit_.value.exit_code == 0
