"""Per-class evidence: Wilson intervals, stratified samples, recommendations, savings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tierwise.core.evaluation import Outcome, class_reports, stratified_sample, wilson
from tierwise.core.tiers import Tier


def test_wilson_matches_known_values() -> None:
    low, high = wilson(90, 100)
    assert low == pytest.approx(0.8256, abs=1e-3)
    assert high == pytest.approx(0.9448, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-3)


def test_stratified_sample_is_even_deterministic_and_uses_spare_room() -> None:
    items = [("big", i) for i in range(100)] + [("small", i) for i in range(5)]
    sample = stratified_sample(items, key=lambda x: x[0], n=30, seed=1)
    assert len(sample) == 30
    assert sum(1 for c, _ in sample if c == "small") == 5  # all of the small class
    assert sum(1 for c, _ in sample if c == "big") == 25  # and its spare share
    assert sample == stratified_sample(items, key=lambda x: x[0], n=30, seed=1)
    assert sample != stratified_sample(items, key=lambda x: x[0], n=30, seed=2)
    assert stratified_sample(items, key=lambda x: x[0], n=500) == items


def outcomes(name: str, haiku_pass: int, sonnet_pass: int, n: int) -> list[Outcome]:
    rows = []
    for i in range(n):
        rows.append(
            Outcome(
                f"{name}-{i}",
                name,
                {
                    "haiku": "pass" if i < haiku_pass else "fail",
                    "sonnet": "pass" if i < sonnet_pass else "fail",
                    "opus": "reference",
                },
                {"haiku": Decimal("0.001"), "sonnet": Decimal("0.003"), "opus": Decimal("0.005")},
            )
        )
    return rows


def test_recommendations_need_evidence_in_their_direction() -> None:
    data = (
        outcomes("classify", 99, 100, 100)  # haiku clears 0.9 with room: down
        + outcomes("support", 70, 97, 100)  # sonnet clears it, haiku does not: stays
        + outcomes("proof", 40, 60, 100)  # sonnet clearly below: up to opus
        + outcomes("tiny", 5, 5, 5)  # 5/5 is not enough evidence to move anything
        + outcomes("extract", 33, 34, 36)  # on haiku, 33/36 is no proof it fails: stays
        + outcomes("design", 10, 98, 100)  # on opus, sonnet clears: down to sonnet
    )
    current = {"classify": Tier.SONNET, "support": Tier.SONNET, "proof": Tier.SONNET,
               "tiny": Tier.SONNET, "extract": Tier.HAIKU, "design": Tier.OPUS}  # fmt: skip
    reports = {
        r.task_class: r
        for r in class_reports(
            data,
            reference=Tier.OPUS,
            quality_target=0.9,
            current=current,
            monthly_requests={"classify": 10000, "proof": 100},
        )
    }
    assert reports["classify"].recommended is Tier.HAIKU
    assert reports["support"].recommended is Tier.SONNET
    assert reports["proof"].recommended is Tier.OPUS
    assert reports["tiny"].recommended is Tier.SONNET
    assert "under the 20 needed" in reports["tiny"].reason
    assert reports["extract"].recommended is Tier.HAIKU
    assert reports["design"].recommended is Tier.SONNET
    assert "upper bound" in reports["proof"].reason
    # 10,000 requests a month x ($0.003 - $0.001)
    assert reports["classify"].monthly_saving == Decimal("20.000")
    # moving proof up costs money: a negative saving, reported as such
    assert reports["proof"].monthly_saving == Decimal("-0.200")
    assert reports["classify"].changes and not reports["support"].changes
    assert reports["classify"].risk == pytest.approx(1 - wilson(99, 100)[0])


def test_errors_are_not_counted_as_evidence() -> None:
    rows = [Outcome("a", "c", {"haiku": "error", "opus": "reference"}, {})]
    (report,) = class_reports(rows, reference=Tier.OPUS, quality_target=0.9)
    haiku = next(e for e in report.evidence if e.tier is Tier.HAIKU)
    assert haiku.n == 0
    assert report.recommended is Tier.OPUS


def test_too_few_samples_move_nothing() -> None:
    rows = outcomes("classify", 0, 0, 1)  # one sample, failed on both cheaper tiers
    (report,) = class_reports(
        rows, reference=Tier.OPUS, quality_target=0.9, current={"classify": Tier.HAIKU}
    )
    assert report.recommended is Tier.HAIKU and "under the 20 needed" in report.reason
    (moved,) = class_reports(
        rows,
        reference=Tier.OPUS,
        quality_target=0.9,
        current={"classify": Tier.HAIKU},
        min_samples=1,
    )
    assert moved.recommended is Tier.OPUS


def test_evidence_bounds_the_difficulty_stage() -> None:
    data = (
        outcomes("code", 60, 97, 100)  # haiku clearly short, sonnet clears: held on sonnet
        + outcomes("design", 10, 98, 100)  # opus -> sonnet, and neither step is supported
        + outcomes("classify", 99, 100, 100)  # haiku clears: never stepped up from it
        + outcomes("support", 80, 92, 100)  # sonnet unclear: no ceiling; haiku short: floor
        + outcomes("proof", 40, 60, 100)  # up to opus: sonnet short, so floor opus
        + outcomes("tiny", 0, 5, 5)  # too few samples: no bounds either
    )
    current = {"code": Tier.SONNET, "design": Tier.OPUS, "classify": Tier.HAIKU,
               "support": Tier.SONNET, "proof": Tier.SONNET, "tiny": Tier.SONNET}  # fmt: skip
    reports = {
        r.task_class: (r.floor, r.ceiling)
        for r in class_reports(data, reference=Tier.OPUS, quality_target=0.9, current=current)
    }
    assert reports == {
        "code": (Tier.SONNET, Tier.SONNET),
        "design": (Tier.SONNET, Tier.SONNET),
        "classify": (None, Tier.HAIKU),
        "support": (Tier.SONNET, None),
        "proof": (Tier.OPUS, None),
        "tiny": (None, None),
    }
