"""Stratified bootstrap confidence intervals for membership metrics."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._docstring import _fill_doc
from ._roc import _check_fpr_levels
from ._validation import _check_fraction, check_membership_scores

# Resamples are drawn in chunks of about this many indices, to bound memory.
_CHUNK_ELEMENTS = 2**21


def _check_bootstrap_params(confidence, n_bootstraps):
    confidence = _check_fraction(
        confidence, "confidence", closed_low=False, closed_high=False
    )
    if (
        isinstance(n_bootstraps, (bool, np.bool_))
        or not isinstance(n_bootstraps, numbers.Integral)
        or n_bootstraps < 1
    ):
        raise ValueError(
            f"n_bootstraps must be a positive integer; got {n_bootstraps!r}."
        )
    return confidence, int(n_bootstraps)


def _stratified_resamples(n_members, n_nonmembers, n_bootstraps, random_state):
    """Yield chunks of stratified bootstrap indices.

    Each chunk is a pair ``(member_rows, nonmember_rows)`` of integer arrays
    of shapes ``(n_chunk, n_members)`` and ``(n_chunk, n_nonmembers)``:
    positions, drawn with replacement, within the members and within the
    non-members. The draws depend only on the sizes, ``n_bootstraps`` and
    ``random_state``, so every statistic computed from the same seed sees
    the same resamples.
    """
    rng = check_random_state(random_state)
    chunk = max(1, _CHUNK_ELEMENTS // (n_members + n_nonmembers))
    for start in range(0, n_bootstraps, chunk):
        size = min(chunk, n_bootstraps - start)
        yield (
            rng.randint(n_members, size=(size, n_members)),
            rng.randint(n_nonmembers, size=(size, n_nonmembers)),
        )


def _row_counts(rows, n):
    """``counts[b, i]``: how often ``i`` occurs in ``rows[b]``."""
    n_rows = rows.shape[0]
    flat = (rows + n * np.arange(n_rows)[:, None]).ravel()
    return np.bincount(flat, minlength=n_rows * n).reshape(n_rows, n)


def _cumulative_counts(rows, order, n):
    """Counts of resampled points among the ``k`` smallest, for k = 0..n.

    ``order`` sorts the class's scores; the result has shape
    ``(n_rows, n + 1)`` with a leading column of zeros.
    """
    counts = _row_counts(rows, n)[:, order]
    cumulative = np.zeros((rows.shape[0], n + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=cumulative[:, 1:])
    return cumulative


def _percentile_interval(statistics, confidence):
    alpha = 1 - confidence
    low, high = np.quantile(statistics, [alpha / 2, 1 - alpha / 2], axis=0)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


@_fill_doc
def bootstrap_ci(
    metric,
    membership,
    scores,
    *,
    confidence=0.95,
    n_bootstraps=1000,
    random_state=None,
):
    """Stratified bootstrap confidence interval of any membership metric.

    Parameters
    ----------
    metric : callable
        ``metric(membership, scores)`` returning a float (or an array of
        floats), such as :func:`~sklearn.metrics.roc_auc_score` or
        :func:`tpr_at_fpr`. Use :func:`functools.partial` to fix other
        arguments.

    {membership}

    {scores}

    {resampling}

    Returns
    -------
    low, high : float or ndarray
        Bounds of the percentile interval; arrays if ``metric`` returns
        arrays.

    See Also
    --------
    roc_auc_ci : The same interval for the ROC AUC, vectorised.
    tpr_at_fpr_ci : The same interval for the TPR at a fixed FPR, vectorised.

    Notes
    -----
    {bootstrap_notes}

    ``metric`` is called ``n_bootstraps`` times on resampled copies; the
    dedicated :func:`roc_auc_ci` and :func:`tpr_at_fpr_ci` draw the same
    resamples for the same ``random_state`` and give the same intervals,
    much faster.

    References
    ----------
    .. [1] B. Efron and R. J. Tibshirani, "An Introduction to the Bootstrap",
       Chapman & Hall, 1993.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import average_precision_score
    >>> from skmia.metrics import bootstrap_ci
    >>> rng = np.random.RandomState(0)
    >>> membership = np.repeat([1, 0], 200)
    >>> scores = rng.normal(loc=membership)
    >>> low, high = bootstrap_ci(average_precision_score, membership, scores,
    ...                          n_bootstraps=200, random_state=0)
    >>> bool(low < average_precision_score(membership, scores) < high)
    True
    """
    if not callable(metric):
        raise TypeError(f"metric must be callable; got {metric!r}.")
    membership, scores = check_membership_scores(membership, scores)
    confidence, n_bootstraps = _check_bootstrap_params(confidence, n_bootstraps)
    members = np.flatnonzero(membership == 1)
    nonmembers = np.flatnonzero(membership == 0)

    statistics = []
    for member_rows, nonmember_rows in _stratified_resamples(
        members.size, nonmembers.size, n_bootstraps, random_state
    ):
        for rows_in, rows_out in zip(member_rows, nonmember_rows, strict=True):
            sample = np.concatenate([members[rows_in], nonmembers[rows_out]])
            statistics.append(np.asarray(metric(membership[sample], scores[sample])))
    return _percentile_interval(np.stack(statistics), confidence)


@_fill_doc
def roc_auc_ci(
    membership, scores, *, confidence=0.95, n_bootstraps=1000, random_state=None
):
    """Stratified bootstrap confidence interval of the ROC AUC of an attack.

    The AUC of each resample is computed in a vectorised way from the
    resampling counts (the fraction of member/non-member pairs ranked
    correctly, ties counting one half), which equals
    :func:`~sklearn.metrics.roc_auc_score` on the resample.

    Parameters
    ----------
    {membership}

    {scores}

    {resampling}

    Returns
    -------
    low, high : float
        Bounds of the percentile interval.

    See Also
    --------
    sklearn.metrics.roc_auc_score : The point estimate.
    bootstrap_ci : The same interval for any metric.
    tpr_at_fpr_ci : Interval of the TPR at a fixed FPR.

    Notes
    -----
    {bootstrap_notes}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import roc_auc_score
    >>> from skmia.metrics import roc_auc_ci
    >>> rng = np.random.RandomState(0)
    >>> membership = np.repeat([1, 0], 500)
    >>> scores = rng.normal(loc=membership)
    >>> low, high = roc_auc_ci(membership, scores, random_state=0)
    >>> bool(low < roc_auc_score(membership, scores) < high)
    True
    >>> round(high - low, 2)
    0.06
    """
    membership, scores = check_membership_scores(membership, scores)
    confidence, n_bootstraps = _check_bootstrap_params(confidence, n_bootstraps)
    member_scores = scores[membership == 1]
    nonmember_scores = scores[membership == 0]
    n_members, n_nonmembers = member_scores.size, nonmember_scores.size

    order = np.argsort(nonmember_scores, kind="stable")
    sorted_nonmembers = nonmember_scores[order]
    # For each member: how many non-members score strictly lower / lower or equal.
    below = np.searchsorted(sorted_nonmembers, member_scores, side="left")
    below_or_tied = np.searchsorted(sorted_nonmembers, member_scores, side="right")

    aucs = []
    for member_rows, nonmember_rows in _stratified_resamples(
        n_members, n_nonmembers, n_bootstraps, random_state
    ):
        cumulative = _cumulative_counts(nonmember_rows, order, n_nonmembers)
        # Correctly ranked pairs per member, ties counting one half.
        wins = cumulative[:, below] + cumulative[:, below_or_tied]
        wins = np.take_along_axis(wins, member_rows, axis=1).sum(axis=1)
        aucs.append(wins / (2.0 * n_members * n_nonmembers))
    return _percentile_interval(np.concatenate(aucs), confidence)


@_fill_doc
def tpr_at_fpr_ci(
    membership,
    scores,
    fpr=0.001,
    *,
    confidence=0.95,
    n_bootstraps=1000,
    random_state=None,
):
    """Stratified bootstrap confidence interval of the TPR at a fixed FPR.

    Each resample's value is :func:`tpr_at_fpr` of the resample, computed in
    a vectorised way from the resampling counts.

    Parameters
    ----------
    {membership}

    {scores}

    {fpr}

    {resampling}

    Returns
    -------
    low, high : float or ndarray
        Bounds of the percentile interval; arrays of the shape of ``fpr`` if
        ``fpr`` is array-like.

    See Also
    --------
    tpr_at_fpr : The point estimate.
    bootstrap_ci : The same interval for any metric.
    roc_auc_ci : Interval of the ROC AUC.

    Notes
    -----
    {bootstrap_notes}

    At an ``fpr`` below ``1 / n_nonmembers`` the TPR is decided by the
    highest-scoring non-members alone (see :func:`tpr_at_fpr`); the interval
    then reflects how often the resamples contain them and is wide.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.metrics import tpr_at_fpr, tpr_at_fpr_ci
    >>> rng = np.random.RandomState(0)
    >>> membership = np.repeat([1, 0], 1000)
    >>> scores = rng.normal(loc=2 * membership)
    >>> low, high = tpr_at_fpr_ci(membership, scores, fpr=0.01, random_state=0)
    >>> bool(low <= tpr_at_fpr(membership, scores, fpr=0.01) <= high)
    True
    """
    membership, scores = check_membership_scores(membership, scores)
    levels = _check_fpr_levels(fpr)
    confidence, n_bootstraps = _check_bootstrap_params(confidence, n_bootstraps)
    member_scores = scores[membership == 1]
    nonmember_scores = scores[membership == 0]
    n_members, n_nonmembers = member_scores.size, nonmember_scores.size

    # Every distinct score is a candidate threshold ("member if score >= t").
    # A candidate absent from a resample gives the same counts as the next
    # present one, so the candidates cover every ROC point of every resample.
    thresholds = np.unique(scores)
    member_order = np.argsort(member_scores, kind="stable")
    nonmember_order = np.argsort(nonmember_scores, kind="stable")
    members_below = np.searchsorted(
        member_scores[member_order], thresholds, side="left"
    )
    nonmembers_below = np.searchsorted(
        nonmember_scores[nonmember_order], thresholds, side="left"
    )

    flat_levels = levels.reshape(-1)
    tprs = []
    for member_rows, nonmember_rows in _stratified_resamples(
        n_members, n_nonmembers, n_bootstraps, random_state
    ):
        # Resampled members / non-members scoring >= each threshold.
        members_cumulative = _cumulative_counts(member_rows, member_order, n_members)
        nonmembers_cumulative = _cumulative_counts(
            nonmember_rows, nonmember_order, n_nonmembers
        )
        tp = n_members - members_cumulative[:, members_below]
        fp = n_nonmembers - nonmembers_cumulative[:, nonmembers_below]
        # Same rates as roc_curve: counts divided by the class size.
        tpr = np.concatenate([tp / n_members, np.zeros((tp.shape[0], 1))], axis=1)
        fpr_resample = fp / n_nonmembers
        chunk = np.empty((tp.shape[0], flat_levels.size))
        for j, level in enumerate(flat_levels):
            # fp decreases with the threshold: the admissible thresholds are
            # a suffix, and the lowest of them has the highest TPR. If none is
            # admissible, only "flag nobody" (TPR 0, the appended column) is.
            first = thresholds.size - np.count_nonzero(fpr_resample <= level, axis=1)
            chunk[:, j] = tpr[np.arange(tp.shape[0]), first]
        tprs.append(chunk)
    statistics = np.concatenate(tprs).reshape((n_bootstraps,) + levels.shape)
    return _percentile_interval(statistics, confidence)
