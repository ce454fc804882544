"""The layering of gallery/, checked on the source: no import cycles, and no domain module that
reaches a view package or Flask's request globals.

Every import counts, including those inside functions (they run too, just later); only imports
under ``if TYPE_CHECKING:`` are exempt.  Failures name the offending chain of modules, with the
line of each import."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gallery"

#: Domain packages (and modules): what the rules are made of.
DOMAIN = (
    "core",
    "config",
    "accounts",
    "catalog",
    "photos",
    "reports",
    "archive",
    "media",
    "storage",
    "consent",
    "schedule",
    "search",
    "uploads",
    "demo",
)
#: View packages: parse input, call the domain, render.  ``http`` is what they share.
VIEWS = ("web", "manage", "api", "embed", "cli", "http")
#: Process entry points and wiring: they import everything, so nothing below them may import them.
ENTRY_POINTS = ("app", "console", "worker")
#: Flask's request globals (and Flask-Login's): only views may touch them.
REQUEST_GLOBALS = {
    "flask": {"request", "url_for", "current_app", "g", "session"},
    "flask.globals": {"request", "current_app", "g", "session"},
    "flask.helpers": {"url_for"},
    "flask_login": {"current_user"},
}


@dataclass(frozen=True)
class Import:
    target: str  # the imported module (a ``gallery`` module when ``internal``)
    names: tuple[str, ...]  # what ``from target import ...`` takes; () for ``import target``
    line: int


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                exempt.update(id(n) for n in ast.walk(child))
    return exempt


def imports_in(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import statement of ``source`` (the module ``module``), anywhere in it, with relative
    imports made absolute, and every ``flask.request``-style use of a request global; those under
    ``if TYPE_CHECKING:`` left out."""
    tree = ast.parse(source)
    exempt = _type_checking_nodes(tree)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, (), node.lineno) for alias in node.names)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in REQUEST_GLOBALS
            and node.attr in REQUEST_GLOBALS[node.value.id]
        ):
            found.append(Import(node.value.id, (node.attr,), node.lineno))  # import flask; flask.request
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append(Import(base, tuple(alias.name for alias in node.names), node.lineno))
    return found


def module_files(root: Path = PACKAGE) -> dict[str, Path]:
    """``gallery.x.y`` → its file, for every module of the package (migrations aside)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        if "migrations" in relative.parts or "__pycache__" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


def _nearest_module(name: str, modules: Iterable[str]) -> str | None:
    known = set(modules)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> tuple[dict[str, dict[str, int]], dict[str, list[Import]]]:
    """The module graph of ``gallery`` (``module → {imported module: line}``) and every module's
    imports as written."""
    graph: dict[str, dict[str, int]] = {}
    written: dict[str, list[Import]] = {}
    for name, path in modules.items():
        found = imports_in(path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py")
        written[name] = found
        edges: dict[str, int] = {}
        for item in found:
            candidates = [f"{item.target}.{n}" for n in item.names] or [item.target]
            for candidate in candidates:
                target = _nearest_module(candidate, modules)
                if target is not None and target != name:
                    edges.setdefault(target, item.line)
        graph[name] = edges
    return graph, written


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) through every strongly connected component of the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return [_cycle_through(sorted(c)[0], c, graph) for c in components]


def _cycle_through(start: str, component: set[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """The shortest cycle from ``start`` back to it inside ``component``."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in graph[node]:
                if child not in component:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")  # pragma: no cover (a component has one)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def request_globals(found: Iterable[Import]) -> list[str]:
    """``flask.request`` and the like that these imports take, with their lines."""
    taken: list[str] = []
    for item in found:
        forbidden = REQUEST_GLOBALS.get(item.target, set())
        taken.extend(f"{item.target}.{name} (line {item.line})" for name in item.names if name in forbidden)
    return taken


