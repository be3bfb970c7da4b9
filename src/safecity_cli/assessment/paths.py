"""Where the assessment's files live in a registry (importable without Pydantic or YAML)."""

from __future__ import annotations

from pathlib import Path

ASSESSMENT_DIR = "assessment"
FINDINGS_FILE = "findings.yaml"
PROBLEMS_FILE = "problems.yaml"
EVIDENCE_DIR = "evidence"
MANIFEST_FILE = "manifest.yaml"


def file_path(data_dir: Path, name: str) -> Path:
    folder = EVIDENCE_DIR if name == MANIFEST_FILE else ASSESSMENT_DIR
    return data_dir / folder / name
