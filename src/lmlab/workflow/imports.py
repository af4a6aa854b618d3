"""The source files a stage runs, computed from its imports (each rule's `code` param is their
digest; dvc.yaml lists them as the stage's deps).

A rule runs `python -m lmlab <family> <stage>`: the entry modules (`lmlab/__main__.py`,
`lmlab/cli.py`, `lmlab/<family>/cli.py` and what they import at module level), then the
handler of `<stage>`, which imports its stage modules inside the function. `stage_code` finds
that handler through the family's real argparse parser (families import nothing heavy at module
level, so building it is cheap), reads the `lmlab` imports of its body, and follows every
`lmlab` import of every reached module (module level and inside functions alike) to a fixed
point, adding each package's `__init__.py` (of the family CLI only the module-level imports:
its other functions are the other stages' handlers). Declaring their digest as the rule's param
makes Snakemake re-run exactly the rules whose code changed.

Static (`ast`) rather than importing the stage: it sees the lazy imports inside functions, and it
needs neither torch nor the model libraries in the Snakemake process.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import importlib
import inspect
import textwrap
from pathlib import Path

PACKAGE = "lmlab"
SRC = Path(__file__).resolve().parents[2]  # .../src


def module_file(module: str) -> Path:
    """The source file of an `lmlab` module (a package's `__init__.py`)."""
    path = SRC.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _is_module(module: str) -> bool:
    path = SRC.joinpath(*module.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def imported_modules(tree: ast.AST, current: str) -> set[str]:
    """The `lmlab` modules an AST imports anywhere (`from lmlab.x import y` gives `lmlab.x`, or
    `lmlab.x.y` when y is a module; relative imports are resolved against `current`)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = current.split(".")[: len(current.split(".")) - node.level]
                base = ".".join([*parent, base] if base else parent)
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return {m for m in found if _is_module(m)}


@functools.cache
def _module_imports(module: str, top_level_only: bool = False) -> frozenset[str]:
    package = module_file(module).name == "__init__.py"  # relative imports start inside it
    current = f"{module}.__init__" if package else module
    tree = ast.parse(module_file(module).read_text(encoding="utf-8"))
    if top_level_only:
        tree = ast.Module(
            body=[n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)],
            type_ignores=[],
        )
    return frozenset(imported_modules(tree, current))


def closure(modules: set[str], shallow: frozenset[str] = frozenset()) -> set[str]:
    """`modules`, every `lmlab` module they import transitively, and their packages. Of the
    `shallow` modules (a family's CLI, whose functions are the other stages' handlers) only the
    module-level imports are followed."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_module_imports(module, module in shallow))
    return seen


def handler(family: str, stage: str):
    """The function `lmlab <family> <stage>` calls."""
    from lmlab.cli import FAMILIES

    parser = argparse.ArgumentParser()
    importlib.import_module(FAMILIES[family][0]).register(parser)
    for action in parser._subparsers._group_actions:  # argparse keeps sub-parsers only here
        if stage in action.choices:
            return action.choices[stage].get_default("func")
    raise KeyError(f"lmlab {family} has no stage {stage!r}")


def stage_modules(family: str, stage: str) -> set[str]:
    """The modules `lmlab <family> <stage>` runs: the entry modules and the handler's imports,
    closed over their own imports."""
    from lmlab.cli import FAMILIES

    function = handler(family, stage)
    body = ast.parse(textwrap.dedent(inspect.getsource(function)))
    family_cli = FAMILIES[family][0]
    entry = {f"{PACKAGE}.__main__", f"{PACKAGE}.cli", family_cli}
    return closure(entry | imported_modules(body, function.__module__), frozenset({family_cli}))


def stage_code(family: str, stage: str, root: str | Path = SRC.parent) -> list[str]:
    """`stage_modules` as sorted file paths relative to `root` (the repository)."""
    files = {module_file(m).relative_to(Path(root).resolve()) for m in stage_modules(family, stage)}
    return sorted(str(f) for f in files)


@functools.cache
def stage_digest(family: str, stage: str, root: str | Path = SRC.parent) -> str:
    """sha256 over the path and bytes of every file of `stage_code` (what the rules declare as
    their `code` param: it changes exactly when the code the stage runs changes)."""
    digest = hashlib.sha256()
    for name in stage_code(family, stage, root):
        digest.update(name.encode() + b"\0" + (Path(root) / name).read_bytes() + b"\0")
    return digest.hexdigest()
