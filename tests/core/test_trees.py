"""The pure-Python tree ensemble: walking, validation, file format."""

import pytest

from tierwise.core.trees import TreeEnsemble


def stump_pair() -> TreeEnsemble:
    # Tree 1: x0 <= 2.5 ? 1.0 : 3.0.  Tree 2: x1 <= 0.1 ? -1.0 : (x0 <= 10 ? 0.0 : 5.0).
    return TreeEnsemble(
        roots=[0, 3],
        features=[0, 0, 0, 1, 0, 0, 0, 0],
        threshold=[2.5, 0.0, 0.0, 0.1, 0.0, 10.0, 0.0, 0.0],
        left=[1, -1, -1, 4, -1, 6, -1, -1],
        right=[2, -1, -1, 5, -1, 7, -1, -1],
        value=[0.0, 1.0, 3.0, 0.0, -1.0, 0.0, 0.0, 5.0],
    )


def test_predict_averages_the_trees() -> None:
    trees = stump_pair()
    assert trees.predict([1.0, 0.0]) == pytest.approx((1.0 - 1.0) / 2)
    assert trees.predict([3.0, 1.0]) == pytest.approx((3.0 + 0.0) / 2)
    assert trees.predict([11.0, 1.0]) == pytest.approx((3.0 + 5.0) / 2)
    # Compared in float32 like scikit-learn: 0.1 rounds up to 0.100000001 > 0.1 threshold.
    assert trees.predict([0.0, 0.1]) == pytest.approx((1.0 + 0.0) / 2)
    assert trees.n_features == 2


def test_round_trip_and_corruption() -> None:
    trees = stump_pair()
    data = trees.to_bytes()
    again = TreeEnsemble.from_bytes(data)
    assert again.to_bytes() == data
    assert again.predict([11.0, 1.0]) == trees.predict([11.0, 1.0])
    with pytest.raises(ValueError, match="truncated"):
        TreeEnsemble.from_bytes(data[:-1])
    with pytest.raises(ValueError, match="truncated"):
        TreeEnsemble.from_bytes(b"\x00")


def test_malformed_trees_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        TreeEnsemble(roots=[0], features=[0], threshold=[0.0], left=[5], right=[6], value=[0.0])
    with pytest.raises(ValueError, match="length"):
        TreeEnsemble(roots=[0], features=[0, 0], threshold=[0.0], left=[-1], right=[-1],
                     value=[0.0])  # fmt: skip
    with pytest.raises(ValueError, match="at least one"):
        TreeEnsemble(roots=[], features=[0], threshold=[0.0], left=[-1], right=[-1], value=[1.0])
