"""``scripts/pg_throwaway.py`` as a module (the scripts folder is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_throwaway.py"


def load_pg_throwaway() -> Any:
    spec = importlib.util.spec_from_file_location("pg_throwaway", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pg_throwaway", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
