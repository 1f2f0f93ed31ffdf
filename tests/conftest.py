"""Shared test fixtures. Keep this small: fixtures used by one test module live in it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # test helpers (badinputs, ...) import as top-level modules
    sys.path.insert(0, str(TESTS))


@pytest.fixture(scope="session")
def libreoffice() -> str:
    """The soffice executable. Missing LibreOffice skips the test on a developer's machine but
    fails it in CI (CI=true), where the test command installs LibreOffice."""
    from utilbill.recalc import soffice_path

    exe = soffice_path()
    if exe is None:
        message = "LibreOffice (soffice) is not installed; run scripts/install-test-tools.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return exe
