"""Lower bound on epsilon from one training run (Steinke, Nasr & Jagielski 2023)."""

import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import beta, binom

from ._validation import _check_fraction

__all__ = ["one_run_epsilon"]

# Points of the bracketing grid for delta > 0 (see _largest_rejected_epsilon).
_GRID_POINTS = 65


def _check_count(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer (a count of canaries or guesses); "
            f"got {value!r}."
        )
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}.")
    return int(value)


def _check_counts(n_correct, n_guesses, n_canaries):
    v = _check_count(n_correct, "n_correct")
    r = _check_count(n_guesses, "n_guesses")
    m = _check_count(n_canaries, "n_canaries")
    if r > m:
        raise ValueError(
            f"n_guesses={r} exceeds n_canaries={m}: each guess is about one "
            "canary, so there are at most as many guesses as canaries."
        )
    if v > r:
        raise ValueError(
            f"n_correct={v} exceeds n_guesses={r}: only guesses can be correct."
        )
    return v, r, m


def _pure_dp_bound(v, r, alpha):
    """Largest epsilon with ``P[Binomial(r, expit(epsilon)) >= v] <= alpha``.

    ``P[Binomial(r, q) >= v]`` is the regularised incomplete beta function
    ``I_q(v, r - v + 1)``, increasing in ``q``, so the answer is the logit of
    its ``alpha`` quantile (the one-sided Clopper-Pearson lower bound on the
    accuracy ``v / r``). ``1 - q`` is the ``1 - alpha`` quantile of the
    mirrored beta law, so the logit keeps full precision near ``q = 1``.
    """
    q = beta.ppf(alpha, v, r - v + 1)
    one_minus_q = beta.isf(alpha, r - v + 1, v)
    return float(np.log(q) - np.log(one_minus_q))


def _p_value(epsilon, v, r, m, delta):
    """Steinke et al.'s bound on ``P[>= v correct of r]`` under (epsilon, delta)-DP.

    ``P[W >= v] <= P[W' >= v] + 2 m delta max_{1<=i<=v} P[v - i <= W' < v] / i``
    with ``W' ~ Binomial(r, e^epsilon / (1 + e^epsilon))``: their bound for
    approximate DP, in the closed form of their Appendix D.
    """
    q = expit(epsilon)
    tail = binom.sf(v - 1, r, q)
    # P[v - i <= W' < v] for i = 1 .. v, summed downwards from v - 1
    below = np.cumsum(binom.pmf(np.arange(v - 1, -1, -1), r, q))
    alpha = np.max(below / np.arange(1, v + 1))
    return min(tail + 2 * m * delta * alpha, 1.0)


def _largest_rejected_epsilon(v, r, m, delta, significance, upper):
    """``sup {epsilon in [0, upper] : p_value(epsilon) <= significance}``, or 0.

    An (epsilon, delta)-DP algorithm is (epsilon', delta)-DP for every
    epsilon' > epsilon, so rejecting epsilon' rejects every smaller epsilon:
    the supremum is the bound even where the p-value is not monotone (it is
    non-decreasing in every case we checked). A grid brackets the largest
    crossing and Brent's method refines it to ``xtol=1e-12``.
    """
    grid = np.linspace(0.0, upper, _GRID_POINTS)
    p_values = np.array([_p_value(eps, v, r, m, delta) for eps in grid])
    rejected = np.flatnonzero(p_values <= significance)
    if rejected.size == 0:
        return 0.0
    last = rejected[-1]
    if last == grid.size - 1:  # cannot happen for delta > 0, kept for safety
        return float(upper)
    return float(brentq(
        lambda eps: _p_value(eps, v, r, m, delta) - significance,
        grid[last], grid[last + 1], xtol=1e-12, rtol=4 * np.finfo(float).eps,
    ))


