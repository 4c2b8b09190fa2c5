"""Charts for the dashboards, drawn on the server as SVG by pygal.

The SVG is embedded as an image (a data: URL, which the CSP allows for images): no
file from another origin, works offline. pygal's tooltip script (loaded from a CDN by
default) is switched off; its inline config script stays in the SVG but never runs, as
browsers run no script of an SVG shown as an image. Readable without colour: every series has its
own dash pattern and dot, values are printed on bars, the legend names each series,
and the numbers follow the chart as a table (`Chart.rows`) for screen readers and print.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pygal
from pygal.style import Style

from app.money import format_chf

# Distinct in hue and in lightness (readable in grey too), then the dash patterns.
PALETTE = ("#1f4e79", "#d9822b", "#5b8c3a", "#8e44ad", "#7f7f7f", "#b03a2e")
DASHES = ("0", "8, 4", "2, 4", "12, 4, 2, 4", "4, 4", "1, 2")

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#666",
    colors=PALETTE,
    font_family="DejaVu Sans, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    value_label_font_size=12,
)


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its title, the SVG as a data: URL and the numbers as rows."""

    title: str
    src: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """(label, one value per series) per x-axis label."""
        return [
            (label, [values[index] for _, values in self.series])
            for index, label in enumerate(self.labels)
        ]


def _number(value: Decimal | int | float | None) -> float | None:
    # pygal draws floats; the exact values stay in the table below the chart.
    return None if value is None else float(value)


def _text(value: Decimal | int | None, money: bool) -> str:
    if value is None:
        return "–"
    if money:
        return format_chf(Decimal(value))
    return str(value)


def _whole(value: float) -> str:
    return f"{value:.0f}"


def _count_axis(series) -> dict:
    """Whole numbers on the axis of a chart of counts (pygal would draw 0.1 steps)."""
    top = max((value or 0 for _, values in series for value in values), default=0)
    step = max(1, -(-int(top) // 5))
    return {"y_labels": list(range(0, int(top) + step + 1, step))}


def _config(title: str, money: bool, **options) -> dict:
    return dict(
        title=title,
        style=STYLE,
        js=[],  # no tooltip script from a CDN: the chart is an image
        width=720,
        height=380,
        explicit_size=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        x_label_rotation=30,
        truncate_label=-1,
        truncate_legend=-1,
        print_zeroes=False,
        value_formatter=(lambda v: f"{v:,.0f}".replace(",", "'")) if money else _whole,
        margin=12,
        margin_bottom=24,
        **options,
    )


def _finish(chart, title: str, labels, series, money: bool) -> Chart:
    svg = chart.render()
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return Chart(
        title=title,
        src=source,
        labels=tuple(str(label) for label in labels),
        series=tuple(
            (str(name), tuple(_text(value, money) for value in values)) for name, values in series
        ),
    )


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | int | None]]],
    *,
    money: bool = False,
) -> Chart:
    """One line per series over the labels (months); each line its own dash and dot."""
    axis = {} if money else _count_axis(series)
    chart = pygal.Line(**_config(title, money, dots_size=4, show_y_guides=True, **axis))
    chart.x_labels = [str(label) for label in labels]
    for index, (name, values) in enumerate(series):
        chart.add(
            str(name),
            [_number(value) for value in values],
            stroke_style={"width": 3, "dasharray": DASHES[index % len(DASHES)]},
        )
    return _finish(chart, title, labels, series, money)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | int | None]]],
    *,
    money: bool = False,
    stacked: bool = False,
) -> Chart:
    """Bars per label (one per series, or stacked); the value printed on each bar."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    axis = {} if money else _count_axis(series)
    position = "center" if stacked else "top"
    chart = kind(**_config(title, money, print_values=True, print_values_position=position, **axis))
    chart.x_labels = [str(label) for label in labels]
    for name, values in series:
        chart.add(str(name), [_number(value) for value in values])
    return _finish(chart, title, labels, series, money)
