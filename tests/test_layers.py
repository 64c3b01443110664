"""The layers point one way (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout


NO_DEMO = "The product never imports the demo: only the CLI, the composition root, does"


def _lint_copy(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    """import-linter on a copy of the package in which ``module`` (a path under
    src/agent_console) has ``line`` added at its end."""
    shutil.copytree(
        ROOT / "src" / "agent_console",
        tmp_path / "src" / "agent_console",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "agent_console" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    return subprocess.run(
        [str(lint), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("services/listing.py", "from ..demo import seed as _seed"),
        ("tui/app.py", "from ..demo.tour import TourPlayer as _TourPlayer"),
        ("gateway/app.py", "import agent_console.demo.world"),
    ],
    ids=["services", "tui", "gateway"],
)
def test_a_product_module_importing_the_demo_breaks_a_contract(
    tmp_path: Path, module: str, line: str
) -> None:
    result = _lint_copy(tmp_path, module, line)
    assert result.returncode != 0, result.stdout + result.stderr
    assert f"{NO_DEMO} BROKEN" in result.stdout
    assert "agent_console.demo" in result.stdout.split("Broken contracts")[-1]


def test_the_cli_may_import_the_demo(tmp_path: Path) -> None:
    """The composition root is the one place the demo is wired in (``seed`` at import)."""
    result = _lint_copy(tmp_path, "cli/ops.py", "from ..demo.seed import seed as _seed")
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_do_not_import_textual() -> None:
    code = (
        "import sys, agent_console.services.runtime, agent_console.services.bulk, "
        "agent_console.services.presence, agent_console.services.automation; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_domain_imports_no_sqlalchemy() -> None:
    code = (
        "import sys, agent_console.domain.ending, agent_console.domain.policy; "
        "print(any(m in sys.modules for m in ('sqlalchemy', 'textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_gateway_does_not_import_textual() -> None:
    code = (
        "import sys, agent_console.gateway.app, agent_console.gateway.server; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
