"""The unit tests mirror gallery/: every module with logic has ``tests/unit/<package>/test_<module>.py``,
and every unit test file mirrors a module.

``gallery/photos/order.py`` → ``tests/unit/photos/test_order.py``; ``gallery/app.py`` →
``tests/unit/test_app.py``; a package's ``__init__.py`` is the module named by its folder
(``gallery/api/schemas/__init__.py`` → ``tests/unit/api/test_schemas.py``).  Migrations and translations
are aside.  A module "has logic" when it defines a function or a class with a method; one holding only
a Blueprint object, constants, dataclass fields or re-exports (a lazy module ``__getattr__`` included)
has none.  Scenario suites (HTTP flows, browser, faults, corpus) live outside ``tests/unit/``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gallery"
UNIT = ROOT / "tests" / "unit"
#: Not modules of gallery/: data and generated code.
ASIDE = ("migrations", "translations")
#: Functions that only re-export (PEP 562's lazy module attributes): not logic.
RE_EXPORT_FUNCTIONS = {"__getattr__", "__dir__"}
#: Unit test files about gallery/ as a whole rather than one module.
WHOLE_TREE = {UNIT / "test_architecture.py", UNIT / "test_tree.py"}


def modules() -> list[Path]:
    """Every Python module of gallery/ (relative to it), migrations and translations aside."""
    return sorted(
        path.relative_to(PACKAGE) for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in ASIDE
    )


def has_logic(source: str) -> bool:
    """A function anywhere (a method is a function in a class), other than a lazy re-export."""
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name not in RE_EXPORT_FUNCTIONS
        for node in ast.walk(ast.parse(source))
    )


def mirror(module: Path) -> Path:
    """The unit test file of a module of gallery/ (given relative to gallery/)."""
    if module.name == "__init__.py":
        if module.parent == Path():
            return UNIT / "test_gallery.py"
        return UNIT / module.parent.parent / f"test_{module.parent.name}.py"
    return UNIT / module.parent / f"test_{module.stem}.py"


def mirrored_module(test_file: Path) -> Path | None:
    """The module of gallery/ that a unit test file mirrors, or None when there is none."""
    relative = test_file.relative_to(UNIT)
    name = relative.name.removeprefix("test_").removesuffix(".py")
    if relative == Path("test_gallery.py"):
        return Path("__init__.py")
    for candidate in (relative.parent / f"{name}.py", relative.parent / name / "__init__.py"):
        if (PACKAGE / candidate).is_file():
            return candidate
    return None


def modules_with_logic() -> list[Path]:
    return [module for module in modules() if has_logic((PACKAGE / module).read_text(encoding="utf-8"))]


def test_every_module_with_logic_has_its_unit_test_file() -> None:
    missing = [
        f"gallery/{module} → {mirror(module).relative_to(ROOT)}"
        for module in modules_with_logic()
        if not mirror(module).is_file()
    ]
    assert not missing, f"{len(missing)} modules with logic have no unit test file:\n" + "\n".join(missing)


def test_every_unit_test_file_mirrors_a_module() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path in sorted(UNIT.rglob("test_*.py"))
        if path not in WHOLE_TREE and mirrored_module(path) is None
    ]
    assert not stale, "unit test files that mirror no module of gallery/ (moved or removed?):\n" + "\n".join(stale)


def test_every_unit_test_folder_mirrors_a_package() -> None:
    stale = [
        str(folder.relative_to(ROOT))
        for folder in sorted(UNIT.rglob("*"))
        if folder.is_dir() and folder.name != "__pycache__" and not (PACKAGE / folder.relative_to(UNIT)).is_dir()
    ]
    assert not stale, "unit test folders that mirror no package of gallery/:\n" + "\n".join(stale)


# --- the rules above, on small trees -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f() -> None:\n    pass\n", True),
        ("async def f() -> None:\n    pass\n", True),
        ("class C:\n    def m(self) -> int:\n        return 1\n", True),
        ("if True:\n    def f() -> None:\n        pass\n", True),
        ("from flask import Blueprint\n\nbp = Blueprint('web', __name__)\n", False),
        ("LIMIT = 3\nNAMES = ('a', 'b')\n", False),
        ("from gallery.web import pages\n\n__all__ = ['pages']\n", False),
        ("from dataclasses import dataclass\n\n@dataclass\nclass Row:\n    id: int\n", False),
        ('"""Docstring only."""\n', False),
        ("def __getattr__(name: str) -> object:\n    raise AttributeError(name)\n", False),
    ],
)
def test_has_logic(source: str, expected: bool) -> None:
    assert has_logic(source) is expected


@pytest.mark.parametrize(
    ("module", "test_file"),
    [
        ("photos/order.py", "photos/test_order.py"),
        ("app.py", "test_app.py"),
        ("config/settings.py", "config/test_settings.py"),
        ("http/render.py", "http/test_render.py"),
        ("archive/bagit/format.py", "archive/bagit/test_format.py"),
        ("api/schemas/__init__.py", "api/test_schemas.py"),
        ("storage/__init__.py", "test_storage.py"),
        ("__init__.py", "test_gallery.py"),
    ],
)
def test_mirror(module: str, test_file: str) -> None:
    assert mirror(Path(module)) == UNIT / test_file


@pytest.mark.parametrize(
    ("test_file", "module"),
    [
        ("photos/test_order.py", "photos/order.py"),
        ("test_app.py", "app.py"),
        ("config/test_settings.py", "config/settings.py"),
        ("archive/bagit/test_format.py", "archive/bagit/format.py"),
        ("api/test_schemas.py", "api/schemas/__init__.py"),
        ("test_gallery.py", "__init__.py"),
        ("photos/test_nothing_by_this_name.py", None),
        ("test_order.py", None),  # order.py is in photos/, not at the top
    ],
)
def test_mirrored_module(test_file: str, module: str | None) -> None:
    assert mirrored_module(UNIT / test_file) == (Path(module) if module else None)


def test_the_real_tree_has_modules_with_and_without_logic() -> None:
    found = set(modules_with_logic())
    assert Path("photos/order.py") in found and Path("config/settings.py") in found
    assert Path("web/blueprint.py") not in found  # a Blueprint object only
    assert Path("web/__init__.py") not in found  # re-exports only
    assert not any(module.parts[0] in ASIDE for module in modules())
