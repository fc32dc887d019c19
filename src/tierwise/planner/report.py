"""What ``tierwise plan`` writes: the CSV, the credit runway per strategy, and a one-file
HTML report whose plots are inline SVG (no script, no CDN: it opens offline)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from tierwise.core.credits import CreditPool, Runway, runway
from tierwise.core.planning import STRATEGIES, PlanResult

__all__ = ["LABELS", "csv_text", "html_report", "runways"]

LABELS = {
    "as_is": "as is",
    "all_sonnet": "all Sonnet",
    "routed": "routed",
    "routed_cached": "routed + caching",
    "routed_cached_batch": "routed + caching + batch",
}
_COLORS = ("#6b7280", "#a855f7", "#2563eb", "#0891b2", "#16a34a")
_LEGEND_CHAR_PX = 7
_TIER_COLORS = {"haiku": "#16a34a", "sonnet": "#2563eb", "opus": "#a855f7", "other": "#9ca3af"}


def csv_text(result: PlanResult) -> str:
    """One row per day and strategy, then one per class and strategy (``kind`` column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["kind", "key", "strategy", "requests", "cost_usd"])
    for day, costs in sorted(result.daily.items()):
        for name, cost in zip(STRATEGIES, costs, strict=True):
            writer.writerow(["day", day.isoformat(), name, "", f"{cost:.6f}"])
    for row in sorted(result.classes.values(), key=lambda c: -c.requests):
        for name, cost in zip(STRATEGIES, row.costs, strict=True):
            writer.writerow(["class", row.name, name, row.requests, f"{cost:.6f}"])
    for name in STRATEGIES:
        writer.writerow(["total", "", name, result.requests, f"{result.totals[name]:.6f}"])
    return buffer.getvalue()


def runways(
    result: PlanResult, pools: Sequence[CreditPool], warn_days: int = 30
) -> dict[str, Runway]:
    """The runway of the configured credit pools if the logged period's traffic had run
    under each strategy (as of the last logged day, at its 7-day burn rate)."""
    if not pools or result.last is None:
        return {}
    as_of = result.last.date()
    return {
        name: runway(pools, result.daily_series(name), as_of, warn_days=warn_days)
        for name in STRATEGIES
    }


