"""`safecity evidence check`: every archived and recorded evidence file, present and unchanged."""

from __future__ import annotations

from safecity_cli.cli.common import DataOpt, command, new_app, write

app = new_app(
    "佐证材料档案：检查登记册中保存和记录的每一份材料是否还在、是否被改动。\n\n"
    "示例：safecity evidence check --data ./台账",
)


def check(data: DataOpt = None) -> None:
    """检查材料档案（evidence/）中的每个文件，以及扣分记录、整改问题、进展记录引用的本地文件：

    文件缺失或内容与记录的 SHA-256 不符时逐条列出，退出码为 1。

    示例：safecity evidence check --data ./台账
    """
    from safecity_cli.assessment.store import ArchiveError, check_archive
    from safecity_cli.cli.common import open_ledger, open_registry
    from safecity_cli.ledger.entries import check_evidence

    registry = open_registry(data, no_cache=True)
    archived, problems = check_archive(registry.path)
    recorded = 0
    lines = [str(p) for p in problems]
    for entry in open_ledger(registry, no_cache=True).entries:
        for item in entry.evidence:
            if item.sha256 is None:
                continue
            recorded += 1
            if reason := check_evidence(item, registry.path):
                lines.append(
                    f"进展记录 任务{entry.task} {entry.unit or '创建办'}（{item.ref}）：{reason}"
                )
    if lines:
        raise ArchiveError(lines)
    write(
        f"材料完好：档案中 {archived} 个文件，进展记录引用的本地文件 {recorded} 份，均未缺失、未改动\n"
    )


command(app, "check")(check)
