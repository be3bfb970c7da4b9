"""A roll-up registry: rollup.yaml naming district registries, each loaded through the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from safecity_cli.errors import Problem, RegistryError, UsageError
from safecity_cli.ledger.entries import Ledger
from safecity_cli.registry.layout import ROLLUP_FILE, TASKS_FILE, is_rollup
from safecity_cli.registry.models import Registry

if TYPE_CHECKING:
    from safecity_cli.index_db import Index, Wanted

SEPARATOR = ":"  # 临潼区:27, a task of one district


@dataclass(frozen=True)
class District:
    name: str
    path: Path  # the district's registry directory, resolved against rollup.yaml's folder
    index: int  # of its entry in rollup.yaml


class Office(NamedTuple):
    """One district, loaded: its name, registry and ledger."""

    name: str
    registry: Registry
    ledger: Ledger


class DistrictError(RegistryError):
    """A district's own registry has problems: each is said with the district's name."""

    def __init__(self, rollup: Path, district: District, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.rollup, self.district = rollup, district

    def lines(self) -> list[str]:
        from safecity_cli.registry.yaml_files import line_of

        errors = [p for p in self.problems if not p.warning]
        line = line_of(self.rollup, ["districts", self.district.index])
        where = f"{self.rollup}:{line}" if line is not None else str(self.rollup)
        return [f"区县「{self.district.name}」：{p}" for p in self.problems] + [
            f"错误：{where}: 区县「{self.district.name}」的登记册（{self.district.path}）"
            f"有 {len(errors)} 处错误；请用 safecity validate --data {self.district.path} 检查并修正"
        ]


class RollupError(RegistryError):
    """rollup.yaml itself is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.message = f"汇总登记册有 {len(problems)} 处错误"


def read_rollup(folder: Path) -> list[District]:
    """The districts rollup.yaml names, checked: each path a registry that is not itself a
    roll-up, no name twice. RegistryError with rollup.yaml's line for each problem."""
    from safecity_cli.registry.yaml_files import YamlProblem, line_of, load_yaml

    path = folder / ROLLUP_FILE
    try:
        raw = load_yaml(path)
    except YamlProblem as exc:
        raise RollupError([exc.problem]) from None
    problems: list[Problem] = []

    def problem(loc: list[str | int], field: str, message: str) -> None:
        problems.append(Problem(str(path), line_of(path, loc), field, message))

    items = raw.get("districts") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        problem(
            ["districts"],
            "districts",
            "应列出要汇总的区县，如 districts: [{name: 临潼区, path: ../临潼}]",
        )
        raise RollupError(problems)
    if isinstance(raw, dict) and (extra := [str(k) for k in raw if k != "districts"]):
        problem(
            [extra[0]], extra[0], f"不认识的字段（rollup.yaml 只有 districts）：{'、'.join(extra)}"
        )
    districts: list[District] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        field = f"districts[第{i + 1}项]"
        name, where = (
            (item.get("name"), item.get("path")) if isinstance(item, dict) else (None, None)
        )
        if not isinstance(name, str) or not name.strip():
            problem(["districts", i], f"{field}.name", "缺少区县名称 name")
            continue
        name = name.strip()
        if SEPARATOR in name or "：" in name or any(c.isspace() for c in name):
            problem(
                ["districts", i, "name"], f"{field}.name", f"区县名称「{name}」不能含冒号或空格"
            )
            continue
        if name in seen:
            problem(
                ["districts", i, "name"], f"{field}.name",
                f"区县名称「{name}」与第 {seen[name] + 1} 项重复；每个区县只能列一次",
            )  # fmt: skip
            continue
        seen[name] = i
        if not isinstance(where, str) or not where.strip():
            problem(["districts", i], f"{field}.path", f"区县「{name}」缺少登记册目录 path")
            continue
        target = (folder / where.strip()).resolve()
        loc: list[str | int] = ["districts", i, "path"]
        if not target.is_dir():
            problem(loc, f"{field}.path", f"区县「{name}」的登记册目录不存在：{target}")
        elif is_rollup(target):
            problem(
                loc, f"{field}.path",
                f"区县「{name}」的目录 {target} 本身是汇总登记册（有 {ROLLUP_FILE}）；"
                "汇总只能有一层，请直接列出其中的各区县",
            )  # fmt: skip
        elif not (target / TASKS_FILE).is_file():
            problem(
                loc,
                f"{field}.path",
                f"区县「{name}」的目录 {target} 不是 safecity 登记册（缺少 {TASKS_FILE}）",
            )
        else:
            districts.append(District(name, target, i))
    if problems:
        raise RollupError(problems)
    return districts


