"""The shape of the repository: root layout, module docstrings, and the one-way data flow."""
import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_ROOT = {"pyproject.toml", "README.md", "Makefile", ".gitignore", ".ci",
                "crawler", "classifiers", "alerts", "config", "tests", "store", "saigawatch"}
PACKAGES = ["saigawatch", "store", "crawler", "classifiers", "alerts", "config"]


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
