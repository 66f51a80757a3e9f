"""Layers call downward only: labels, data, models, metrics <- training <- benchmark <- commands / cli.

Every module of the package is parsed with `ast`; every import is resolved to an absolute module name, relative
ones and those inside functions included (most of the package imports lazily), as are
``importlib.import_module("...")`` calls with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sentiv_hf

PACKAGE_DIR = Path(sentiv_hf.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of what ``source`` (the code of ``module``) imports; ``from a import b`` gives ``a`` and
    ``a.b``, since ``b`` may be a submodule."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            names.add(node.args[0].value)
    return names


def package_imports() -> dict[str, set[str]]:
    """``{module: the sentiv_hf modules it imports}`` for every module of the package."""
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = module_name(path)
        imports = imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        out[name] = {i for i in imports if i == "sentiv_hf" or i.startswith("sentiv_hf.")}
    return out


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


LOWER = tuple(f"sentiv_hf.{p}" for p in ("data", "models", "training", "metrics"))
BOTTOM = tuple(f"sentiv_hf.{p}" for p in ("labels", "errors", "data", "models", "metrics"))
TOP = ("sentiv_hf.commands", "sentiv_hf.cli")
LB = ("sentiv_hf.leaderboard",)

# (rule, which modules it applies to, what they must not import)
RULES = [
    ("data/models/training/metrics never import benchmark or commands", LOWER, None, ("sentiv_hf.benchmark", *TOP)),
    ("only commands/ and cli.py import commands", ("sentiv_hf",), TOP, ("sentiv_hf.commands",)),
    ("labels/errors/data/models/metrics never import training", BOTTOM, None, ("sentiv_hf.training",)),
    ("only leaderboard/, commands/, cli import leaderboard", ("sentiv_hf",), (*LB, *TOP), LB),
]


@pytest.mark.parametrize(("rule", "applies_to", "exempt", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layers_call_downward_only(rule, applies_to, exempt, forbidden):
    violations = [
        f"{module} imports {target}"
        for module, imports in package_imports().items()
        if _within(module, applies_to) and not (exempt and _within(module, exempt))
        for target in sorted(imports)
        if _within(target, forbidden)
    ]
    assert not violations, f"{rule}:\n" + "\n".join(violations)


def test_the_import_scanner_sees_relative_lazy_and_dynamic_imports():
    source = """
import sentiv_hf.labels
from ..commands.errors import CommandError

def later():
    from ...benchmark import report
    from . import pipelines
    import importlib
    importlib.import_module("sentiv_hf.commands.train")
"""
    found = imported_modules(source, "sentiv_hf.training.sub.mod")
    assert {
        "sentiv_hf.labels",
        "sentiv_hf.training.commands.errors",
        "sentiv_hf.benchmark.report",
        "sentiv_hf.training.sub.pipelines",
        "sentiv_hf.commands.train",
    } <= found
    assert "sentiv_hf.models.pipelines" in imported_modules("from . import pipelines", "sentiv_hf.models", True)
    assert "sentiv_hf.errors" in imported_modules("from ..errors import UserError", "sentiv_hf.commands.errors")