def pick(folder: Path, districts: list[District], name: str | None) -> list[District]:
    """All districts, or the one named (UsageError naming the choices otherwise)."""
    if name is None:
        return districts
    for district in districts:
        if district.name == name.strip():
            return [district]
    raise UsageError(
        f"汇总登记册 {folder / ROLLUP_FILE} 中没有区县「{name}」；"
        f"有：{'、'.join(d.name for d in districts)}"
    )


def load_offices(
    folder: Path,
    districts: list[District],
    *,
    use_cache: bool = True,
    progress: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Iterator[Office]:
    """Each district's registry and ledger, through the cache (a change in one district
    re-reads only that one); a district's problems are reported under its name."""
    from safecity_cli.cache import gc_paused, load, load_ledger

    # Paused for the whole walk, not per district: each collection would scan every district
    # loaded before it.
    with gc_paused():
        for district in districts:
            try:
                registry = load(district.path, use_cache=use_cache, progress=progress)
                ledger = load_ledger(registry, use_cache=use_cache)
            except RegistryError as exc:
                raise DistrictError(folder / ROLLUP_FILE, district, exc.problems) from None
            yield Office(district.name, registry, ledger)


class Shell(NamedTuple):
    """One district before its tasks are read: a registry to find a unit in (from the
    district's index, without its tasks), and how to read what an answer needs."""

    name: str
    registry: Registry
    load: Callable[[Wanted], Office]


def district_shells(
    folder: Path,
    districts: list[District],
    *,
    use_cache: bool = True,
    progress: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Iterator[Shell]:
    """Each district as a Shell: a question about some tasks reads only those from the
    district's index (index_db); without the cache, or without an index, the whole district."""
    from safecity_cli.cache import gc_paused
    from safecity_cli.index_db import open_index

    def whole(district: District) -> Office:
        [office] = load_offices(folder, [district], use_cache=use_cache, progress=progress)
        return office

    with gc_paused():  # for the whole walk, as load_offices
        for district in districts:
            try:
                index = open_index(district.path, progress=progress) if use_cache else None
            except RegistryError as exc:
                raise DistrictError(folder / ROLLUP_FILE, district, exc.problems) from None
            if index is None:
                office = whole(district)

                def loaded(_: Wanted, office: Office = office) -> Office:
                    return office

                yield Shell(district.name, office.registry, loaded)
                continue

            def load(wanted: Wanted, index: Index = index, district: District = district) -> Office:
                found = index.answer(wanted)
                if found is None:  # every task, or a damaged index: the whole district
                    return whole(district)
                return Office(district.name, *found)

            with index:
                yield Shell(district.name, index.registry, load)


def split_ref(text: str) -> tuple[str | None, str]:
    """「临潼区:27」 -> ("临潼区", "27"); 「27」 -> (None, "27"). A full-width colon works too."""
    for sep in (SEPARATOR, "："):
        if sep in text:
            district, _, rest = text.partition(sep)
            return district.strip(), rest.strip()
    return None, text.strip()


def split_unit(text: str, names: list[str]) -> tuple[str | None, str]:
    """「临潼区 区住建局」 or 「临潼区:区住建局」 -> ("临潼区", "区住建局") when the first word is a
    district; otherwise (None, text), a unit looked for in every district."""
    for name in names:
        for sep in (" ", "\u3000", SEPARATOR, "："):
            if text.startswith(name + sep) and text[len(name) + 1 :].strip():
                return name, text[len(name) + 1 :].strip()
    return None, text


def rollup_json(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A JSON object of one district's, with the district said first."""
    return {"district": name, **item}
