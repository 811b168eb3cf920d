"""Plots shared by the notebooks (Spanish titles and labels), and the decimal comma on every
axis the notebooks draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import ScalarFormatter


class DecimalCommaFormatter(ScalarFormatter):
    """Matplotlib's default tick labels (same ticks, precision and offset) with the decimal comma
    the course writes everywhere else (:func:`course_utils.prose.number`)."""

    def __call__(self, x, pos=None) -> str:
        return super().__call__(x, pos).replace(".", ",")

    def get_offset(self) -> str:
        return super().get_offset().replace(".", ",")


def decimal_comma_axes(figure: Figure) -> None:
    """A ``figure.hooks`` entry (``course_utils`` adds it when imported): before the figure is
    drawn, every axis still using matplotlib's default number formatter gets the decimal comma;
    an axis with a formatter of its own keeps it."""
    draw = figure.draw

    def draw_with_commas(renderer):
        for axes in figure.axes:
            for axis in (axes.xaxis, axes.yaxis):
                if type(axis.get_major_formatter()) is ScalarFormatter:
                    axis.set_major_formatter(DecimalCommaFormatter())
        return draw(renderer)

    figure.draw = draw_with_commas


_COLORS = {"a": "#8ecae6", "b": "#ffb703", "f": "#b5e48c", "o": "#e0e0e0"}


def _box(ax, x, y, text, kind, w=0.27, h=0.1):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.01",
            facecolor=_COLORS[kind],
            edgecolor="black",
            linewidth=0.8,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", linewidth=0.9))


def draw_fusion_strategies() -> plt.Figure:
    """Diagram of early, intermediate, late and hybrid fusion for two modalities A and B."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
    titles = ["Temprana (entradas)", "Intermedia (características)", "Tardía (decisiones)", "Híbrida"]
    for ax, title in zip(axes, titles):
        ax.set(xlim=(0, 1), ylim=(0, 1), title=title)
        ax.axis("off")
        _box(ax, 0.25, 0.1, "entrada A", "a")
        _box(ax, 0.75, 0.1, "entrada B", "b")
        _box(ax, 0.5, 0.92, "predicción", "o")

    ax = axes[0]  # early: fuse raw inputs, one model
    _box(ax, 0.5, 0.35, "concatenar", "f")
    _box(ax, 0.5, 0.65, "modelo único", "o")
    for x in (0.25, 0.75):
        _arrow(ax, x, 0.15, 0.5, 0.3)
    _arrow(ax, 0.5, 0.4, 0.5, 0.6)
    _arrow(ax, 0.5, 0.7, 0.5, 0.87)

    ax = axes[1]  # intermediate: encoders, fuse features, joint head
    _box(ax, 0.25, 0.35, "codificador A", "a")
    _box(ax, 0.75, 0.35, "codificador B", "b")
    _box(ax, 0.5, 0.62, "fusión + capas", "f")
    for x in (0.25, 0.75):
        _arrow(ax, x, 0.15, x, 0.3)
        _arrow(ax, x, 0.4, 0.5, 0.57)
    _arrow(ax, 0.5, 0.67, 0.5, 0.87)

    ax = axes[2]  # late: full models, fuse their decisions
    _box(ax, 0.25, 0.35, "modelo A", "a")
    _box(ax, 0.75, 0.35, "modelo B", "b")
    _box(ax, 0.25, 0.55, "p(y|A)", "a", w=0.16)
    _box(ax, 0.75, 0.55, "p(y|B)", "b", w=0.16)
    _box(ax, 0.5, 0.74, "combinar", "f")
    for x in (0.25, 0.75):
        _arrow(ax, x, 0.15, x, 0.3)
        _arrow(ax, x, 0.4, x, 0.5)
        _arrow(ax, x, 0.6, 0.5, 0.69)
    _arrow(ax, 0.5, 0.79, 0.5, 0.87)

    ax = axes[3]  # hybrid: features and decisions both reach the fusion
    _box(ax, 0.25, 0.35, "codificador A", "a")
    _box(ax, 0.75, 0.35, "modelo B", "b")
    _box(ax, 0.75, 0.55, "p(y|B)", "b", w=0.16)
    _box(ax, 0.5, 0.74, "fusión", "f")
    _arrow(ax, 0.25, 0.15, 0.25, 0.3)
    _arrow(ax, 0.75, 0.15, 0.75, 0.3)
    _arrow(ax, 0.75, 0.4, 0.75, 0.5)
    _arrow(ax, 0.25, 0.4, 0.5, 0.69)
    _arrow(ax, 0.75, 0.6, 0.5, 0.69)
    _arrow(ax, 0.5, 0.79, 0.5, 0.87)
    fig.tight_layout()
    return fig
