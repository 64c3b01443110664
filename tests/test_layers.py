"""The layers point one way (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


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
