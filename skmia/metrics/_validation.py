"""Input validation shared by the membership metrics."""

import numbers

import numpy as np
from sklearn.utils import check_array, check_consistent_length, column_or_1d


def check_membership_scores(membership, scores):
    """Validate membership labels and attack scores.

    The check every metric of :mod:`skmia.metrics` and
    :class:`~skmia.plotting.MembershipRocDisplay` run on their
    ``(membership, scores)`` arguments; use it in your own metrics to get
    the same errors.

    Parameters
    ----------
    membership : array-like of shape (n_records,)
        Membership labels, ``1`` for members and ``0`` for non-members
        (booleans are accepted).

    scores : array-like of shape (n_records,)
        Finite attack scores, higher meaning more likely a member.

    Returns
    -------
    membership : ndarray of shape (n_records,), dtype=int64
        The labels as 0/1 integers.

    scores : ndarray of shape (n_records,)
        The scores as a numeric 1d array.

    Raises
    ------
    ValueError
        If the lengths differ, a score is NaN or infinite, a label is not 0
        or 1, or only one class is present.

    Examples
    --------
    >>> from skmia.metrics import check_membership_scores
    >>> membership, scores = check_membership_scores([True, False, True],
    ...                                              [0.9, 0.1, 0.4])
    >>> membership
    array([1, 0, 1])
    >>> check_membership_scores([1, 1], [0.2, 0.3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: membership must contain both members (1) and non-members (0); ...
    """
    check_consistent_length(membership, scores)
    membership = column_or_1d(
        check_array(membership, ensure_2d=False, dtype=None, input_name="membership"),
        input_name="membership",
    )
    scores = column_or_1d(
        check_array(scores, ensure_2d=False, dtype="numeric", input_name="scores"),
        input_name="scores",
    )
    labels = np.unique(membership)
    if not all(
        isinstance(label, (numbers.Number, np.bool_)) and label in (0, 1)
        for label in labels.tolist()
    ):
        raise ValueError(
            "membership must contain only 0 (non-member) and 1 (member); "
            f"got labels {labels.tolist()!r}."
        )
    if labels.size != 2:
        raise ValueError(
            "membership must contain both members (1) and non-members (0); "
            f"only {labels.tolist()!r} is present."
        )
    return membership.astype(np.int64), scores


def _check_fraction(value, name, *, closed_low=True, closed_high=True):
    """Check that ``value`` is a finite number in [0, 1] (ends as asked)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    low_ok = value >= 0 if closed_low else value > 0
    high_ok = value <= 1 if closed_high else value < 1
    if not (np.isfinite(value) and low_ok and high_ok):
        interval = ("[" if closed_low else "(") + "0, 1" + ("]" if closed_high else ")")
        raise ValueError(f"{name} must be in {interval}; got {value!r}.")
    return float(value)
