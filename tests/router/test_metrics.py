"""RouteLLM's metrics on tiny hand-computed cases."""

import pytest

from tierwise.router.metrics import apgr, auc, cpt, curve, quantile_edges

# Four prompts: only prompt 0 gains from the strong model (weak wrong, strong right).
WEAK = [0.0, 1.0, 1.0, 0.0]
STRONG = [1.0, 1.0, 1.0, 0.0]


def test_quantile_edges_match_linear_interpolation() -> None:
    assert quantile_edges([0, 1, 2, 3, 4], 4) == [0, 1, 2, 3, 4]
    assert quantile_edges([0.0, 1.0], 2) == [0.0, 0.5, 1.0]


def test_perfect_router_recovers_most_of_the_gap_early() -> None:
    c = curve([0.9, 0.1, 0.2, 0.3], WEAK, STRONG, num_results=4)
    # Edges 0.1, 0.15, 0.25, 0.6, 0.9: strong shares 100, 75, 50, 25 and 0 (> max).
    assert c.strong_pct == (0.0, 25.0, 50.0, 75.0, 100.0)
    assert c.quality == (50.0, 75.0, 75.0, 75.0, 75.0)
    # AUC = 0.25*(50+75)/2 + 0.75*75 = 15.625 + 56.25 = 71.875; weak 50, strong 75.
    assert auc(c) == pytest.approx(71.875)
    assert apgr(c) == pytest.approx((71.875 - 50) / 25)
    assert cpt(c, 0.5) == pytest.approx(12.5)


def test_worst_router_and_random_expectation() -> None:
    worst = curve([0.0, 0.5, 0.6, 0.7], WEAK, STRONG, num_results=4)
    assert apgr(worst) < 0.5
    # A router whose scores carry no information recovers the gap linearly: APGR 0.5.
    assert apgr(curve([0.3] * len(WEAK), WEAK, STRONG)) == pytest.approx(0.5)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        curve([], [], [])
    with pytest.raises(ValueError):
        curve([0.1], [1.0, 0.0], [1.0])
