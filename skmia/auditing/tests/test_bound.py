"""Tests of one_run_bound: guesses from scores, the union bound, soundness."""

import math

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm

from skmia.auditing import one_run_bound
from skmia.metrics import one_run_epsilon


def test_given_counts_guess_the_extremes_at_full_confidence():
    included = np.array([1, 1, 0, 1, 0, 0, 1, 0], dtype=bool)
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.05, 0.6, 0.3])
    result = one_run_bound(scores, included, k_positive=3, k_negative=2)
    # highest three: 0.9 (in), 0.8 (in), 0.7 (out); lowest two: 0.05 (out), 0.1 (in)
    np.testing.assert_array_equal(result.guesses, [1, 1, 1, -1, 0, -1, 0, 0])
    assert (result.n_guesses, result.n_correct, result.n_candidates) == (5, 3, 1)
    assert result.epsilon == one_run_epsilon(3, 5, 8)


def test_ties_are_broken_by_canary_order():
    scores = np.zeros(6)
    result = one_run_bound(scores, np.ones(6, bool), k_positive=2, k_negative=2)
    np.testing.assert_array_equal(result.guesses, [1, 1, 0, 0, -1, -1])


def test_default_grid_is_paid_for_with_a_union_bound():
    rng = np.random.default_rng(0)
    included = rng.random(1000) < 0.5
    scores = included + rng.normal(scale=0.5, size=1000)
    result = one_run_bound(scores, included)
    assert result.n_candidates == 15  # (k, 0), (0, k), (k, k), k = 10 .. 500
    correct = np.where(included, 1, -1)
    assert result.n_correct == np.sum(result.guesses == correct)
    assert result.n_guesses == np.count_nonzero(result.guesses)
    assert result.epsilon == one_run_epsilon(
        result.n_correct, result.n_guesses, 1000, confidence=1 - 0.05 / 15)
    # the chosen pair at the corrected level beats every other pair
    order = np.argsort(-scores, kind="stable")
    for k_pos, k_neg in [(10, 0), (0, 50), (100, 100), (500, 500)]:
        v = included[order[:k_pos]].sum() + (~included[order[1000 - k_neg:]]).sum()
        assert result.epsilon >= one_run_epsilon(
            int(v), k_pos + k_neg, 1000, confidence=1 - 0.05 / 15)


def test_one_count_given_searches_the_other():
    rng = np.random.default_rng(1)
    included = rng.random(200) < 0.5
    scores = rng.normal(size=200)
    result = one_run_bound(scores, included, k_positive=20)
    assert result.k_positive == 20
    assert result.n_candidates == 6  # k_negative in 0, 2, 10, 20, 50, 100


@pytest.mark.parametrize("epsilon", [1.0, 2.0, 4.0])
def test_union_bound_keeps_the_best_count_sound(epsilon):
    """epsilon-DP randomized response, m = 1000 canaries, counts from the grid.

    The published bits are the scores. Without the union bound the best of
    the 15 count pairs exceeds epsilon in 27% (epsilon = 1) and 19%
    (epsilon = 2) of such runs; with it, in at most 5% (+ 3 standard errors).
    Its mean is within 0.1 of epsilon - z / sqrt(m q (1 - q)) with z the
    1 - 0.05 / 15 normal quantile (2.71), as one_run_bound documents.
    """
    rng = np.random.default_rng(int(epsilon))
    m, n_runs, q = 1000, 500, expit(epsilon)
    included = rng.random((n_runs, m)) < 0.5
    published = np.where(rng.random((n_runs, m)) < q, included, ~included)
    bounds = np.array([one_run_bound(published[i].astype(float), included[i]).epsilon
                       for i in range(n_runs)])
    assert np.mean(bounds > epsilon) <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_runs)
    documented = epsilon - norm.ppf(1 - 0.05 / 15) / math.sqrt(m * q * (1 - q))
    assert abs(bounds.mean() - documented) < 0.1


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(k_positive=8, k_negative=4), ValueError, "fewer canaries than guesses"),
    (dict(k_positive=2.5), TypeError, "k_positive"),
    (dict(k_negative=-1), ValueError, "k_negative"),
    (dict(k_positive=0, k_negative=0), ValueError, "at least one guess"),
    (dict(confidence=1.2), ValueError, "confidence"),
])
def test_bad_counts_name_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        one_run_bound(np.arange(10.0), np.arange(10) % 2, **kwargs)


def test_bad_scores_and_inclusions():
    with pytest.raises(ValueError, match="finite"):
        one_run_bound([0.0, np.nan], [0, 1])
    with pytest.raises(ValueError, match="booleans or 0/1"):
        one_run_bound([0.0, 1.0], [0, 2])
    with pytest.raises(ValueError, match="inconsistent numbers"):
        one_run_bound([0.0, 1.0, 2.0], [0, 1])
