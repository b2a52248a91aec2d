"""Empirical differential-privacy lower bound implied by an attack."""

import numbers

import numpy as np
from scipy.stats import beta
from sklearn.metrics import roc_curve

from ._docstring import _fill_doc
from ._validation import _check_fraction, check_membership_scores


def _clopper_pearson_lower(k, n, alpha):
    """One-sided ``1 - alpha`` Clopper-Pearson lower bound on a proportion."""
    k = np.asarray(k, dtype=np.float64)
    # Beta(0, .) is undefined: the bound for zero successes is 0.
    bound = beta.ppf(alpha, np.maximum(k, 1), n - k + 1)
    return np.where(k > 0, bound, 0.0)


def _clopper_pearson_upper(k, n, alpha):
    """One-sided ``1 - alpha`` Clopper-Pearson upper bound on a proportion."""
    k = np.asarray(k, dtype=np.float64)
    # Beta(., 0) is undefined: the bound for n successes out of n is 1.
    bound = beta.ppf(1 - alpha, k + 1, np.maximum(n - k, 1))
    return np.where(k < n, bound, 1.0)


def _epsilon_from_counts(tp, fp, n_members, n_nonmembers, delta, confidence):
    """Largest epsilon lower bound over the given confusion counts."""
    alpha = (1 - confidence) / 2  # union bound over the two one-sided bounds
    tpr_low = _clopper_pearson_lower(tp, n_members, alpha)
    fpr_high = _clopper_pearson_upper(fp, n_nonmembers, alpha)
    # A lower bound on TNR is 1 - fpr_high and an upper bound on FNR is
    # 1 - tpr_low (Clopper-Pearson bounds are symmetric), so the same two
    # events bound both tests. Both denominators are > 0 for any counts.
    with np.errstate(divide="ignore"):
        eps_members = np.log(np.clip(tpr_low - delta, 0, None) / fpr_high)
        eps_nonmembers = np.log(np.clip(1 - fpr_high - delta, 0, None) / (1 - tpr_low))
    return float(max(0.0, np.max(eps_members), np.max(eps_nonmembers)))


@_fill_doc
def empirical_epsilon(
    membership, scores, delta=1e-5, confidence=0.95, *, threshold=None
):
    """Lower bound on the differential-privacy epsilon implied by an attack.

    If the training algorithm is ``(epsilon, delta)``-differentially private,
    every membership test satisfies ``TPR <= exp(epsilon) * FPR + delta``
    and, for the complementary test, ``TNR <= exp(epsilon) * FNR + delta``.
    An attack with a high TPR at a low FPR therefore proves that epsilon is
    at least ``log((TPR - delta) / FPR)``. Following Jagielski et al. (2020)
    and Nasr et al. (2021), the rates are replaced by one-sided
    Clopper-Pearson bounds (a lower bound on TPR and an upper bound on FPR,
    from :func:`scipy.stats.beta`), so that the result is a lower bound at the
    given confidence rather than a point estimate::

        epsilon = max(0,
                      log((TPR_low - delta) / FPR_high),
                      log((TNR_low - delta) / FNR_high))

    maximised over every threshold of :func:`~sklearn.metrics.roc_curve`
    (``drop_intermediate=False``), unless ``threshold`` fixes one.

    Parameters
    ----------
    {membership}

    {scores}

    delta : float, default=1e-5
        The ``delta`` of the ``(epsilon, delta)`` guarantee, in [0, 1).

    confidence : float, default=0.95
        Confidence level of the bound, in (0, 1). It is split between the two
        one-sided Clopper-Pearson bounds by a union bound: the TPR lower
        bound and the FPR upper bound are each computed at level
        ``1 - (1 - confidence) / 2``, so both hold together with probability
        at least ``confidence``. The complementary test needs no further
        split: its TNR lower bound is ``1 - FPR_high`` and its FNR upper bound
        ``1 - TPR_low``, the same two events.

    threshold : float, default=None
        If given, evaluate only the attack "member if ``score >= threshold``"
        (and its complement) instead of maximising over all thresholds. Pick
        it on data separate from ``membership`` and ``scores`` for a rigorous
        audit, see Notes.

    Returns
    -------
    epsilon : float
        The lower bound on epsilon, ``>= 0``; ``0`` when the attack proves
        nothing at this confidence (e.g. a random attack). Scores are taken
        as oriented: scores that rank members *below* non-members prove
        nothing, as for :func:`membership_advantage`.

    See Also
    --------
    membership_advantage : Largest TPR - FPR over thresholds.
    tpr_at_fpr : TPR at a fixed low FPR.

    Notes
    -----
    For a fixed threshold the bound holds with probability at least
    ``confidence`` (taking the larger of the two complementary tests keeps
    that guarantee, as both rest on the same two bounds). Maximising over
    all thresholds of the same scores, the default, is optimistic: the
    threshold is selected where the sampling noise happens to favour the
    attack, so the returned value can exceed the true lower bound more often
    than ``1 - confidence``. For a rigorous audit choose the threshold on
    separate data (e.g. shadow models or a held-out half of the records) and
    pass it as ``threshold``.

    The bound also treats the records as independent trials of the
    membership game. That is exact when every trial trains its own model
    (as in Jagielski et al. and Nasr et al.); for many records audited
    against a single trained model it is a heuristic (see Steinke et al.,
    2023, for a rigorous one-run audit).

    The sample size caps the value: with ``n`` non-members the FPR upper
    bound is never below about ``log(2 / (1 - confidence)) / n``, so even a
    perfect attack certifies at most about
    ``log(n / log(2 / (1 - confidence)))`` (4.9 for 500 members and 500
    non-members at 95%). Only large audits can certify large epsilons.

    References
    ----------
    .. [1] M. Jagielski, J. Ullman and A. Oprea, "Auditing Differentially
       Private Machine Learning: How Private is Private SGD?", NeurIPS, 2020.
    .. [2] M. Nasr, S. Song, A. Thakurta, N. Papernot and N. Carlini,
       "Adversary Instantiation: Lower Bounds for Differentially Private
       Machine Learning", IEEE Symposium on Security and Privacy, 2021.
    .. [3] T. Steinke, M. Nasr and M. Jagielski, "Privacy Auditing with One
       (1) Training Run", NeurIPS, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.metrics import empirical_epsilon
    >>> membership = np.repeat([1, 0], 500)
    >>> perfect = membership.astype(float)
    >>> round(empirical_epsilon(membership, perfect), 2)
    4.91
    >>> rng = np.random.RandomState(0)
    >>> empirical_epsilon(membership, rng.uniform(size=1000))
    0.0
    """
    membership, scores = check_membership_scores(membership, scores)
    delta = _check_fraction(delta, "delta", closed_high=False)
    confidence = _check_fraction(
        confidence, "confidence", closed_low=False, closed_high=False
    )
    n_members = int(membership.sum())
    n_nonmembers = membership.size - n_members

    if threshold is None:
        fpr, tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
        # The rates are exact ratios of counts; recover the counts.
        tp = np.rint(tpr * n_members)
        fp = np.rint(fpr * n_nonmembers)
    else:
        if isinstance(threshold, (bool, np.bool_)) or not isinstance(
            threshold, numbers.Real
        ):
            raise TypeError(f"threshold must be a real number; got {threshold!r}.")
        flagged = scores >= threshold
        tp = np.count_nonzero(flagged & (membership == 1))
        fp = np.count_nonzero(flagged & (membership == 0))
    return _epsilon_from_counts(tp, fp, n_members, n_nonmembers, delta, confidence)
