"""One shape everywhere (issue 14 point 5): no function in the product is longer than
80 lines. A longer one is split into named steps, each a function whose name says what
the step does; this test names every function over the limit, with its file and line."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rankandfile"
LIMIT = 80


def long_functions(root: Path = SRC, limit: int = LIMIT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    where = path.relative_to(root.parent)
                    found.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_measure_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    (tmp_path / "short.py").write_text("def fine():\n    return 1\n", encoding="utf-8")
    assert [line.split(" ")[1] for line in long_functions(tmp_path)] == ["too_long"]


def test_no_function_is_longer_than_the_limit() -> None:
    assert long_functions() == []
