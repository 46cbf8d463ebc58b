"""The code's shape: blueprints wired the Flask way, no import cycles, no app state in services."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wishboard"
BLUEPRINTS = (
    "public",
    "auth",
    "resident",
    "landlord",
    "moderation",
    "admin",
    "api",
    "projects",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The wishboard modules `path` imports at its top level (a name imported from a package
    counts as its module when there is one)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {name for name in found if name == "wishboard" or name.startswith("wishboard.")}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def test_no_module_imports_one_that_imports_it_back():
    # A package importing its view modules, which take `bp` from it, is the Flask way: a module
    # importing one of its own parent packages is left out of the graph.
    graph = {
        name: {
            target
            for target in imports_of(path)
            if target in MODULES and not name.startswith(f"{target}.") and target != name
        }
        for name, path in MODULES.items()
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_blueprint_package_defines_bp_and_imports_no_other_blueprint(blueprint: str):
    others = {f"wishboard.{other}" for other in BLUEPRINTS if other != blueprint}
    package = PACKAGE / blueprint
    crossing = {
        f"{path.name} imports {target}"
        for path in package.glob("*.py")
        for target in imports_of(path)
        if any(target == other or target.startswith(f"{other}.") for other in others)
    }
    assert crossing == set()
    init = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in init.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "bp" in assigned, f"wishboard/{blueprint}/__init__.py defines no bp"


def third_party_imports() -> list[str]:
    """The top-level packages outside wishboard that its modules import."""
    names = set()
    for path in MODULES.values():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.partition(".")[0])
    return sorted(names - {"wishboard", "__future__"})


# Imports the libraries once, then each blueprint package in a child process of its own (a fork):
# each child starts with no wishboard module loaded, as a fresh interpreter would, without paying
# again for Flask, SQLAlchemy and folium (a second each). Prints what each child found.
IMPORT_EACH_ALONE = """
import importlib, json, os, sys, traceback
for library in sys.argv[2:]:
    try:
        importlib.import_module(library)
    except ImportError:
        pass
assert not any(name.startswith("wishboard") for name in sys.modules)
found = {}
for blueprint in sys.argv[1].split(","):
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        try:
            package = importlib.import_module("wishboard." + blueprint)
            answer = {"routes": len(package.bp.deferred_functions)}
        except BaseException:
            answer = {"error": traceback.format_exc()}
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(answer))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        found[blueprint] = json.loads(pipe.read() or '{"error": "the child died"}')
    os.waitpid(child, 0)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def imported_alone() -> dict[str, dict]:
    """What importing each blueprint package alone gave: its number of routes, or the error."""
    finished = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_ALONE, ",".join(BLUEPRINTS), *third_party_imports()],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_blueprint_package_imports_alone(blueprint: str, imported_alone: dict[str, dict]):
    answer = imported_alone[blueprint]
    assert "error" not in answer, answer.get("error")
    assert answer["routes"] > 0, f"wishboard.{blueprint} imported no routes into its bp"


def test_no_service_reads_the_running_app():
    # Services get their settings handed to them (wishboard/settings.py), never from the app.
    reading = set()
    for name, path in MODULES.items():
        if not name.startswith("wishboard.services"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                if {alias.name for alias in node.names} & {"current_app", "request"}:
                    reading.add(name)
    assert reading == set()
