"""The layers import only downwards, and only the runtimes import a Telegram framework."""

from __future__ import annotations

import ast
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


def test_handlers_have_no_framework_or_io_at_import():
    import importlib

    for path in sources("handlers"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        importlib.import_module(module.removesuffix(".__init__"))
