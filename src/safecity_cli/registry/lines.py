"""Line numbers for many problems in one file from a single parse (validate stays linear)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # yaml is imported only when a problem needs its line
    import yaml


class Lines:
    """`line(path, loc)` as yaml_files.line_of answers it, each file composed at most once.

    Mapping nodes are indexed by key the first time a step goes through them, so a problem in
    the 4,000th task costs a dictionary look-up instead of a fresh parse of the file.
    """

    def __init__(self) -> None:
        self._roots: dict[Path, yaml.Node | None] = {}
        self._keys: dict[int, dict[str, yaml.Node]] = {}

    def line(self, path: Path, loc: Sequence[str | int]) -> int | None:
        node = self._root(path)
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for step in loc:
            child = self._child(node, step)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def _root(self, path: Path) -> yaml.Node | None:
        if path not in self._roots:
            import yaml

            from safecity_cli.registry.yaml_files import YamlProblem, read_text

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            try:
                self._roots[path] = yaml.compose(read_text(path), Loader=loader)
            except (yaml.YAMLError, YamlProblem):
                self._roots[path] = None
        return self._roots[path]

    def _child(self, node: yaml.Node, step: str | int) -> yaml.Node | None:
        import yaml

        if isinstance(node, yaml.MappingNode):
            keys = self._keys.get(id(node))
            if keys is None:
                keys = {}
                for key, value in node.value:  # the first of duplicate keys, as line_of finds
                    keys.setdefault(str(key.value), value)
                self._keys[id(node)] = keys
            return keys.get(str(step))
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            item: yaml.Node = node.value[step]
            return item
        return None
