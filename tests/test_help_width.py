"""Every help page fits an 80-column terminal, measured in display columns, with whole words and dates."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from safecity_cli.cli import COMMANDS, app, build_app
from safecity_cli.cli.help_format import wrap


def help_pages() -> list[list[str]]:
    import typer.main

    pages: list[list[str]] = [[]]
    root = typer.main.get_command(build_app())
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        pages.append([name])
        pages += [[name, sub] for sub in getattr(command, "commands", {})]
    return pages


@pytest.mark.parametrize("words", help_pages(), ids=lambda w: " ".join(w) or "safecity")
def test_help_fits_80_columns(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, words: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, [*words, "--help"], prog_name="safecity")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "示例：" in result.stdout
    for line in lines:
        assert cell_len(line) <= 80, line
        assert not re.fullmatch(r"\s*[，。、；：）」]+\s*", line), line
        assert not re.search(r"\d{4}年\d{0,2}$", line), line  # a date broken at the line end


def test_wrap_keeps_words_dates_and_punctuation_together() -> None:
    text = "按此日期计算状态：2021-01-01、2021年1月1日 或 today（默认今天）。"
    for width in range(12, 40):
        lines = wrap(text, width)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert not any(line[0] in "，。、；：）" for line in lines)
        assert any("2021年1月1日" in line for line in lines)
        assert any("today" in line for line in lines)


def test_every_command_is_in_the_help_tour() -> None:
    assert {page[0] for page in help_pages() if page} == set(COMMANDS)
