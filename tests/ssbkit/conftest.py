"""A demo report written once per test session, shared by the report tests."""

import pytest

from ssbkit.cli import main


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """Folder of a complete ``ssbkit demo`` run (seed 0)."""
    out = tmp_path_factory.mktemp("demo-report")
    status = main(["--quiet", "demo", "--out", str(out)])
    return out, status
