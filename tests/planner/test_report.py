"""The plan report's pieces: the waterfall stays inside its plot whichever way each step
goes, and the credit runway is given per strategy."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from tierwise.core.credits import CreditPool
from tierwise.core.planning import STRATEGIES, PlanResult
from tierwise.planner.report import html_report, runways


def _result(**totals: str) -> PlanResult:
    r = PlanResult(requests=10)
    r.totals = {k: Decimal(v) for k, v in totals.items()}
    day = date(2026, 10, 1)
    r.daily = {day: [r.totals[s] for s in STRATEGIES]}
    r.first = r.last = datetime(2026, 10, 1, 12, tzinfo=UTC)
    return r


def test_waterfall_bars_stay_inside_the_plot_when_steps_add_cost() -> None:
    # Routing and caching both add cost here (sparse traffic: writes never read): the
    # running total climbs above "as is", and the bars must still fit.
    r = _result(
        as_is="10", all_sonnet="10", routed="12", routed_cached="15", routed_cached_batch="14"
    )
    page = html_report(r, {}, sources=["x"], generated=date(2026, 10, 2))
    svg = page[page.index('aria-label="savings waterfall"') :]
    svg = svg[: svg.index("</svg>")]
    tops = [float(y) for y in re.findall(r'<rect x="[\d.]+" y="(-?[\d.]+)"', svg)]
    assert len(tops) == 5 and min(tops) >= 0


def test_credit_runway_is_given_for_every_strategy() -> None:
    r = _result(as_is="10", all_sonnet="9", routed="6", routed_cached="5", routed_cached_batch="4")
    pool = CreditPool(
        name="Activate", amount=Decimal("100"), start=date(2026, 9, 1), expires=date(2027, 6, 30)
    )
    ways = runways(r, [pool])
    assert list(ways) == list(STRATEGIES)
    # A cheaper strategy burns less a day, so its credits last at least as long.
    burns = [ways[s].burn_7d for s in STRATEGIES]
    assert burns == sorted(burns, reverse=True)
    page = html_report(r, ways, sources=["x"], generated=date(2026, 10, 2))
    assert page.count("Activate: ") == 5


def test_the_cost_per_day_legend_fits_its_width_without_overlap() -> None:
    r = _result(as_is="10", all_sonnet="9", routed="6", routed_cached="5", routed_cached_batch="4")
    page = html_report(r, {}, sources=["x"], generated=date(2026, 10, 2))
    svg = page[page.index('aria-label="cost per day per strategy"') :]
    svg = svg[: svg.index("</svg>")]
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    items = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="12" height="12"[^>]*/>'
                       r'<text[^>]*>([^<]+)</text>', svg)  # fmt: skip
    assert [label for _, _, label in items] == [
        "as is", "all Sonnet", "routed", "routed + caching", "routed + caching + batch"
    ]  # fmt: skip
    rows: dict[float, list[tuple[float, float]]] = {}
    for x, y, label in items:
        # 7 px a character at 12 px is generous for the system sans fonts.
        span = (float(x), float(x) + 16 + 7 * len(label))
        assert span[1] <= width, label
        rows.setdefault(float(y), []).append(span)
    for spans in rows.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_the_class_table_has_every_strategy() -> None:
    from tierwise.core.planning import ClassRow

    r = _result(as_is="10", all_sonnet="9", routed="6", routed_cached="5", routed_cached_batch="4")
    costs = [Decimal(x) for x in ("10", "9", "6", "5", "4")]
    r.classes = {"triage": ClassRow("triage", 10, costs, {"haiku": 10})}
    page = html_report(r, {}, sources=["x"], generated=date(2026, 10, 2))
    table = page[page.index('<table class="classes">') :]
    table = table[: table.index("</table>")]
    heads = re.findall(r"<th>([^<]*)</th>", table)
    assert heads == [
        "class", "requests", "as is", "all Sonnet", "routed", "routed + caching",
        "routed + caching + batch", "routed tiers",
    ]  # fmt: skip
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells == ["triage", "10", "$10.00", "$9.00", "$6.00", "$5.00", "$4.00", "haiku 10"]
