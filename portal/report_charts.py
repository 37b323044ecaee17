"""Charts for the reports, drawn on the server as inline SVG: no script, no library, no CDN.

Each row puts its label on a line of its own above the bars, so the chart stays readable when it
shrinks to a phone's width. Every chart is an image with a title and a description (role="img");
the report's table beside it holds the same figures as text.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from flask_babel import format_decimal
from markupsafe import Markup, escape

from portal.reports import Chart

WIDTH = 400
LABEL_HEIGHT = 18
BAR_HEIGHT = 12
ROW_GAP = 10
VALUE_ROOM = 110  # right of the longest bar, for its figure
_ids = count(1)


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | float):
        return format_decimal(value, format="#,##0.0") if abs(value) < 1000 else format_decimal(value, "#,##0")
    return format_decimal(value, format="#,##0")


def _scale(values) -> float:
    biggest = max((float(v) for v in values if v is not None), default=0.0)
    return (WIDTH - VALUE_ROOM) / biggest if biggest > 0 else 0.0


def _frame(chart: Chart, height: int, body: list[str], summary: str) -> Markup:
    n = next(_ids)
    title_id, desc_id = f"chart-{n}-title", f"chart-{n}-desc"
    legend = ""
    if len(chart.series_titles) > 1:
        legend = "".join(f'<span class="legend-item"><span class="swatch series-{i}" aria-hidden="true"></span>'
                         f'{escape(t)}</span>' for i, t in enumerate(chart.series_titles))
        legend = f'<p class="chart-legend" aria-hidden="true">{legend}</p>'
    svg = (f'<svg class="chart" viewBox="0 0 {WIDTH} {max(height, 1)}" role="img" '
           f'aria-label="{escape(chart.title)}" aria-labelledby="{title_id} {desc_id}" '
           f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
           f'<title id="{title_id}">{escape(chart.title)}</title><desc id="{desc_id}">{escape(summary)}</desc>'
           + "".join(body) + "</svg>")
    return Markup(f'<figure class="chart-figure">{legend}{svg}</figure>')


def bars(chart: Chart) -> Markup:
    """Horizontal bars, one per series for each label (grouped), each with its figure."""
    series = chart.series
    scale = _scale(v for values in series for v in values)
    row_height = LABEL_HEIGHT + BAR_HEIGHT * len(series) + ROW_GAP
    body, summary = [], []
    for i, label in enumerate(chart.labels):
        top = i * row_height
        body.append(f'<text class="chart-label" x="0" y="{top + LABEL_HEIGHT - 4}">{escape(label)}</text>')
        figures = []
        for s, values in enumerate(series):
            value = values[i]
            width = max(0.0, float(value or 0) * scale)
            y = top + LABEL_HEIGHT + s * BAR_HEIGHT
            text = f"{_number(value)}{chart.unit and ' ' + chart.unit}"
            body.append(f'<rect class="bar series-{s}" x="0" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT - 2}"/>')
            body.append(f'<text class="chart-value" x="{width + 4:.1f}" y="{y + BAR_HEIGHT - 3}">{escape(text)}</text>')
            name = chart.series_titles[s] if s < len(chart.series_titles) and len(series) > 1 else ""
            figures.append(f"{name} {text}".strip())
        summary.append(f"{label}: {', '.join(figures)}")
    return _frame(chart, len(chart.labels) * row_height, body, "; ".join(summary))


def ranges(chart: Chart) -> Markup:
    """A bar to the median, carried on in a lighter shade to the 90th percentile."""
    medians, highs = chart.series
    scale = _scale(highs)
    row_height = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    body, summary = [], []
    for i, label in enumerate(chart.labels):
        top = i * row_height
        median, high = float(medians[i] or 0), float(highs[i] or 0)
        y = top + LABEL_HEIGHT
        text = f"{_number(medians[i])} / {_number(highs[i])} {chart.unit}".strip()
        body.append(f'<text class="chart-label" x="0" y="{top + LABEL_HEIGHT - 4}">{escape(label)}</text>')
        body.append(f'<rect class="bar series-1" x="0" y="{y}" width="{high * scale:.1f}" height="{BAR_HEIGHT - 2}"/>')
        body.append(f'<rect class="bar series-0" x="0" y="{y}" width="{median * scale:.1f}" '
                    f'height="{BAR_HEIGHT - 2}"/>')
        body.append(f'<text class="chart-value" x="{high * scale + 4:.1f}" y="{y + BAR_HEIGHT - 3}">'
                    f'{escape(text)}</text>')
        summary.append(f"{label}: {chart.series_titles[0]} {_number(medians[i])}, "
                       f"{chart.series_titles[1]} {_number(highs[i])} {chart.unit}".strip())
    return _frame(chart, len(chart.labels) * row_height, body, "; ".join(summary))


def draw(chart: Chart | None) -> Markup:
    if chart is None or not chart.labels:
        return Markup("")
    return ranges(chart) if chart.kind == "range" else bars(chart)
