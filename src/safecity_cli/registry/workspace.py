"""A user's own working registry, copied from the embedded one."""

from __future__ import annotations

import shutil
from pathlib import Path

from safecity_cli.errors import UsageError
from safecity_cli.registry.layout import OPTIONAL_FILES, REGISTRY_FILES, embedded_data_dir


def init_registry(target: Path) -> list[Path]:
    """Copy the embedded registry into `target`; refuse to touch an existing registry."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} 已存在且不是目录")
    existing = [name for name in REGISTRY_FILES + OPTIONAL_FILES if (target / name).exists()]
    if existing or (target / "progress").exists():
        found = "、".join(existing) or "progress/"
        raise UsageError(f"{target} 中已有登记册（{found}），不会覆盖；请换一个目录")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in REGISTRY_FILES + OPTIONAL_FILES:
        if name in OPTIONAL_FILES and not (embedded_data_dir() / name).is_file():
            continue
        shutil.copyfile(embedded_data_dir() / name, target / name)
        copied.append(target / name)
    return copied
