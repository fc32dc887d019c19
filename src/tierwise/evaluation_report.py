"""The per-class evaluation report as a self-contained HTML page (inline SVG, no CDN).

One chart per class shows each cheaper tier's pass rate against the reference tier with its
95% Wilson interval and the quality target as a line; a table gives the samples, the current
and recommended tier, the quality risk and the projected monthly saving.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from tierwise.core.evaluation import ClassReport

__all__ = ["render_html"]

_COLOURS = {"haiku": "#2a9d8f", "sonnet": "#e9c46a", "opus": "#e76f51"}
_W, _BAR, _GAP, _LEFT = 520, 22, 10, 70


def _chart(report: ClassReport) -> str:
    rows = [e for e in report.evidence if e.tier is not report.reference]
    height = len(rows) * (_BAR + _GAP) + 40
    span = _W - _LEFT - 20

    def x(value: float) -> float:
        return _LEFT + value * span

    parts = [
        f'<svg role="img" aria-label="pass rates for {escape(report.task_class)}" '
        f'width="{_W}" height="{height}" viewBox="0 0 {_W} {height}">'
    ]
    for i, ev in enumerate(rows):
        y = 10 + i * (_BAR + _GAP)
        low, high = ev.interval
        colour = _COLOURS.get(ev.tier.value, "#888")
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + _BAR * 0.7:.0f}" text-anchor="end">'
            f"{escape(ev.tier.value)}</text>"
            f'<rect x="{_LEFT}" y="{y}" width="{ev.rate * span:.1f}" height="{_BAR}" '
            f'fill="{colour}"><title>{ev.passes}/{ev.n} passed</title></rect>'
            f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{y + _BAR / 2}" '
            f'y2="{y + _BAR / 2}" stroke="#222" stroke-width="2"/>'
            f'<text x="{x(high) + 6:.1f}" y="{y + _BAR * 0.7:.0f}" font-size="11">'
            f"{ev.rate:.0%} ({ev.passes}/{ev.n})</text>"
        )
    target = x(report.quality_target)
    bottom = height - 25
    parts.append(
        f'<line x1="{target:.1f}" x2="{target:.1f}" y1="4" y2="{bottom}" stroke="#c00" '
        f'stroke-dasharray="4 3"/><text x="{target:.1f}" y="{bottom + 14}" '
        f'text-anchor="middle" font-size="11" fill="#c00">target {report.quality_target:.0%}</text>'
        f'<line x1="{_LEFT}" x2="{_LEFT + span}" y1="{bottom}" y2="{bottom}" stroke="#999"/>'
        "</svg>"
    )
    return "".join(parts)


def render_html(reports: Sequence[ClassReport], *, title: str, notes: Sequence[str] = ()) -> str:
    total = sum((r.monthly_saving for r in reports), Decimal(0))
    rows = "".join(
        "<tr>"
        f"<td>{escape(r.task_class)}</td><td>{r.samples}</td>"
        f"<td>{escape(r.current.value) if r.current else '-'}</td>"
        f"<td><b>{escape(r.recommended.value)}</b></td>"
        f"<td>{escape(r.floor.value) if r.floor else '-'}</td>"
        f"<td>{escape(r.ceiling.value) if r.ceiling else '-'}</td>"
        f"<td>{r.risk:.1%}</td><td>${r.monthly_saving:,.2f}</td>"
        f"<td>{escape(r.reason)}</td></tr>"
        for r in reports
    )
    charts = "".join(
        f"<section><h3>{escape(r.task_class)}</h3>{_chart(r)}</section>" for r in reports
    )
    note_html = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
section {{ display: inline-block; margin: 0 2em 1em 0; }}
h3 {{ margin: 0.5em 0 0.2em; font-size: 14px; }}
</style></head><body>
<h1>{escape(title)}</h1>
<p>Projected monthly saving at current volume if every recommendation is applied:
<b>${total:,.2f}</b>. Pass rate = share of a tier's answers judged at least as good as the
reference tier's; bars show 95% Wilson intervals; a tier is recommended when the lower end
of its interval reaches the target. min_tier and max_tier bound the difficulty stage: it may
not move a request below a tier whose neighbour below was not shown to clear the bar, nor
above a tier shown to clear it.</p>
<table><tr><th>class</th><th>samples</th><th>current</th><th>recommended</th>
<th>min_tier</th><th>max_tier</th>
<th>quality risk</th><th>monthly saving</th><th>why</th></tr>{rows}</table>
<ul>{note_html}</ul>
{charts}
</body></html>
"""
