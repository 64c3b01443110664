"""The code's static checks, as CI runs them: mypy --strict on the whole package (and on the
tests' support code), ruff's lint and format. A test, so that "strict passes" and "ruff
clean" hold on every run rather than when someone remembers to look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The tests' shared support code, checked as strictly as the package.
SUPPORT = [
    "tests/conftest.py",
    "tests/serial_pass.py",
    "tests/tui/conftest.py",
    "tests/tui/list_support.py",
    "tests/shared",
]

pytestmark = pytest.mark.slow  # ~10 s of mypy: started first, beside the rest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_mypy_strict_passes_on_the_package_and_the_tests_support_code() -> None:
    package = run("mypy")  # [tool.mypy] in pyproject.toml: strict, packages = agent_console
    assert package.returncode == 0, package.stdout + package.stderr
    support = run("mypy", "--strict", *SUPPORT)
    assert support.returncode == 0, support.stdout + support.stderr


def test_ruff_lint_and_format_are_clean() -> None:
    lint = run("ruff", "check", "src", "tests", "bench", "scripts")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", "src", "tests", "bench", "scripts")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
