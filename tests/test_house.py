"""The house: stages import one way, rooms are entered through their doors, no circle.

Reads the import graph of edi/, matching/, ledger/, web/ and cli.py from source (every
import statement, also those inside functions) and checks:

- a module imports only its own unit or a unit on a lower floor (`FLOORS`); rooms on
  the same floor do not import each other;
- outside a ledger room, the room is reached only through its package (`ledger.store`,
  never `ledger.store.unit`); inside a room, siblings are imported directly, never
  through the room's own package;
- the module graph has no circle.

`test_planted_*` plant a back-import and a circle into a copy of the tree and check
that the same checker reports them, so the rules cannot pass by reading nothing.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("edi", "matching", "ledger", "web", "cli.py")
ROOMS = ("store", "fullfile", "billing", "desk", "drops", "clients")

# unit -> floor: a unit imports only its own unit or lower floors.
FLOORS = {
    "edi": 0,
    "matching": 1,
    "ledger.config_sources": 0,  # where the configuration comes from; imports nothing
    "ledger": 2,  # ledger/__init__.py only
    "ledger.settings": 2,  # configuration: imports nothing of the ledger
    "ledger.pipeline": 2,  # edi's reader in a second process; imports edi only
    "ledger.store": 3,
    "ledger.fullfile": 4,
    "ledger.billing": 4,  # on ledger.store only
    "ledger.desk": 5,
    "ledger.verdicts": 6,  # one verdict for acknowledgments and the ledger
    "ledger.ingest": 7,
    "ledger.drops": 8,
    "ledger.clients": 9,  # client accounts, online submissions, uploads (through drops)
    "web": 10,
    "cli": 11,  # serve: the command line starts the web face
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "ledger" and len(parts) > 1:
        return "ledger." + parts[1] if parts[1] in ROOMS or len(parts) == 2 else module
    return parts[0]


def read_graph(root: Path) -> dict[str, list[tuple[str, int, bool]]]:
    """module -> [(imported module, line, named through its package)] for project modules."""
    files: list[Path] = []
    for top in TOPS:
        p = root / top
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files.extend(q for q in p.rglob("*.py") if "migrations" not in q.parts)
    modules = {_module_name(f, root): f for f in files}
    packages = {m for m, f in modules.items() if f.name == "__init__.py"}
    graph: dict[str, list[tuple[str, int, bool]]] = {}
    for mod, f in modules.items():
        edges: list[tuple[str, int, bool]] = []
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges += [(a.name, node.lineno, False) for a in node.names if a.name in modules]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module not in modules:
                    continue
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    if sub in modules:  # a submodule named by its package
                        edges.append((sub, node.lineno, node.module in packages))
                    else:
                        edges.append((node.module, node.lineno, node.module in packages))
        graph[mod] = edges
    return graph


def violations(root: Path) -> list[str]:
    """Every broken rule of the house in the tree at `root`, as readable lines."""
    graph = read_graph(root)
    out: list[str] = []
    for mod, edges in graph.items():
        mine = _unit(mod)
        for target, line, via_package in edges:
            theirs = _unit(target)
            where = f"{mod}:{line} imports {target}"
            if theirs != mine and FLOORS[theirs] >= FLOORS[mine]:
                out.append(f"{where}: {theirs} is not below {mine}")
            room = theirs.split(".")[1] if theirs.startswith("ledger.") else ""
            if room in ROOMS and theirs != mine and not via_package and mod != theirs:
                out.append(f"{where}: enter {theirs} through its package")
            if room in ROOMS and theirs == mine and target == theirs and mod != theirs:
                out.append(f"{where}: inside {theirs} import the sibling module, not the package")
    out += [f"import circle: {' -> '.join(c)}" for c in _circles(graph)]
    return out


def _circles(graph: dict[str, list[tuple[str, int, bool]]]) -> list[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for target, _, _ in graph.get(m, []):
            if state.get(target) == 1:
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def test_the_house_keeps_its_rules() -> None:
    assert violations(ROOT) == []


def test_every_room_has_a_readme_and_a_door() -> None:
    for room in ROOMS:
        assert (ROOT / "ledger" / room / "README.md").is_file(), room
        init = (ROOT / "ledger" / room / "__init__.py").read_text(encoding="utf-8")
        assert "__all__" in init, room


def _copy(tmp_path: Path) -> Path:
    for top in TOPS:
        src = ROOT / top
        if src.is_file():
            shutil.copy(src, tmp_path / top)
        elif src.is_dir():
            shutil.copytree(src, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _plant(path: Path, line: str) -> None:
    path.write_text(line + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_planted_back_import_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root / "ledger" / "store" / "db.py", "from ledger.drops import run_drop")
    _plant(root / "edi" / "records.py", "from matching.decisions import Decision")
    found = violations(root)
    assert any("ledger.store.db" in v and "ledger.drops is not below" in v for v in found)
    assert any("edi.records" in v and "matching is not below edi" in v for v in found)


def test_planted_side_door_and_circle_are_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _plant(root / "ledger" / "ingest.py", "from ledger.desk.review import resolve")
    _plant(root / "ledger" / "fullfile" / "runs.py", "from ledger.fullfile.files import reconcile_file")
    found = violations(root)
    assert any("ledger.ingest" in v and "through its package" in v for v in found)
    assert any(v.startswith("import circle:") and "ledger.fullfile.runs" in v for v in found)
