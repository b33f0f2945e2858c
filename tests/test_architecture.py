"""The arrows of docs/architecture.md hold: import-linter's contracts pass, and a wrong import breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("charterdesk", "bot", "scheduler", "sandbox", "web", "conversation", "nlu", "desk", "infra")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the tree at `root`, its packages first on the path."""
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=300,
    )


def copy_of_the_tree(destination: Path) -> Path:
    """The packages and pyproject.toml, Python files only, so a test may break them."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.yml", "*.html", "*.js", "*.css", "static"))
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def test_every_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("desk/outbox.py", "import telegram", "know no channel"),
    ("desk/tickets/service.py", "import conversation.turns", "Layers"),
    ("conversation/turns.py", "import bot.transport", "Layers"),
    ("infra/database.py", "import desk.audit", "Layers"),
    ("scheduler/sweeps.py", "import bot.inbox", "independent"),
    ("bot/app.py", "import charterdesk.cli", "Layers"),
    ("web/app.py", "import bot.transport", "independent"),
    ("bot/citizen.py", "import web.feed", "independent"),
    ("conversation/turns.py", "import web.feed", "Layers"),
])
def test_a_forbidden_import_fails_the_check(tmp_path, module, line, contract):
    tree = copy_of_the_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # the wrong arrow\n", encoding="utf-8")
    result = lint_imports(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken and module.removesuffix(".py").replace("/", ".") in broken