def _money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    size = abs(value)
    return f"{sign}${size:,.2f}" if size >= 1 else f"{sign}${size:,.4f}"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bar_chart_svg(title: str, rows: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal 100% stacked bars: the tier mix of each row."""
    width, bar_h, left = 640, 28, 120
    height = 40 + len(rows) * (bar_h + 14) + 30
    parts = [
        f'<svg role="img" aria-label="{_esc(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f'<text x="0" y="18" font-weight="bold">{_esc(title)}</text>',
    ]
    y = 36
    for label, counts in rows:
        total = sum(counts.values()) or 1
        parts.append(f'<text x="0" y="{y + 19}">{_esc(label)}</text>')
        x = float(left)
        for tier in ("haiku", "sonnet", "opus", "other"):
            n = counts.get(tier, 0)
            if not n:
                continue
            w = (width - left - 10) * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{_TIER_COLORS[tier]}"><title>{tier}: {n:,} ({n / total:.1%})</title></rect>'
            )
            if w > 50:
                parts.append(
                    f'<text x="{x + 4:.1f}" y="{y + 19}" fill="white">{tier} {n / total:.0%}</text>'
                )
            x += w
        y += bar_h + 14
    legend_x = left
    for tier, color in _TIER_COLORS.items():
        parts.append(
            f'<rect x="{legend_x}" y="{y}" width="12" height="12" fill="{color}"/>'
            f'<text x="{legend_x + 16}" y="{y + 11}">{tier}</text>'
        )
        legend_x += 90
    parts.append("</svg>")
    return "".join(parts)


def _line_chart_svg(result: PlanResult) -> str:
    """Cost per day, one line per strategy."""
    width, height, left, bottom = 640, 300, 70, 40
    days = sorted(result.daily)
    series = {name: [float(result.daily[d][i]) for d in days] for i, name in enumerate(STRATEGIES)}
    top = max((v for values in series.values() for v in values), default=1.0) or 1.0
    parts = [
        f'<svg role="img" aria-label="cost per day per strategy" viewBox="0 0 {width} {height + 60}" '
        f'width="{width}" height="{height + 60}">',
        '<text x="0" y="18" font-weight="bold">Cost per day per strategy (USD)</text>',
    ]
    plot_w, plot_h = width - left - 10, height - bottom - 30
    y0 = 30 + plot_h
    for k in range(5):
        value = top * k / 4
        y = y0 - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.2f}</text>'
        )
    n = len(days)
    for i, name in enumerate(STRATEGIES):
        values = series[name]
        points = " ".join(
            f"{left + (plot_w * j / max(n - 1, 1)):.1f},{y0 - plot_h * v / top:.1f}"
            for j, v in enumerate(values)
        )
        if n == 1:
            x = left + plot_w / 2
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y0 - plot_h * values[0] / top:.1f}" r="4" fill="{_COLORS[i]}"/>'
            )
        else:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{_COLORS[i]}" stroke-width="2"/>'
            )
    if days:
        parts.append(
            f'<text x="{left}" y="{y0 + 18}">{days[0].isoformat()}</text>'
            f'<text x="{width - 10}" y="{y0 + 18}" text-anchor="end">{days[-1].isoformat()}</text>'
        )
    # The legend in rows that fit the width (a label is about 7 px a character at 12 px).
    x, y = left, height + 10
    for i, name in enumerate(STRATEGIES):
        item = 16 + _LEGEND_CHAR_PX * len(LABELS[name])
        if x + item > width and x > left:
            x, y = left, y + 20
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{_COLORS[i]}"/>'
            f'<text x="{x + 16}" y="{y + 11}">{_esc(LABELS[name])}</text>'
        )
        x += item + 14
    parts.append("</svg>")
    return "".join(parts)


def _waterfall_svg(result: PlanResult) -> str:
    steps = result.waterfall()
    width, height, left = 640, 300, 70
    # The tallest bar: the highest running total (routing or caching can add cost).
    totals = [float(sum(v for _, v in steps[: i + 1])) for i in range(len(steps) - 1)]
    top = max(*totals, 1e-9)
    plot_h, y0 = height - 80, height - 40
    bar_w = (width - left - 20) / len(steps) - 20
    parts = [
        f'<svg role="img" aria-label="savings waterfall" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        '<text x="0" y="18" font-weight="bold">Savings waterfall (USD over the logged period)</text>',
    ]
    running = 0.0
    for i, (label, value) in enumerate(steps):
        v = float(value)
        x = left + i * (bar_w + 20)
        if i in (0, len(steps) - 1):
            low, high, color = 0.0, v, "#6b7280" if i == 0 else "#16a34a"
            running = v
        else:
            low, high = sorted((running, running + v))
            color = "#dc2626" if v > 0 else "#0891b2"
            running += v
        y_top = y0 - plot_h * high / top
        h = max(plot_h * (high - low) / top, 1.0)
        parts.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{_esc(label)}: {_money(value)}</title></rect>"
            f'<text x="{x + bar_w / 2:.1f}" y="{y_top - 4:.1f}" text-anchor="middle">{_esc(_money(value))}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{y0 + 18}" text-anchor="middle">{_esc(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - 10}" y1="{y0}" y2="{y0}" stroke="#111827"/></svg>'
    )
    return "".join(parts)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _runway_rows(ways: dict[str, Runway]) -> list[list[str]]:
    rows = []
    for name, way in ways.items():
        pools = "; ".join(
            f"{s.pool.name}: {'runs out ' + s.runs_out.isoformat() if s.runs_out else 'lasts'}"
            + (f", ${s.expires_unused:,.2f} expires unused" if s.expires_unused > 0 else "")
            for s in way.pools
        )
        card = way.card_from.isoformat() if way.card_from else "not within 3 years"
        rows.append([LABELS[name], f"${way.burn_7d:,.2f}", pools, card])
    return rows


def html_report(
    result: PlanResult,
    ways: dict[str, Runway],
    *,
    sources: Sequence[str],
    generated: date,
    notes: Sequence[str] = (),
) -> str:
    """The whole report as one HTML document."""
    totals = [
        [
            LABELS[n],
            _money(result.totals[n]),
            _money(result.savings(n)),
            f"{(result.savings(n) / result.totals['as_is']):.1%}"
            if result.totals["as_is"]
            else "-",
        ]
        for n in STRATEGIES
    ]
    classes = [
        [
            c.name,
            f"{c.requests:,}",
            *(_money(cost) for cost in c.costs),
            ", ".join(f"{t} {n:,}" for t, n in sorted(c.tiers.items())),
        ]
        for c in sorted(result.classes.values(), key=lambda c: -c.requests)
    ]
    mix = _bar_chart_svg(
        "Tier mix: as logged vs routed",
        [("as logged", result.tier_mix_as_is), ("routed", result.tier_mix_routed)],
    )
    runway_html = (
        _table(["strategy", "burn/day (7d)", "pools", "spend reaches the card"], _runway_rows(ways))
        if ways
        else "<p>No <code>[[credits]]</code> pools are configured.</p>"
    )
    period = (
        f"{result.first:%Y-%m-%d %H:%M} to {result.last:%Y-%m-%d %H:%M} UTC"
        if result.first and result.last
        else "no records"
    )
    facts = [
        ["requests", f"{result.requests:,}"],
        ["period", period],
        ["usage estimated (not in the log)", f"{result.estimated_usage:,}"],
        ["without a request body (not routed)", f"{result.no_body:,}"],
        [
            "model in no tier (excluded from every strategy)",
            f"{result.unpriced - result.no_model:,}",
        ],
        ["no model named (excluded from every strategy)", f"{result.no_model:,}"],
        ['model "auto" (as is at the tier the router picks)', f"{result.auto_as_is:,}"],
        ["non-interactive (batch in the last strategy)", f"{result.batchable:,}"],
        ["text redacted or cut (captures)", f"{result.redacted:,}"],
        ["routed by the recorded decision", f"{result.recorded_routes:,}"],
        ["rejected attempts (as is only)", f"{result.rejected_attempts:,}"],
        ["simulated cache reads / writes", f"{result.cache_reads:,} / {result.cache_writes:,}"],
    ]
    notes_html = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tierwise plan</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #111827; max-width: 980px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
th, td {{ border-bottom: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; }}
th {{ background: #f3f4f6; }} svg text {{ font: 12px system-ui, sans-serif; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 24px; }}
</style></head><body>
<h1>tierwise plan: what this traffic would cost</h1>
<p>Sources: {_esc(", ".join(sources))}. Generated {generated.isoformat()}.</p>
{_table(["", ""], facts)}
<h2>Cost per strategy</h2>
{_table(["strategy", "cost", "saved vs as is", "saved %"], totals, "totals")}
<div class="grid">
<figure>{_waterfall_svg(result)}</figure>
<figure>{mix}</figure>
<figure>{_line_chart_svg(result)}</figure>
</div>
<h2>Per task class</h2>
{_table(["class", "requests", *(LABELS[n] for n in STRATEGIES), "routed tiers"], classes, "classes")}
<h2>Credit runway per strategy</h2>
{runway_html}
<h2>How this was computed</h2>
<ul>{notes_html}</ul>
</body></html>
"""
