"""From canary scores to a one-run epsilon bound: guesses, counts, confidence."""

import math
import numbers

import numpy as np
from sklearn.utils import Bunch, check_consistent_length, column_or_1d

from ..metrics import one_run_epsilon

__all__ = ["one_run_bound"]

#: Guess counts tried by default, as fractions of the number of canaries.
GRID_FRACTIONS = (0.01, 0.05, 0.1, 0.25, 0.5)


def _check_k(value, name, n_canaries):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative integer or None; got {value!r}."
        )
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}.")
    if value > n_canaries:
        raise ValueError(
            f"{name}={value} exceeds the number of canaries ({n_canaries}): "
            "there are fewer canaries than guesses."
        )
    return int(value)


def candidate_guess_counts(n_canaries, k_positive=None, k_negative=None):
    """The ``(k_positive, k_negative)`` pairs the bound is maximised over.

    A given count is kept; a ``None`` count takes the values
    ``ceil(f * n_canaries)`` for ``f`` in :data:`GRID_FRACTIONS` (at most
    half of the canaries for each side). With both counts ``None`` the pairs
    are ``(k, 0)``, ``(0, k)`` and ``(k, k)``: only positive guesses, only
    negative guesses, or both; 15 pairs for 1000 canaries.
    """
    k_positive = _check_k(k_positive, "k_positive", n_canaries)
    k_negative = _check_k(k_negative, "k_negative", n_canaries)
    grid = sorted({min(math.ceil(f * n_canaries), n_canaries // 2)
                   for f in GRID_FRACTIONS} - {0})
    if k_positive is not None and k_negative is not None:
        if k_positive + k_negative > n_canaries:
            raise ValueError(
                f"k_positive={k_positive} and k_negative={k_negative} make "
                f"{k_positive + k_negative} guesses for {n_canaries} canaries: "
                "there are fewer canaries than guesses."
            )
        pairs = [(k_positive, k_negative)]
    elif k_positive is not None:
        pairs = [(k_positive, k) for k in [0, *grid]]
    elif k_negative is not None:
        pairs = [(k, k_negative) for k in [0, *grid]]
    else:
        pairs = ([(k, 0) for k in grid] + [(0, k) for k in grid]
                 + [(k, k) for k in grid])
    pairs = [(p, n) for p, n in pairs if p + n <= n_canaries and p + n > 0]
    if not pairs:
        raise ValueError(
            f"k_positive={k_positive} and k_negative={k_negative} leave no "
            f"count of guesses to try for {n_canaries} canaries: there must be "
            "at least one guess."
        )
    return pairs


def one_run_bound(scores, included, *, k_positive=None, k_negative=None, delta=0.0,
                  confidence=0.95):
    """The one-run epsilon bound of canary scores, with the guess counts chosen.

    Following Steinke, Nasr and Jagielski [1]_ (their Algorithm 1), the
    auditor guesses "included" for the ``k_positive`` canaries with the
    highest scores and "excluded" for the ``k_negative`` ones with the
    lowest, abstains on the others, and
    :func:`~skmia.metrics.one_run_epsilon` turns the number of correct
    guesses into a lower bound on epsilon. Ties in the scores are broken by
    canary order, which must not depend on the inclusions.

    **Choosing the counts without optimism.** A count that is not given is
    chosen from a small grid (see Notes) on the same canaries, *with a union
    bound*: every candidate pair is evaluated at confidence ``1 - (1 -
    confidence) / n_candidates``, and the largest of these bounds is
    returned. The probability that *any* of them exceeds the true epsilon
    is then at most ``1 - confidence``, so the maximum is a valid bound at
    ``confidence``, not an optimistic one. We prefer this to choosing the
    counts on a held-out half of the canaries: the bound needs many guesses,
    and halving them costs more than the union bound's stricter level (for
    100 correct guesses out of 100, the 15-candidate correction lowers the
    bound from 3.49 to 2.84, while 50 out of 50 give 2.78). Counts given by
    the user are used as they are, at ``confidence``.

    Parameters
    ----------
    scores : array-like of shape (n_canaries,)
        Membership scores of the canaries, higher meaning more likely
        included; computed from the trained model only.
    included : array-like of shape (n_canaries,)
        Whether each canary was in the training set (bool or 0/1): the fair
        coin flips of the audit.
    k_positive : int, default=None
        Number of "included" guesses, or ``None`` to choose it.
    k_negative : int, default=None
        Number of "excluded" guesses, or ``None`` to choose it.
    delta : float, default=0.0
        The delta of the (epsilon, delta) hypothesis, in [0, 1).
    confidence : float, default=0.95
        Confidence level of the returned bound, in (0, 1).

    Returns
    -------
    result : Bunch
        ``epsilon`` (the bound), ``k_positive`` and ``k_negative`` (the
        counts that gave it), ``n_guesses``, ``n_correct``, ``guesses`` (an
        int array of shape (n_canaries,): 1 = guessed included, -1 = guessed
        excluded, 0 = abstained) and ``n_candidates`` (how many count pairs
        the union bound covers).

    See Also
    --------
    skmia.metrics.one_run_epsilon : The bound for given counts.
    OneRunAudit : Inserts canaries, trains, scores and calls this function.

    Notes
    -----
    The grid takes ``k = ceil(f * n_canaries)`` for ``f`` in 1%, 5%, 10%,
    25% and 50% (capped at half the canaries) and tries ``(k, 0)``,
    ``(0, k)`` and ``(k, k)``: confident "included" guesses only (the
    strongest signal of mislabelled canaries, which an overfitted model
    memorises), confident "excluded" guesses only (high-loss records are
    rarely members), or both. With one count given, the other runs over
    ``0`` and the same ``k``.

    For epsilon-DP randomized response on ``m`` canaries (each published
    bit right with probability ``q = e^epsilon / (1 + e^epsilon)``), the
    default grid's bound averages about ``epsilon - z / sqrt(m q (1 - q))``
    with ``z`` the normal quantile at the corrected level (2.71 at 95% for
    15 pairs): 0.19, 0.26 and 0.65 below epsilon = 1, 2 and 4 for
    ``m = 1000``, and it exceeds epsilon in fewer than 5% of runs, where
    the best pair without the correction does so in 27% of runs at
    epsilon = 1.

    References
    ----------
    .. [1] T. Steinke, M. Nasr and M. Jagielski, "Privacy Auditing with One
       (1) Training Run", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.auditing import one_run_bound
    >>> rng = np.random.default_rng(0)
    >>> included = rng.random(1000) < 0.5
    >>> scores = included + rng.normal(scale=0.3, size=1000)  # a strong signal
    >>> result = one_run_bound(scores, included)
    >>> result.k_positive, result.k_negative, result.n_correct
    (250, 250, 500)
    >>> round(result.epsilon, 2)
    4.47
    """
    scores = column_or_1d(np.asarray(scores, dtype=np.float64))
    included = column_or_1d(np.asarray(included))
    check_consistent_length(scores, included)
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite.")
    if not np.all(np.isin(included, (0, 1))):
        raise ValueError("included must hold booleans or 0/1 values.")
    included = included.astype(bool)
    if not (isinstance(confidence, numbers.Real) and 0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    m = scores.size
    pairs = candidate_guess_counts(m, k_positive, k_negative)
    per_candidate = 1.0 - (1.0 - confidence) / len(pairs)
    order = np.argsort(-scores, kind="stable")  # highest first, ties by position
    best = None
    for k_pos, k_neg in pairs:
        top, bottom = order[:k_pos], order[m - k_neg:]
        n_correct = int(included[top].sum() + (~included[bottom]).sum())
        epsilon = one_run_epsilon(n_correct, k_pos + k_neg, m, delta=delta,
                                  confidence=per_candidate)
        if best is None or epsilon > best.epsilon:
            best = Bunch(epsilon=epsilon, k_positive=k_pos, k_negative=k_neg,
                         n_guesses=k_pos + k_neg, n_correct=n_correct)
    guesses = np.zeros(m, dtype=np.int64)
    guesses[order[:best.k_positive]] = 1
    guesses[order[m - best.k_negative:]] = -1
    best.update(guesses=guesses, n_candidates=len(pairs))
    return best
