"""Log-axis tick labels of the EIS figures (plain text, decades only)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from echem.eis.plotting import decade_label, plain_log_ticks  # noqa: E402


@pytest.mark.parametrize("value, label", [
    (1e-5, "10⁻⁵"), (1e-3, "10⁻³"), (0.01, "0.01"), (1.0, "1"), (1000.0, "1000"), (1e4, "10⁴"), (1e6, "10⁶"),
    (2e3, ""), (0.0, ""),
])
def test_decade_label(value, label):
    # decades by definition (10**k); between decades no label
    assert decade_label(value) == label


def test_bode_axis_labels_are_plain_text():
    # a log axis over 1 Hz - 1 MHz: every drawn label is a decade, none is mathtext or "1e+05"
    fig, ax = plt.subplots()
    ax.loglog(np.logspace(0, 6, 20), np.logspace(0, 6, 20))
    plain_log_ticks(ax.xaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.xaxis.get_ticklabels() if t.get_text()]
    plt.close(fig)
    # (matplotlib also labels the ticks just outside the view: 0.1 and 10⁷)
    assert set(labels) <= {"0.1", "1", "10", "100", "1000", "10⁴", "10⁵", "10⁶", "10⁷"} and len(labels) >= 4
