"""Tests of tpr_at_fpr, membership_advantage and the shared input checks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import ks_2samp

from skmia.metrics import (
    bootstrap_ci,
    empirical_epsilon,
    membership_advantage,
    roc_auc_ci,
    tpr_at_fpr,
    tpr_at_fpr_ci,
)


def _brute_force_tpr_at_fpr(membership, scores, level):
    """Best TPR over thresholds "member if score >= t" with FPR <= level."""
    membership = np.asarray(membership)
    scores = np.asarray(scores, dtype=float)
    best = 0.0  # t = +inf flags nobody
    for t in np.unique(scores):
        flagged = scores >= t
        fpr = flagged[membership == 0].mean()
        tpr = flagged[membership == 1].mean()
        if fpr <= level:
            best = max(best, tpr)
    return best


def _brute_force_advantage(membership, scores):
    membership = np.asarray(membership)
    best = 0.0
    for t in np.unique(scores):
        flagged = np.asarray(scores) >= t
        best = max(
            best, flagged[membership == 1].mean() - flagged[membership == 0].mean()
        )
    return best


def _sample(seed, n_members=300, n_nonmembers=200, shift=0.7, decimals=None):
    rng = np.random.RandomState(seed)
    membership = np.repeat([1, 0], [n_members, n_nonmembers])
    scores = rng.normal(loc=shift * membership)
    if decimals is not None:  # create many ties
        scores = np.round(scores, decimals)
    perm = rng.permutation(membership.size)
    return membership[perm], scores[perm]


@pytest.mark.parametrize("decimals", [None, 1, 0])
@pytest.mark.parametrize("seed", [0, 1])
def test_tpr_at_fpr_matches_brute_force(seed, decimals):
    membership, scores = _sample(seed, decimals=decimals)
    # 0, below the first step, exactly on steps (k / 200), between steps, 1.
    levels = [0.0, 0.001, 0.005, 0.01, 0.0123, 0.1, 0.25, 0.5, 0.999, 1.0]
    expected = [_brute_force_tpr_at_fpr(membership, scores, lv) for lv in levels]
    assert_allclose(tpr_at_fpr(membership, scores, fpr=levels), expected)
    for level, value in zip(levels, expected, strict=True):
        assert tpr_at_fpr(membership, scores, fpr=level) == pytest.approx(value)


def test_tpr_at_fpr_return_types_and_shapes():
    membership, scores = _sample(0)
    scalar = tpr_at_fpr(membership, scores, fpr=0.1)
    assert isinstance(scalar, float)
    vector = tpr_at_fpr(membership, scores, fpr=[0.01, 0.1])
    assert isinstance(vector, np.ndarray) and vector.shape == (2,)
    grid = tpr_at_fpr(membership, scores, fpr=np.full((2, 3), 0.1))
    assert grid.shape == (2, 3)
    assert_allclose(grid, scalar)
    # TPR is non-decreasing in the allowed FPR.
    levels = np.linspace(0, 1, 50)
    assert np.all(np.diff(tpr_at_fpr(membership, scores, fpr=levels)) >= 0)


def test_tpr_at_fpr_hand_computed():
    membership = [0, 0, 0, 0, 1, 1, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    # Above the highest non-member (0.8): two of four members.
    assert tpr_at_fpr(membership, scores, fpr=0.0) == 0.5
    assert tpr_at_fpr(membership, scores, fpr=0.24) == 0.5
    # One false positive allowed (FPR 0.25): every member.
    assert tpr_at_fpr(membership, scores, fpr=0.25) == 1.0


def test_tpr_at_fpr_below_one_over_n_nonmembers_equals_zero_fpr():
    membership, scores = _sample(3, n_nonmembers=200)
    at_zero = tpr_at_fpr(membership, scores, fpr=0.0)
    assert tpr_at_fpr(membership, scores, fpr=0.5 / 200) == at_zero
    top_nonmember = scores[membership == 0].max()
    assert at_zero == pytest.approx(np.mean(scores[membership == 1] > top_nonmember))


def test_perfect_attack():
    membership = np.repeat([1, 0], 50)
    scores = membership + 0.01 * np.arange(100)
    assert tpr_at_fpr(membership, scores, fpr=0.0) == 1.0
    assert membership_advantage(membership, scores) == 1.0
    # The reversed attack ranks every non-member first.
    assert tpr_at_fpr(membership, -scores, fpr=0.99) == 0.0
    assert membership_advantage(membership, -scores) == 0.0


def test_random_attack_is_near_chance():
    rng = np.random.RandomState(0)
    membership = rng.randint(2, size=20_000)
    scores = rng.uniform(size=20_000)
    # KS two-sample 95% critical value is about 1.36 * sqrt(2 / 10_000) = 0.019.
    assert membership_advantage(membership, scores) < 0.025
    assert abs(tpr_at_fpr(membership, scores, fpr=0.1) - 0.1) < 0.02


def test_all_scores_tied():
    membership = np.repeat([1, 0], 10)
    scores = np.ones(20)
    assert tpr_at_fpr(membership, scores, fpr=0.99) == 0.0
    assert tpr_at_fpr(membership, scores, fpr=1.0) == 1.0
    assert membership_advantage(membership, scores) == 0.0


@pytest.mark.parametrize("decimals", [None, 1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_membership_advantage_matches_brute_force_and_ks(seed, decimals):
    membership, scores = _sample(seed, decimals=decimals)
    advantage = membership_advantage(membership, scores)
    assert advantage == pytest.approx(_brute_force_advantage(membership, scores))
    # The best threshold's advantage is the one-sided KS statistic.
    ks = ks_2samp(
        scores[membership == 1], scores[membership == 0], alternative="less"
    ).statistic
    assert advantage == pytest.approx(ks)
    assert isinstance(advantage, float)


def test_boolean_and_float_membership_are_accepted():
    membership, scores = _sample(0)
    expected = tpr_at_fpr(membership, scores, fpr=0.1)
    assert tpr_at_fpr(membership.astype(bool), scores, fpr=0.1) == expected
    assert tpr_at_fpr(membership.astype(float), scores, fpr=0.1) == expected
    assert tpr_at_fpr(list(membership), list(scores), fpr=0.1) == expected


_METRICS = [
    tpr_at_fpr,
    membership_advantage,
    empirical_epsilon,
    lambda m, s: roc_auc_ci(m, s, n_bootstraps=10),
    lambda m, s: tpr_at_fpr_ci(m, s, n_bootstraps=10),
    lambda m, s: bootstrap_ci(membership_advantage, m, s, n_bootstraps=10),
]


@pytest.mark.parametrize("metric", _METRICS)
@pytest.mark.parametrize(
    "membership, scores, match",
    [
        ([0, 1, 1], [0.1, 0.2], "inconsistent numbers of samples"),
        ([0, 1, 1], [0.1, np.nan, 0.3], "scores contains NaN"),
        ([0, 1, 1], [0.1, np.inf, 0.3], "scores contains infinity"),
        ([0, 1, 2], [0.1, 0.2, 0.3], r"only 0 \(non-member\) and 1 \(member\)"),
        (["a", "b", "b"], [0.1, 0.2, 0.3], r"only 0 \(non-member\) and 1"),
        ([1, 1, 1], [0.1, 0.2, 0.3], "both members .* and non-members"),
        ([0, 0], [0.1, 0.2], "both members .* and non-members"),
        ([0, 1], [[0.1, 0.2], [0.3, 0.4]], "1d array"),
        ([], [], "minimum of 1 is required"),
    ],
)
def test_invalid_input_raises(metric, membership, scores, match):
    with pytest.raises(ValueError, match=match):
        metric(membership, scores)


@pytest.mark.parametrize("fpr", [-0.1, 1.5, np.nan, [0.1, 2.0], []])
def test_tpr_at_fpr_invalid_fpr(fpr):
    membership, scores = _sample(0)
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr(membership, scores, fpr=fpr)
