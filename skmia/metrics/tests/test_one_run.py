"""Tests of one_run_epsilon: exact binomial bounds, soundness, bad input."""

import math

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import binom, norm

from skmia.metrics import one_run_epsilon


def _search(p_value, significance, hi=60.0):
    """Largest epsilon in [0, hi] with ``p_value(epsilon) <= significance``.

    Plain bisection on a fine scale (tolerance 1e-11), assuming what the
    paper's Appendix D assumes: the p-value grows with epsilon.
    """
    if p_value(0.0) > significance:
        return 0.0
    lo = 0.0
    while hi - lo > 1e-11:
        mid = (lo + hi) / 2
        if p_value(mid) <= significance:
            lo = mid
        else:
            hi = mid
    return lo


def _direct_pure(v, r, confidence):
    """The delta = 0 bound by direct search over epsilon of the binomial tail."""
    return _search(lambda eps: binom.sf(v - 1, r, expit(eps)), 1 - confidence)


def _direct_approximate(v, r, m, delta, confidence):
    """The delta > 0 bound, with the paper's p-value written as a plain loop."""

    def p_value(eps):
        q = math.exp(eps) / (1 + math.exp(eps))
        worst, below = 0.0, 0.0
        for i in range(1, v + 1):
            below += binom.pmf(v - i, r, q)  # P[v - i <= Binomial(r, q) < v]
            worst = max(worst, below / i)
        return min(1.0, binom.sf(v - 1, r, q) + 2 * m * delta * worst)

    return _search(p_value, 1 - confidence)


@pytest.mark.parametrize("v, r", [(1, 1), (5, 5), (60, 100), (100, 100), (90, 100),
                                  (560, 1000), (731, 1000), (990, 1000),
                                  (4000, 5000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_pure_bound_matches_direct_binomial_search(v, r, confidence):
    expected = _direct_pure(v, r, confidence)
    assert one_run_epsilon(v, r, max(r, 1000), confidence=confidence) == pytest.approx(
        expected, abs=1e-6)


@pytest.mark.parametrize("v, r, m, delta", [
    (100, 100, 1000, 1e-5), (95, 100, 1000, 1e-3), (731, 1000, 1000, 1e-5),
    (180, 200, 10_000, 1e-4), (40, 50, 100, 0.02),
])
def test_approximate_bound_matches_appendix_d_loop(v, r, m, delta):
    expected = _direct_approximate(v, r, m, delta, 0.95)
    got = one_run_epsilon(v, r, m, delta=delta)
    assert got == pytest.approx(expected, abs=1e-6)
    # the delta term can only make the bound smaller
    assert got < one_run_epsilon(v, r, m)


def test_all_correct_guesses_give_the_closed_form():
    # r correct out of r: P[Binomial(r, q) >= r] = q ** r = 1 - confidence
    for r in (10, 100, 1000):
        q = 0.05 ** (1 / r)
        expected = math.log(q / (1 - q))
        assert one_run_epsilon(r, r, r) == pytest.approx(expected, abs=1e-9)
    assert one_run_epsilon(100, 100, 1000) == pytest.approx(3.4930, abs=1e-4)


def test_delta_term_grows_with_the_number_of_canaries():
    bounds = [one_run_epsilon(95, 100, m, delta=1e-4) for m in (100, 1000, 10_000)]
    assert bounds[0] > bounds[1] > bounds[2] > 0
    # without delta the number of canaries does not matter
    assert one_run_epsilon(95, 100, 100) == one_run_epsilon(95, 100, 10_000)
    bounds = [one_run_epsilon(100, 100, 1000, delta=d) for d in (0, 1e-5, 1e-3)]
    assert bounds[0] > bounds[1] > bounds[2] > 0


def test_chance_level_and_no_guesses_prove_nothing():
    assert one_run_epsilon(0, 0, 1000) == 0.0
    assert one_run_epsilon(0, 100, 1000) == 0.0
    assert one_run_epsilon(50, 100, 1000) == 0.0
    assert one_run_epsilon(58, 100, 1000) == 0.0  # P[Bin(100, 1/2) >= 58] = 0.067
    assert one_run_epsilon(59, 100, 1000) > 0.0  # P[Bin(100, 1/2) >= 59] = 0.044


def test_more_confidence_gives_a_smaller_bound():
    bounds = [one_run_epsilon(90, 100, 1000, confidence=c) for c in (0.5, 0.9, 0.99)]
    assert bounds[0] > bounds[1] > bounds[2] > 0


@pytest.mark.parametrize("epsilon", [1.0, 2.0, 4.0])
def test_sound_for_randomized_response(epsilon):
    """epsilon-DP randomized response on m = 1000 canaries, every canary guessed.

    The mechanism publishes each canary's inclusion bit, flipped with
    probability 1 / (1 + e^epsilon); the auditor guesses the published bit.
    The bound must exceed epsilon in at most 5% of the runs (+ 3 standard
    errors of the simulated rate), and its mean must be within 0.05 of
    epsilon - z / sqrt(m q (1 - q)), the distance documented in Notes
    (z = 1.645 at 95%, q = e^epsilon / (1 + e^epsilon)).
    """
    rng = np.random.default_rng(int(epsilon))
    m, n_runs, q = 1000, 2000, expit(epsilon)
    included = rng.random((n_runs, m)) < 0.5
    published = np.where(rng.random((n_runs, m)) < q, included, ~included)
    n_correct = np.sum(published == included, axis=1)
    bounds = np.array([one_run_epsilon(int(v), m, m) for v in n_correct])

    exceed = np.mean(bounds > epsilon)
    assert exceed <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_runs)
    documented = epsilon - norm.ppf(0.95) / math.sqrt(m * q * (1 - q))
    assert abs(bounds.mean() - documented) < 0.05
    assert bounds.mean() < epsilon


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_correct=5, n_guesses=20, n_canaries=10), ValueError, "n_canaries=10"),
    (dict(n_correct=30, n_guesses=20, n_canaries=100), ValueError, "n_correct=30"),
    (dict(n_correct=5.5, n_guesses=20, n_canaries=100), TypeError, "n_correct"),
    (dict(n_correct=5, n_guesses=20.0, n_canaries=100), TypeError, "n_guesses"),
    (dict(n_correct=5, n_guesses=20, n_canaries="100"), TypeError, "n_canaries"),
    (dict(n_correct=-1, n_guesses=20, n_canaries=100), ValueError, "n_correct"),
    (dict(n_correct=5, n_guesses=20, n_canaries=100, confidence=1.0), ValueError,
     r"confidence must be in \(0, 1\)"),
    (dict(n_correct=5, n_guesses=20, n_canaries=100, confidence=0), ValueError,
     "confidence"),
    (dict(n_correct=5, n_guesses=20, n_canaries=100, delta=1.0), ValueError, "delta"),
    (dict(n_correct=5, n_guesses=20, n_canaries=100, delta=-1e-5), ValueError,
     "delta"),
])
def test_bad_input_names_the_parameter(kwargs, error, match):
    with pytest.raises(error, match=match):
        one_run_epsilon(**kwargs)


def test_numpy_integers_are_counts():
    assert one_run_epsilon(np.int64(90), np.int32(100), np.uint16(1000)) == (
        one_run_epsilon(90, 100, 1000))
