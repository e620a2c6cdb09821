"""Everything the running app imports is pinned in requirements.txt, not only present in the dev tools."""
import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert "==" in line, f"unpinned requirement: {line}"
            names.add(_normal(line.split("==", 1)[0]))
    return names


def _imported_top_level_modules() -> set[str]:
    modules = set()
    files = [ROOT / "config.py", ROOT / "wsgi.py", *(ROOT / "app").rglob("*.py"), *(ROOT / "migrations").rglob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"app", "config", "__future__"}


def test_every_third_party_import_of_the_app_is_pinned():
    distributions = importlib.metadata.packages_distributions()
    pinned = _pinned()
    missing = {
        module: distributions.get(module)
        for module in _imported_top_level_modules()
        if not any(_normal(d) in pinned for d in distributions.get(module, [module]))
    }
    assert missing == {}, f"imported by the app but not pinned in requirements.txt: {missing}"
