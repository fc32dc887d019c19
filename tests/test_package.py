"""The package surface: a sorted, honest __all__, a light import and no import cycles."""

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import tierwise

SRC = Path(__file__).resolve().parent.parent / "src"


def test_all_is_sorted_and_resolvable() -> None:
    names = [n for n in tierwise.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in tierwise.__all__:
        assert getattr(tierwise, name) is not None


def test_every_public_error_is_exported() -> None:
    # ClientClosedError was raised to users but missing from tierwise.errors.__all__, so
    # `from tierwise.errors import *` and the API docs left it out.
    import inspect

    import tierwise.errors as errors

    defined = [
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
        and not name.startswith("_")
    ]
    assert sorted(set(defined) - set(errors.__all__)) == []
    assert errors.__all__ == sorted(errors.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, tierwise; "
        "heavy = [m for m in ('boto3', 'botocore', 'starlette', 'fastapi', 'uvicorn', 'numpy')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _run_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is loaded: not those under ``if TYPE_CHECKING:``
    nor inside functions (the way a lazy import deliberately breaks a cycle)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            test = node.test
            guarded = isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            guarded |= isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
            if not guarded:
                yield from _run_time_imports(node.body)
            yield from _run_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _run_time_imports(block)


def _import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Each module of ``package`` under ``src`` and the package's modules it imports on load
    (``from a import b`` needs a.b when b is a module, else a's own names)."""
    files: dict[str, Path] = {}
    for path in (src / package).rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
        wanted: set[str] = set()
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                wanted.update(alias.name for alias in node.names)
                continue
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                wanted.add(sub if sub in files else module)
        graph[name] = {m for m in wanted if m in files and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_check_sees_a_cycle_and_only_imports_run_on_load(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub import c\n")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("from .sub.c import thing\n")
    (package / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import pkg.a\n"
        "if TYPE_CHECKING:\n    from pkg import d\n"
        "def later():\n    from pkg import d\n"
        "thing = 1\n"
    )
    (package / "d.py").write_text("import pkg.sub.c\n")
    assert _cycles(_import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.sub.c"]]


def test_tierwise_has_no_import_cycles() -> None:
    # A module-level import cycle works or breaks by which module is imported first; lazy
    # imports inside functions are how a needed back-reference is written instead.
    graph = _import_graph(SRC, "tierwise")
    assert len(graph) > 100  # the walk found the package
    assert _cycles(graph) == []


def test_no_docstring_says_its_opening_twice() -> None:
    # A docstring whose later paragraph opens with the same words as its first (QA found
    # CacheRouter.placed_choice saying "The cache-aware choice ..." twice) was two drafts
    # pasted together: the reader cannot tell which one is current.
    repeated = []
    for path in sorted((SRC / "tierwise").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(
                node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            ):
                continue
            doc = ast.get_docstring(node)
            if not doc:
                continue
            paragraphs = [re.findall(r"\w+", p.lower()) for p in doc.split("\n\n")]
            opening = paragraphs[0][:4]
            if len(opening) == 4 and any(p[:4] == opening for p in paragraphs[1:]):
                repeated.append(f"{path.relative_to(SRC)}: {getattr(node, 'name', '<module>')}")
    assert repeated == []


def _installed_with(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` install (theirs too, extras followed), by
    normalised name, as found in this environment."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[tuple[str, str]] = set()  # (distribution, extra) already followed
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        for wanted in ("", *sorted(req.extras)):
            if (canonicalize_name(req.name), wanted) in seen:
                continue
            seen.add((canonicalize_name(req.name), wanted))
            try:
                needs = metadata.requires(req.name) or []
            except metadata.PackageNotFoundError:
                needs = []
            todo.extend((Requirement(r), wanted) for r in needs)
    return {name for name, _ in seen}


def test_every_import_run_on_load_is_a_dependency_of_the_plain_install() -> None:
    # `pip install .` then `tierwise serve --emulate` failed with "unexpected
    # ModuleNotFoundError: No module named 'httpx'": the gateway imported httpx (for
    # remote images) on load, and only the dev extra installed it.
    import tomllib
    from importlib import metadata

    from packaging.utils import canonicalize_name

    project = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    installed = _installed_with(project["project"]["dependencies"])
    owners = metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in (SRC / "tierwise").rglob("*.py"):
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.ImportFrom) and (node.level or node.module is None):
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                top = str(name).partition(".")[0]
                if top in sys.stdlib_module_names or top in ("tierwise", "__future__"):
                    continue
                dists = {canonicalize_name(d) for d in owners.get(top, [top])}
                if not dists & installed:
                    missing.setdefault(top, []).append(str(path.relative_to(SRC)))
    assert missing == {}
