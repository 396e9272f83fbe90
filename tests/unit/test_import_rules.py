"""The house's import rules (pyproject.toml, [tool.importlinter]), checked by import-linter:
services never import each other, services.common imports no service, the gateway imports no
service code, and a service's use cases never import its entrypoint module (service.py). What
two services share lives in services/common/contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_rules_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
