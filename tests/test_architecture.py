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
