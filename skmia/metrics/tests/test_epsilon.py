"""Tests of empirical_epsilon."""

import numpy as np
import pytest
from scipy.stats import binomtest

from skmia.metrics import empirical_epsilon


def _direct_epsilon(membership, scores, delta, confidence):
    """Loop over thresholds with two-sided exact (Clopper-Pearson) intervals.

    A two-sided interval at level ``confidence`` has one-sided bounds at
    level ``1 - (1 - confidence) / 2`` each: the union-bound split that
    :func:`empirical_epsilon` documents. The complementary test uses its own
    intervals on TNR and FNR, not the symmetry shortcut.
    """
    membership = np.asarray(membership)
    scores = np.asarray(scores, dtype=float)
    n_in, n_out = np.sum(membership == 1), np.sum(membership == 0)

    def interval(k, n):
        ci = binomtest(int(k), int(n)).proportion_ci(
            confidence_level=confidence, method="exact"
        )
        return ci.low, ci.high

    best = 0.0
    for t in np.append(np.unique(scores), np.inf):
        flagged = scores >= t
        tp = np.sum(flagged & (membership == 1))
        fp = np.sum(flagged & (membership == 0))
        tpr_low, _ = interval(tp, n_in)
        _, fpr_high = interval(fp, n_out)
        tnr_low, _ = interval(n_out - fp, n_out)
        _, fnr_high = interval(n_in - tp, n_in)
        if tpr_low > delta:
            best = max(best, np.log((tpr_low - delta) / fpr_high))
        if tnr_low > delta:
            best = max(best, np.log((tnr_low - delta) / fnr_high))
    return best


def test_perfect_separation_closed_form():
    # 10 members above 10 non-members. The best threshold has TP = 10,
    # FP = 0, where Clopper-Pearson bounds are closed-form:
    # TPR_low = a ** (1 / 10) and FPR_high = 1 - a ** (1 / 10), a = 0.025.
    membership = np.repeat([1, 0], 10)
    scores = np.linspace(1, 0, 20)
    root = 0.025 ** (1 / 10)
    expected = np.log((root - 1e-5) / (1 - root))
    assert empirical_epsilon(membership, scores) == pytest.approx(expected, rel=1e-9)
    assert empirical_epsilon(membership, scores, delta=0.0) == pytest.approx(
        np.log(root / (1 - root)), rel=1e-9
    )


@pytest.mark.parametrize(
    "membership, scores",
    [
        # hand-made, with ties across classes
        ([1, 1, 1, 0, 1, 0, 0, 1, 0, 0], [9, 8, 8, 8, 6, 5, 4, 3, 2, 1]),
        # the complementary test wins: members have the *lowest* scores
        ([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0], list(range(12))),
    ],
)
@pytest.mark.parametrize("delta", [0.0, 1e-5, 0.05])
@pytest.mark.parametrize("confidence", [0.5, 0.95])
def test_matches_direct_computation_small(membership, scores, delta, confidence):
    expected = _direct_epsilon(membership, scores, delta, confidence)
    got = empirical_epsilon(membership, scores, delta=delta, confidence=confidence)
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_complementary_test_counts():
    # Every member scores in 50..79; two thirds of the non-members score
    # lower, one third higher. "member if score >= t" never has TPR / FPR
    # above 3, so a bound above log(3) can only come from the complementary
    # test "non-member if score < t", whose TNR / FNR is unbounded at t = 50.
    membership = np.repeat([1, 0, 0], [30, 20, 10])
    scores = np.concatenate([np.arange(50, 80), np.arange(20), np.arange(80, 90)])
    eps = empirical_epsilon(membership, scores, confidence=0.5)
    assert eps > np.log(3) + 1
    assert eps == pytest.approx(_direct_epsilon(membership, scores, 1e-5, 0.5))


def test_reversed_scores_prove_nothing():
    # Scores are oriented (higher = member), as for membership_advantage.
    membership = np.repeat([1, 0], 30)
    scores = np.arange(60.0)
    assert empirical_epsilon(membership, scores) == 0.0
    assert empirical_epsilon(membership, -scores) > 2


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_direct_computation_random(seed):
    rng = np.random.RandomState(seed)
    membership = rng.randint(2, size=60)
    scores = np.round(rng.normal(loc=1.5 * membership), 1)
    assert empirical_epsilon(membership, scores) == pytest.approx(
        _direct_epsilon(membership, scores, 1e-5, 0.95), rel=1e-7, abs=1e-12
    )


def test_random_attack_gives_zero():
    rng = np.random.RandomState(1)
    membership = rng.randint(2, size=20_000)
    scores = rng.uniform(size=20_000)
    assert empirical_epsilon(membership, scores) == 0.0
    # At a threshold fixed in advance the bound is rigorous: zero for every
    # one of these random attacks.
    for seed in range(10):
        rng = np.random.RandomState(seed)
        membership = rng.randint(2, size=5_000)
        eps = empirical_epsilon(membership, rng.uniform(size=5_000), threshold=0.5)
        assert eps == 0.0


def test_grows_with_separation():
    rng = np.random.RandomState(0)
    membership = np.repeat([1, 0], 2_000)
    noise = rng.normal(size=4_000)
    eps = [
        empirical_epsilon(membership, noise + shift * membership)
        for shift in [0.0, 1.0, 2.0, 4.0]
    ]
    assert eps[0] < 0.2
    assert np.all(np.diff(eps) > 0.3)


def test_does_not_exceed_true_epsilon_of_randomized_response():
    # Randomized response on membership is exactly eps-DP (delta = 0): a
    # member answers 1 with probability e^eps / (1 + e^eps), a non-member
    # with probability 1 / (1 + e^eps). The lower bound must stay below eps
    # and, with many trials, come close to it.
    true_eps = 1.0
    p = np.exp(true_eps) / (1 + np.exp(true_eps))
    rng = np.random.RandomState(0)
    membership = np.repeat([1, 0], 20_000)
    answers = rng.uniform(size=40_000) < np.where(membership == 1, p, 1 - p)
    eps = empirical_epsilon(membership, answers.astype(float), delta=0.0)
    assert 0.85 < eps < true_eps


def test_more_confidence_or_delta_gives_smaller_bound():
    rng = np.random.RandomState(0)
    membership = np.repeat([1, 0], 500)
    scores = rng.normal(loc=2 * membership)
    base = empirical_epsilon(membership, scores, confidence=0.95)
    assert empirical_epsilon(membership, scores, confidence=0.99) < base
    assert empirical_epsilon(membership, scores, confidence=0.5) > base
    assert empirical_epsilon(membership, scores, delta=0.1) < base


def test_fixed_threshold():
    membership = np.repeat([1, 0], 10)
    scores = np.linspace(1, 0, 20)  # members score above 0.5
    best = empirical_epsilon(membership, scores)
    assert empirical_epsilon(membership, scores, threshold=0.5) == pytest.approx(best)
    # A worse threshold (flags 8 members, 0 non-members) proves less.
    worse = empirical_epsilon(membership, scores, threshold=0.6)
    assert 0 < worse < best
    assert worse == pytest.approx(
        _direct_epsilon(membership, np.where(scores >= 0.6, 1, 0), 1e-5, 0.95)
    )


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"delta": 1.0}, ValueError),
        ({"delta": -1e-5}, ValueError),
        ({"confidence": 1.0}, ValueError),
        ({"confidence": 0.0}, ValueError),
        ({"confidence": "high"}, TypeError),
        ({"threshold": "median"}, TypeError),
    ],
)
def test_invalid_parameters(kwargs, error):
    with pytest.raises(error):
        empirical_epsilon([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], **kwargs)
