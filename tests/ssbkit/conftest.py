"""A demo report written once per test session, shared by the report tests."""

import pytest

from ssbkit.cli import main


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """Folder of a complete ``ssbkit demo`` run (seed 0)."""
    out = tmp_path_factory.mktemp("demo-report")
    status = main(["--quiet", "demo", "--out", str(out)])
    return out, status


@pytest.fixture(scope="session")
def small_generated_study(tmp_path_factory):
    """Manifest of a generated study of 8 measurements (6 impedance, 2 cycling; see ssbkit.report.generated_study)."""
    from ssbkit.report.generated_study import write_generated_study

    return write_generated_study(tmp_path_factory.mktemp("generated-8"), 8, eis_fraction=0.75, n_cycles=3,
                                 n_replicates=1)
