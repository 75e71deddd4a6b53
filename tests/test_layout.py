"""The shape of the repository: root layout, module docstrings, and the one-way data flow."""
import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_ROOT = {"pyproject.toml", "README.md", "Makefile", ".gitignore", ".ci",
                "crawler", "classifiers", "alerts", "config", "tests", "store", "saigawatch",
                "demo_marketplace"}
PRODUCTION = ["saigawatch", "store", "crawler", "classifiers", "alerts", "config"]
PACKAGES = PRODUCTION + ["demo_marketplace"]


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def _modules():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations/versions" not in path.as_posix():
                yield path


def test_root_holds_only_the_layout():
    top = {p.split("/")[0] for p in _tracked()}
    assert top <= ALLOWED_ROOT, f"unexpected top-level entries: {sorted(top - ALLOWED_ROOT)}"


def test_every_module_has_a_docstring():
    missing = [str(p.relative_to(ROOT)) for p in _modules()
               if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert not missing, f"modules without a docstring: {missing}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_classifiers_is_a_pure_library():
    for path in (ROOT / "classifiers").rglob("*.py"):
        bad = _imports(path) & {"crawler", "alerts", "store", "saigawatch", "config", "starlette", "scrapy"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_data_flows_one_way():
    # earlier stages never import later ones
    later = {"crawler": {"alerts", "saigawatch"}, "store": {"crawler", "classifiers", "alerts", "saigawatch"},
             "config": {"crawler", "classifiers", "alerts", "saigawatch", "store"}}
    for pkg, forbidden in later.items():
        for path in (ROOT / pkg).rglob("*.py"):
            bad = _imports(path) & forbidden
            assert not bad, f"{path.relative_to(ROOT)} imports later stage(s) {bad}"


def _full_imports(path: Path) -> set[str]:
    """Absolute module names imported by `path` (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_production_never_imports_the_demo():
    for pkg in PRODUCTION:
        for path in (ROOT / pkg).rglob("*.py"):
            bad = {n for n in _full_imports(path) if n.split(".")[0] == "demo_marketplace"}
            assert not bad, f"{path.relative_to(ROOT)} imports the demo marketplace: {sorted(bad)}"


def test_domain_code_never_imports_the_web_app():
    for path in _modules():
        name = _module_name(path)
        if name.startswith(("alerts.web", "saigawatch.commands.serve", "demo_marketplace")):
            continue
        bad = {n for n in _full_imports(path) if n == "alerts.web" or n.startswith("alerts.web.")}
        assert not bad, f"{path.relative_to(ROOT)} imports the web app: {sorted(bad)}"


def test_no_import_cycles():
    modules = {_module_name(p): p for p in _modules()}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _full_imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_tests_follow_one_naming_convention():
    odd = [p for p in _tracked() if p.startswith("tests/") and p.endswith("_test.py")]
    assert not odd, f"tests named *_test.py (use test_*.py): {odd}"
