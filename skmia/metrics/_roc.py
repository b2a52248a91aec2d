"""Points of the membership ROC curve: TPR at low FPR and the advantage."""

import numpy as np
from sklearn.metrics import roc_curve

from ._docstring import _fill_doc
from ._validation import check_membership_scores


def _check_fpr_levels(fpr):
    """Validate ``fpr`` (scalar or array-like) as finite values in [0, 1]."""
    levels = np.asarray(fpr, dtype=np.float64)
    if levels.size == 0:
        raise ValueError("fpr must not be empty.")
    if not np.all(np.isfinite(levels)) or np.any((levels < 0) | (levels > 1)):
        raise ValueError(f"fpr must contain values in [0, 1]; got {fpr!r}.")
    return levels


def _tpr_at_levels(roc_fpr, roc_tpr, levels):
    """Highest TPR among ROC points with FPR <= each level.

    ``roc_fpr`` and ``roc_tpr`` are non-decreasing (as returned by
    :func:`~sklearn.metrics.roc_curve`) and start at ``(0, 0)``, so the best
    admissible point is the last one whose FPR does not exceed the level.
    """
    last = np.searchsorted(roc_fpr, levels, side="right") - 1
    return roc_tpr[last]


@_fill_doc
def tpr_at_fpr(membership, scores, fpr=0.001):
    """True positive rate of an attack at a fixed low false positive rate.

    Membership inference is a security question: an attack that confidently
    identifies a few members while almost never accusing a non-member is a
    real threat even if its average-case metrics (AUC, accuracy) are close to
    chance. Carlini et al. (2022) therefore report the TPR at a low FPR such
    as 0.1%.

    The value is the highest TPR among the points of the ROC curve (every
    threshold on ``scores``, as computed by
    :func:`~sklearn.metrics.roc_curve` with ``drop_intermediate=False``)
    whose FPR does not exceed ``fpr``. No interpolation is done: it is the
    TPR of the best threshold attack whose empirical FPR is at most ``fpr``.

    Parameters
    ----------
    {membership}

    {scores}

    {fpr}

    Returns
    -------
    tpr : float or ndarray
        TPR at each ``fpr``: a float if ``fpr`` is a scalar, else an array of
        the same shape as ``fpr``.

    See Also
    --------
    tpr_at_fpr_ci : Bootstrap confidence interval of this value.
    membership_advantage : Largest TPR - FPR over thresholds.
    sklearn.metrics.roc_curve : The ROC curve this value is read from.

    Notes
    -----
    The empirical FPR moves in steps of ``1 / n_nonmembers``. For ``fpr``
    below ``1 / n_nonmembers`` only thresholds above every non-member's score
    qualify, so the value is the fraction of members that score higher than
    the single highest-scoring non-member: it is decided by very few points
    and has a large variance. Audit with enough non-members (``fpr`` of
    0.1% needs several thousand) and report an interval, see
    :func:`tpr_at_fpr_ci`.

    References
    ----------
    .. [1] N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis and F. Tramer,
       "Membership Inference Attacks From First Principles", IEEE Symposium on
       Security and Privacy, 2022.

    Examples
    --------
    >>> from skmia.metrics import tpr_at_fpr
    >>> membership = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> scores = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> tpr_at_fpr(membership, scores, fpr=0.0)
    0.5
    >>> tpr_at_fpr(membership, scores, fpr=[0.0, 0.25, 0.5])
    array([0.5, 1. , 1. ])
    """
    membership, scores = check_membership_scores(membership, scores)
    levels = _check_fpr_levels(fpr)
    roc_fpr, roc_tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
    tpr = _tpr_at_levels(roc_fpr, roc_tpr, levels)
    if levels.ndim == 0:
        return float(tpr)
    return tpr


@_fill_doc
def membership_advantage(membership, scores):
    """Membership advantage of the best threshold on the scores.

    Yeom et al. (2018) define the membership advantage of an attack as
    ``TPR - FPR``: how much better than chance it tells members from
    non-members when both are equally likely a priori. This function
    returns its maximum over all thresholds on ``scores`` (every point of
    :func:`~sklearn.metrics.roc_curve`), i.e. the advantage of the best
    threshold attack, which equals the Kolmogorov-Smirnov distance between
    the members' and the non-members' score distributions.

    Parameters
    ----------
    {membership}

    {scores}

    Returns
    -------
    advantage : float
        ``max(TPR - FPR)`` over thresholds, in [0, 1]. ``0`` means no
        threshold does better than chance; ``1`` means the scores separate
        members from non-members perfectly. Scores that rank non-members
        above members also give ``0``: the direction of ``scores`` matters.

    See Also
    --------
    tpr_at_fpr : TPR at a fixed low FPR.
    empirical_epsilon : Differential-privacy lower bound implied by the attack.

    Notes
    -----
    The threshold maximising the advantage is chosen on the same scores it
    is evaluated on, so the value is optimistically biased on small samples.
    Under ``(epsilon, 0)``-differential privacy the advantage of any attack is
    at most ``exp(epsilon) - 1`` (Yeom et al., 2018).

    References
    ----------
    .. [1] S. Yeom, I. Giacomelli, M. Fredrikson and S. Jha, "Privacy Risk in
       Machine Learning: Analyzing the Connection to Overfitting", IEEE
       Computer Security Foundations Symposium, 2018.

    Examples
    --------
    >>> from skmia.metrics import membership_advantage
    >>> membership = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> scores = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> membership_advantage(membership, scores)
    0.75
    """
    membership, scores = check_membership_scores(membership, scores)
    roc_fpr, roc_tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
    return float(np.max(roc_tpr - roc_fpr))
