"""Shared fixtures: the embedded registry, small fixture registries, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safecity_cli.registry.layout import embedded_data_dir
from safecity_cli.registry.load import load_registry
from safecity_cli.registry.models import Registry

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the user's real cache."""
    monkeypatch.setenv("SAFECITY_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def embedded() -> Registry:
    return load_registry(embedded_data_dir())


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # Same output on every machine: no colour, a fixed width, no user registry from the env.
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    # CliRunner's stdout is no terminal: without this, tables would be tab-separated rows.
    monkeypatch.setenv("SAFECITY_FORCE_TABLE", "1")
    monkeypatch.delenv("SAFECITY_DATA", raising=False)
    return CliRunner()


@pytest.fixture
def work_registry(tmp_path: Path) -> Path:
    """A writable copy of the embedded registry."""
    target = tmp_path / "registry"
    shutil.copytree(embedded_data_dir(), target, ignore=shutil.ignore_patterns("progress"))
    return target