def layering_violations(graph: dict[str, dict[str, int]], written: dict[str, list[Import]]) -> list[str]:
    """Domain modules that import a view package, an entry point, or Flask's request globals, also
    through other modules (the chain is shown)."""

    def is_domain(module: str) -> bool:
        return _top(module) in DOMAIN

    def why_forbidden(module: str) -> str | None:
        if _top(module) in VIEWS:
            return "is a view package"
        if _top(module) in ENTRY_POINTS:
            return "is an entry point"
        taken = request_globals(written.get(module, []))
        if taken:
            return "takes " + ", ".join(taken)
        return None

    problems: list[str] = []
    for module in sorted(m for m in graph if is_domain(m)):
        taken = request_globals(written[module])
        if taken:
            problems.append(f"{module} takes " + ", ".join(taken))
        # The shortest chain from the module to anything forbidden, through modules outside the
        # domain packages (a domain module on the way is checked on its own).
        previous: dict[str, str] = {module: module}
        frontier = [module]
        found: str | None = None
        while frontier and found is None:
            following: list[str] = []
            for node in frontier:
                for child in sorted(graph[node]):
                    if child in previous or is_domain(child):
                        continue
                    previous[child] = node
                    if why_forbidden(child):
                        found = child
                        break
                    following.append(child)
                if found:
                    break
            frontier = following
        if found is not None:
            chain = [found]
            while chain[-1] != module:
                chain.append(previous[chain[-1]])
            steps = list(reversed(chain))
            shown = " -> ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(steps)) + f" -> {found}"
            problems.append(f"{shown}: {found} {why_forbidden(found)}")
    return problems


# --- the rules --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gallery_graph() -> tuple[dict[str, dict[str, int]], dict[str, list[Import]]]:
    return import_graph(module_files())


def test_gallery_has_no_import_cycle(gallery_graph: tuple[dict[str, dict[str, int]], dict[str, list[Import]]]) -> None:
    graph, _ = gallery_graph
    found = cycles(graph)
    shown = [" -> ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(c)) + f" -> {c[-1]}" for c in found]
    assert not found, "import cycles:\n" + "\n".join(shown)


def test_domain_packages_reach_no_view_package_and_no_request_global(
    gallery_graph: tuple[dict[str, dict[str, int]], dict[str, list[Import]]],
) -> None:
    graph, written = gallery_graph
    problems = layering_violations(graph, written)
    assert not problems, "domain modules above their layer:\n" + "\n".join(problems)


# --- the checker itself -----------------------------------------------------------------------------


def test_imports_inside_functions_count_and_type_checking_ones_do_not() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import gallery.models\n"
        "if TYPE_CHECKING:\n"
        "    from gallery.web import pages\n"
        "def f():\n"
        "    from gallery.cli import group\n"
        "    from . import sibling\n"
        "    from ..core import errors\n"
        "    return flask.url_for('x')\n"
    )
    found = imports_in(source, "gallery.photos.order")
    assert [(i.target, i.names) for i in found] == [
        ("typing", ("TYPE_CHECKING",)),
        ("gallery.models", ()),
        ("gallery.cli", ("group",)),
        ("gallery.photos", ("sibling",)),
        ("gallery.core", ("errors",)),
        ("flask", ("url_for",)),
    ]


def _graph(edges: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    return {node: dict.fromkeys(targets, 1) for node, targets in edges.items()}


def test_a_cycle_is_reported_as_its_chain() -> None:
    graph = _graph(
        {"gallery.a": ["gallery.b"], "gallery.b": ["gallery.c"], "gallery.c": ["gallery.a"], "gallery.d": ["gallery.a"]}
    )
    assert cycles(graph) == [["gallery.a", "gallery.b", "gallery.c", "gallery.a"]]
    assert cycles(_graph({"gallery.a": ["gallery.b"], "gallery.b": []})) == []


def test_a_domain_module_reaching_a_view_through_another_module_is_reported_with_the_chain() -> None:
    graph = _graph(
        {
            "gallery.photos.batch": ["gallery.tasks"],
            "gallery.tasks": ["gallery.http.context"],
            "gallery.http.context": [],
            "gallery.catalog.visibility": ["gallery.models"],
            "gallery.models": [],
        }
    )
    written = {
        "gallery.photos.batch": [],
        "gallery.tasks": [],
        "gallery.http.context": [Import("flask", ("current_app",), 3)],
        "gallery.catalog.visibility": [Import("flask", ("request",), 7)],
        "gallery.models": [],
    }
    assert layering_violations(graph, written) == [
        "gallery.catalog.visibility takes flask.request (line 7)",
        "gallery.photos.batch (line 1) -> gallery.tasks (line 1) -> gallery.http.context: "
        "gallery.http.context is a view package",
    ]
