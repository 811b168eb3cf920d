"""course_utils/plots.py: the decimal comma on the axes of every pyplot figure a notebook draws."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

import course_utils  # noqa: E402, F401 - importing the package adds the figure hook


def _labels(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_a_pyplot_figure_is_drawn_with_decimal_commas():
    assert "course_utils.plots:decimal_comma_axes" in matplotlib.rcParams["figure.hooks"]
    fig, (ax, named) = plt.subplots(1, 2)
    ax.plot([0, 1], [0.25, 0.75])
    named.bar([0, 1], [1.5, 2.5])
    named.xaxis.set_major_formatter(FuncFormatter(lambda x, pos: f"v.{x:g}"))  # a formatter of the notebook's own
    fig.savefig(io.BytesIO(), format="png")
    labels = _labels(ax.xaxis) + _labels(ax.yaxis) + _labels(named.yaxis)
    assert any("," in t for t in labels) and not any("." in t for t in labels), labels
    assert all(t.startswith("v.") for t in _labels(named.xaxis)), "an axis with its own formatter keeps it"
    plt.close(fig)
