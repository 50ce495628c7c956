"""Server-rendered SVG charts for the embeddable dashboard pages (no script, no CDN, works offline)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from markupsafe import Markup

PALETTE = {
    "30+": "#f2a93b",
    "60+": "#e4663a",
    "90+": "#b3261e",
    "npa": "#6b2c91",
    "ok": "#2e7d32",
    "warn": "#f2a93b",
    "alert": "#b3261e",
    "neutral": "#3b6ea8",
}
FONT = "font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:11px;fill:#444"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def percent(value: float) -> str:
    """Format a fraction as a percentage with one decimal."""
    return f"{value * 100:.1f}%"


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    title: str,
    fmt: Callable[[float], str] = percent,
    width: int = 960,
    height: int = 280,
) -> Markup:
    """Return an SVG line chart: one polyline per (name, values, colour) over shared x labels."""
    left, right, top, bottom = 52, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vals, _ in series for v in vals if v is not None]
    peak = max(values, default=0.0)
    y_max = max(peak * 1.15, 0.01)
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" class="chart"><title>{_e(title)}</title>'
    ]
    for k in range(5):
        v = y_max * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" style="{FONT}">{_e(fmt(v))}</text>')
    step = max(1, n // 12)
    for i, label in enumerate(x_labels):
        if i == n - 1 or (i % step == 0 and n - 1 - i >= max(step, 2)):
            # the last label ends at the plot's edge and the first starts there, so neither is cut off
            anchor = "end" if i == n - 1 and n > 1 else ("start" if i == 0 and n > 1 else "middle")
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
                f'style="{FONT}">{_e(label)}</text>'
            )
    for s, (name, vals, colour) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vals) if v is not None)
        parts.append(
            f'<polyline fill="none" stroke="{_e(colour)}" stroke-width="2" points="{points}">'
            f"<title>{_e(name)}</title></polyline>"
        )
        lx = left + 8 + s * 150
        parts.append(
            f'<rect x="{lx}" y="8" width="12" height="12" fill="{_e(colour)}"/>'
            f'<text x="{lx + 16}" y="18" style="{FONT}">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    colours: Sequence[str] | None = None,
    value_labels: Sequence[str] | None = None,
    thresholds: Sequence[tuple[float, str, str]] = (),
    width: int = 960,
    bar_height: int = 20,
) -> Markup:
    """Return a horizontal SVG bar chart, optionally with vertical threshold lines (value, label, colour)."""
    left, right, top = 210, 110, 26
    height = top + len(labels) * (bar_height + 8) + 12
    plot_w = width - left - right
    peak = max([*values, *(t[0] for t in thresholds), 0.0])
    x_max = peak * 1.1 if peak > 0 else 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" class="chart"><title>{_e(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_height + 8)
        w = plot_w * max(value, 0.0) / x_max
        colour = colours[i] if colours else PALETTE["neutral"]
        shown = value_labels[i] if value_labels else f"{value:g}"
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" style="{FONT}">{_e(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{_e(colour)}" rx="2">'
            f"<title>{_e(label)}: {_e(shown)}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}" style="{FONT}">{_e(shown)}</text>')
    for value, label, colour in thresholds:
        tx = left + plot_w * value / x_max
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 6}" y2="{height - 8}" stroke="{_e(colour)}" '
            f'stroke-dasharray="4 3"/><text x="{tx + 3:.1f}" y="{top - 10}" style="{FONT}">{_e(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