def one_run_epsilon(n_correct, n_guesses, n_canaries, *, delta=0.0, confidence=0.95):
    """Lower bound on epsilon from guessing which canaries one model trained on.

    The audit of Steinke, Nasr and Jagielski [1]_ needs a single training
    run: ``n_canaries`` records (the canaries) are each included in the
    training set independently with probability 1/2, the model is trained
    once, and an auditor who sees the trained model (not the coin flips)
    guesses "included" or "excluded" for ``n_guesses`` of the canaries and
    abstains on the others. If training is (epsilon, delta)-differentially
    private, the number ``W`` of correct guesses is stochastically dominated
    by a binomial variable (their main theorem for delta = 0, plus a delta
    term for delta > 0): with ``q = e^epsilon / (1 + e^epsilon)``, the
    accuracy of epsilon-DP randomized response,

    .. math::

        P[W \\ge v] \\le P[\\mathrm{Binomial}(r, q) \\ge v]
            + 2 m \\delta \\max_{1 \\le i \\le v}
              \\frac{P[v - i \\le \\mathrm{Binomial}(r, q) < v]}{i},

    where ``v = n_correct``, ``r = n_guesses`` and ``m = n_canaries``. The
    right-hand side is a p-value for the hypothesis "training is
    (epsilon, delta)-DP"; the returned bound is the largest epsilon that it
    rejects at level ``1 - confidence``. So the training algorithm is *not*
    (epsilon', delta)-DP for any epsilon' below the bound, with confidence
    ``confidence``: the bound exceeds the true epsilon with probability at
    most ``1 - confidence``.

    Everything is computed exactly, never by simulation: for ``delta = 0``
    the bound is the logit of the one-sided Clopper-Pearson lower bound on
    the accuracy ``v / r`` (a beta quantile); for ``delta > 0`` the binomial
    terms are summed as in the authors' Appendix D and the largest rejected
    epsilon is found by Brent's method (to ``1e-12``).

    Parameters
    ----------
    n_correct : int
        Number of correct guesses ``v`` (``0 <= n_correct <= n_guesses``).

    n_guesses : int
        Number of guesses ``r``, abstentions excluded
        (``n_guesses <= n_canaries``).

    n_canaries : int
        Number of canaries ``m`` whose inclusion was randomised, guessed or
        not. It enters only through the delta term.

    delta : float, default=0.0
        The delta of the (epsilon, delta) hypothesis, in [0, 1). Use the
        delta at which the training algorithm's epsilon is claimed to
        compare the two.

    confidence : float, default=0.95
        Confidence level of the bound, in (0, 1).

    Returns
    -------
    epsilon : float
        The lower bound, ``>= 0``; ``0.0`` when the guesses prove nothing at
        this confidence (e.g. no guesses, or a success rate compatible with
        chance).

    Raises
    ------
    TypeError
        If a count is not an integer, or ``delta`` or ``confidence`` is not
        a real number.
    ValueError
        If a count is negative, ``n_correct > n_guesses`` or
        ``n_guesses > n_canaries``, or ``delta`` or ``confidence`` is out of
        range.

    See Also
    --------
    empirical_epsilon : A lower bound from many models (or many audited
        records, heuristically) and a ROC curve.
    skmia.auditing.OneRunAudit : Runs the whole audit on an estimator.

    Notes
    -----
    **Assumptions.** The canaries' inclusions must be independent fair coin
    flips drawn before training, and the guesses may depend on the trained
    model, on the canaries themselves and on anything else independent of
    the coin flips, but never on the coin flips (the guesses for one canary
    must not use the inclusion of another either). The number of guesses
    ``r`` must be fixed without looking at which guesses are correct: an
    ``r`` (or a threshold) picked to maximise the bound on the same coin
    flips is optimistic, unless the confidence is corrected for the number
    of choices tried, as :class:`~skmia.auditing.OneRunAudit` does.

    **What it can show.** Even perfect guesses prove only a bounded epsilon:
    ``r`` correct guesses out of ``r`` give ``logit((1 - confidence) ** (1 /
    r))``, 3.49 for ``r = 100`` and 5.81 for ``r = 1000`` at 95%
    confidence. For epsilon-DP randomized response (each guess independently
    right with probability ``q``), where the bound is tight, guessing all
    ``m`` canaries gives on average about ``epsilon - z / sqrt(m q (1 -
    q))``, with ``z`` the standard normal ``confidence`` quantile: 0.12, 0.16
    and 0.39 below epsilon = 1, 2 and 4 for ``m = 1000`` at 95%. With
    ``delta > 0`` the bound is never larger than with ``delta = 0``, and it
    shrinks as ``n_canaries * delta`` grows (the 2 m delta term).

    References
    ----------
    .. [1] T. Steinke, M. Nasr and M. Jagielski, "Privacy Auditing with One
       (1) Training Run", NeurIPS 2023 (the main theorem, its extension to
       approximate DP, and the algorithm of Appendix D).

    Examples
    --------
    All of 100 guesses right, at 95% confidence:

    >>> from skmia.metrics import one_run_epsilon
    >>> round(one_run_epsilon(100, 100, 1000), 4)
    3.493
    >>> round(one_run_epsilon(100, 100, 1000, delta=1e-5), 4)
    3.4654

    60% of 500 guesses right proves a small epsilon; 52% proves nothing:

    >>> round(one_run_epsilon(300, 500, 1000), 4)
    0.2517
    >>> one_run_epsilon(260, 500, 1000)
    0.0
    """
    v, r, m = _check_counts(n_correct, n_guesses, n_canaries)
    delta = _check_fraction(delta, "delta", closed_high=False)
    confidence = _check_fraction(
        confidence, "confidence", closed_low=False, closed_high=False
    )
    significance = 1.0 - confidence
    if v == 0:
        return 0.0
    pure = _pure_dp_bound(v, r, significance)
    if pure <= 0.0:
        return 0.0
    if delta == 0.0:
        return pure
    # The delta term only adds to the p-value: the bound is at most `pure`.
    return _largest_rejected_epsilon(v, r, m, delta, significance, upper=pure)
