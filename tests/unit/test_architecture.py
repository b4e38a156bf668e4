"""The layers import only downwards without cycles; frameworks and I/O stay out of imports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "handlers", "knowledge", "storage")
# What each layer may import from the project.
ALLOWED = {
    "bot": {"bot", "handlers", "knowledge", "storage"},
    "handlers": {"handlers", "knowledge", "storage"},
    "knowledge": {"knowledge"},
    "storage": {"storage", "knowledge"},  # e.g. a tally computed by knowledge
}
FRAMEWORKS = {
    "aiogram": "bot/runtimes/aiogram_runtime.py",
    "telegram": "bot/runtimes/ptb_runtime.py",
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def sources(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def test_layers_import_only_downwards():
    problems = []
    for layer in LAYERS:
        for path in sources(layer):
            wrong = (imports(path) & set(LAYERS)) - ALLOWED[layer]
            if wrong:
                problems.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert problems == []


def test_only_the_runtimes_import_the_telegram_frameworks():
    problems = []
    for layer in LAYERS:
        for path in sources(layer):
            relative = path.relative_to(ROOT).as_posix()
            for framework, owner in FRAMEWORKS.items():
                if framework in imports(path) and relative != owner:
                    problems.append(f"{relative} imports {framework}")
    assert problems == []


# Run in a fresh interpreter: imports every handlers module, and reports what importing did.
_IMPORT_PROBE = """
import gc, importlib, json, pkgutil, sys, threading

done = []
def hook(event, args):
    if event == "open" and not isinstance(args[0], int):
        path = str(args[0])
        # Module files are code, and the system's time-zone database is read-only data.
        if not path.endswith((".py", ".pyc", ".so", ".pth")) and "zoneinfo" not in path:
            done.append(f"opened {path}")
    elif event.split(".")[0] in ("socket", "sqlite3", "subprocess", "urllib", "http"):
        done.append(event)
    elif event in ("os.system", "os.exec", "os.fork", "os.spawn"):
        done.append(event)
sys.addaudithook(hook)

import handlers
for module in pkgutil.walk_packages(handlers.__path__, "handlers."):
    importlib.import_module(module.name)

engines = []
if "sqlalchemy.engine" in sys.modules:
    from sqlalchemy.engine import Engine
    engines = [repr(o) for o in gc.get_objects() if isinstance(o, Engine)]
frameworks = ("aiogram", "telegram", "aiohttp", "httpx", "asyncpg", "aiosqlite")
print(json.dumps({
    "io": done,
    "frameworks": sorted({m.split(".")[0] for m in sys.modules} & set(frameworks)),
    "engines": engines,
    "threads": threading.active_count(),
    "modules": sorted(m for m in sys.modules if m.startswith("handlers.")),
}))
"""


def test_handlers_have_no_framework_or_io_at_import():
    probe = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(probe.stdout)
    assert found["frameworks"] == []  # no Telegram framework, web client or database driver
    assert found["io"] == []  # no file read, socket, database connection or process
    assert found["engines"] == []  # no SQLAlchemy engine built
    assert found["threads"] == 1  # nothing started in the background
    expected = {p.stem for p in sources("handlers") if p.stem != "__init__"}
    assert {m.split(".")[1] for m in found["modules"]} >= expected  # every module was imported


# What is checked for import cycles (imports under ``if TYPE_CHECKING:`` do not run).
CORE = ("handlers", "storage", "knowledge")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str], name: str) -> set[str]:
    """Return the project modules a module imports when it runs, at any depth of its code."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found & known - {name}


def import_cycles(layers: tuple[str, ...], root: Path = ROOT) -> list[list[str]]:
    """Return the groups of modules that import each other, directly or round a circle."""
    paths = {
        module_name(p, root): p
        for layer in layers
        for p in sorted((root / layer).rglob("*.py"))
        if "migrations" not in p.relative_to(root).parts
    }
    graph = {name: project_imports(path, set(paths), name) for name, path in paths.items()}
    # Tarjan's strongly connected components, without recursion.
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in graph:
        if root in order:
            continue
        work = [(root, iter(sorted(graph[root])))]
        order[root] = low[root] = len(order)
        stack.append(root)
        while work:
            node, following = work[-1]
            step = next(following, None)
            if step is not None:
                if step not in order:
                    order[step] = low[step] = len(order)
                    stack.append(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in stack:
                    low[node] = min(low[node], order[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == order[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_the_core_has_no_import_cycles():
    assert import_cycles(CORE) == []


def test_the_program_has_no_import_cycles():
    assert import_cycles(("bot", *CORE)) == []


def test_the_cycle_finder_sees_deferred_imports_but_not_type_checking_ones(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    modules = {
        "__init__": "",
        "a": "from pkg import b\n",
        "b": "def later():\n    from pkg.c import thing\n",  # deferred: still a dependency
        "c": "import pkg.a\nthing = 1\n",
        "d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.e\n",
        "e": "import pkg.d\n",
    }
    for name, text in modules.items():
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    assert import_cycles(("pkg",), root=tmp_path) == [["pkg.a", "pkg.b", "pkg.c"]]
