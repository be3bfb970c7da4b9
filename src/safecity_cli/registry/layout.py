"""Where the embedded registry and templates live, and which registry a command uses."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "SAFECITY_DATA"

# What a registry directory holds.
TASKS_FILE, UNITS_FILE, SCHEDULE_FILE = "tasks.yaml", "units.yaml", "schedule.yaml"
REGISTRY_FILES = (TASKS_FILE, UNITS_FILE, SCHEDULE_FILE)
CRITERIA_FILE = "criteria.yaml"  # the 评价细则; a registry without it still loads
SCORING_FILE = "scoring.yaml"  # the 考核细则 (how units are scored); optional as well
OPTIONAL_FILES = (CRITERIA_FILE, SCORING_FILE)
TASKS_DIR = "tasks"  # optional: tasks/*.yaml hold more tasks, so a large registry can be split
ROLLUP_FILE = "rollup.yaml"  # a roll-up of district registries (safecity_cli.rollup)


def registry_files(path: Path) -> list[Path]:
    """The files a registry is read from, in the order they are read."""
    optional = [path / name for name in OPTIONAL_FILES if (path / name).is_file()]
    return [
        *(path / name for name in REGISTRY_FILES),
        *optional,
        *sorted((path / TASKS_DIR).glob("*.yaml")),
    ]


def is_rollup(path: Path) -> bool:
    return (path / ROLLUP_FILE).is_file()


def _packaged(name: str) -> Path:
    # The package's own folder, as importlib.resources would name it for an installed
    # package (not imported for this: it costs more start-up than the command's work).
    inside = Path(__file__).resolve().parents[1] / name
    if inside.is_dir():
        return inside
    # A source checkout or editable install: data/ and templates/ sit at the project root.
    return Path(__file__).resolve().parents[3] / name


def embedded_data_dir() -> Path:
    return _packaged("data")


def embedded_templates_dir() -> Path:
    return _packaged("templates")


def data_dir(option: Path | None) -> Path:
    """The registry a command works on: --data, else $SAFECITY_DATA, else the embedded one."""
    if option is not None:
        return option
    if env := os.environ.get(ENV_DATA):
        return Path(env)
    return embedded_data_dir()


def is_embedded(path: Path) -> bool:
    try:
        return path.resolve() == embedded_data_dir().resolve()
    except OSError:
        return False
