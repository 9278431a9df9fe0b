"""Charts drawn on the server as SVG (no script: the Content-Security-Policy allows none
inline, and none is needed). Presentation only: numbers in, markup out.

`bar_chart` draws grouped bars — one group per category, one bar per series — with a
y axis, category labels, a legend and a `<title>` on every bar (its exact value, for
pointer and screen-reader users). Colours come from classes (`s0`..`s4`, `late`) that
`static/app.css` fills, so no style attribute is needed either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

Series = tuple[str, Sequence[float | None]]
"""(name, one value per category; None draws nothing)."""


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`: four whole, round steps (4, 8, 12, 20, 40, ...)."""
    quarter = max(top / 4, 1.0)
    base = 10.0 ** math.floor(math.log10(quarter))
    step = next(m * base for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
                if m * base >= quarter and float(m * base).is_integer())
    return float(4 * step)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def bar_chart(
    title: str, categories: Sequence[str], series: Sequence[Series], *,
    y_max: float | None = None, unit: str = "", late: Sequence[bool] | None = None,
    line: tuple[float, str] | None = None, width: int = 640, height: int = 280,
    classes: Sequence[str] = (),
) -> Markup:  # fmt: skip
    """An SVG bar chart. `late[i]` draws category i's bars in the 'late' colour; `line`
    (value, label) draws a dashed horizontal reference line (a target); `classes` names
    each series' colour class (default s0, s1, ...)."""
    names = [classes[j] if j < len(classes) else f"s{j}" for j in range(len(series))]
    left, right, top, bottom = 44, 10, 28, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    ymax = y_max or _nice(max([*values, line[0] if line else 0, 1]))
    n = max(1, len(categories))
    group = plot_w / n
    bar = max(2.0, min(28.0, group * 0.8 / max(1, len(series))))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}" class="chart-svg">',
           f"<title>{escape(title)}</title>"]  # fmt: skip
    for k in range(5):  # grid and y labels
        v = ymax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'class="grid"/><text x="{left - 6}" y="{y + 4:.1f}" class="ylab" '
                   f'text-anchor="end">{_fmt(v)}{escape(unit)}</text>')  # fmt: skip
    for i, cat in enumerate(categories):
        x0 = left + i * group + (group - bar * len(series)) / 2
        for j, (name, vs) in enumerate(series):
            val = vs[i] if i < len(vs) else None
            if val is None:
                continue
            h = plot_h * min(val, ymax) / ymax
            cls = "late" if late and late[i] else names[j]
            out.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" '
                       f'width="{bar - 1:.1f}" height="{h:.1f}" class="{cls}">'
                       f"<title>{escape(cat)}: {escape(name)} {_fmt(val)}{escape(unit)}</title>"
                       "</rect>")  # fmt: skip
        step = max(1, math.ceil(n / 14))  # at most 14 category labels
        if i % step == 0:
            out.append(f'<text x="{left + (i + 0.5) * group:.1f}" y="{top + plot_h + 16}" '
                       f'class="xlab" text-anchor="middle">{escape(cat)}</text>')  # fmt: skip
    if line is not None:
        y = top + plot_h - plot_h * min(line[0], ymax) / ymax
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'class="target"/><text x="{width - right}" y="{y - 4:.1f}" '
                   f'class="ylab" text-anchor="end">{escape(line[1])}</text>')  # fmt: skip
    x = left
    for j, (name, _) in enumerate(series if len(series) > 1 or late else ()):
        out.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" class="{names[j]}"/>'
                   f'<text x="{x + 14}" y="{height - 9}" class="legend">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    if late:
        out.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" class="late"/>'
                   f'<text x="{x + 14}" y="{height - 9}" class="legend">past the SLA</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every value above is escaped or a number


__all__ = ["bar_chart"]
