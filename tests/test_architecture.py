"""The import contracts catch a layer violation, not only pass on a clean tree."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def tree_copy(tmp_path):
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    shutil.copy(ROOT / "config.py", tmp_path / "config.py")
    return tmp_path


def test_the_tree_keeps_every_contract(tree_copy):
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("app/brokers/leaky.py", "from app.models import User\n", "know nothing of Flask, the database or models BROKEN"),
        ("app/web/auth/leaky.py", "import app.brokers\n", "reach brokers and checks only through services BROKEN"),
        ("app/domain/leaky.py", "import app.services.users\n", "BROKEN"),
    ],
)
def test_a_forbidden_import_breaks_the_build(tree_copy, module, source, broken):
    (tree_copy / module).write_text(source)
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert broken in " ".join(result.stdout.split())


BROKER_ACTIONS = {"place_order", "cancel_order"}
ALLOWED = ("app/services/order_pipeline.py", "app/brokers/")


def callers_of_broker_actions(root: Path) -> list[str]:
    """Every place outside the pipeline and the adapters themselves that calls place_order or cancel_order."""
    import ast

    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).as_posix()
        if relative.startswith(ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in BROKER_ACTIONS:
                found.append(f"{relative}:{node.lineno}")
    return found


def test_only_the_order_pipeline_places_or_cancels_orders():
    assert callers_of_broker_actions(ROOT / "app") == []


def test_the_scan_finds_a_broker_call_from_anywhere_else(tree_copy):
    (tree_copy / "app" / "services" / "shortcut.py").write_text(
        "def sneak(adapter, request):\n    return adapter.place_order(request, 'x')\n"
    )
    assert callers_of_broker_actions(tree_copy / "app") == ["app/services/shortcut.py:2"]
