"""Split records into the target's members, non-members and the attacker's pool."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..records import Records

__all__ = ["make_membership_split"]


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like", None],
        "n_target": [Interval(Integral, 1, None, closed="left")],
        "n_target_out": [Interval(Integral, 1, None, closed="left"), None],
        "n_pool": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_membership_split(
    X, y=None, *, n_target, n_target_out=None, n_pool=None, random_state=None
):
    """Split records into target members, target non-members and an attacker pool.

    A membership-inference experiment needs three disjoint sets of records:

    - **target-in**: the target model's training set, the members;
    - **target-out**: records from the same distribution that the target
      never sees, the non-members it is audited against;
    - **pool**: the attacker's population data, used to train shadow or
      reference models.

    Each set is drawn stratified by class with
    :func:`~sklearn.model_selection.train_test_split`, so every set keeps the
    class proportions of ``y``; the same ``random_state`` gives the same split.

    Parameters
    ----------
    X : array-like of shape (n_records, ...) or :class:`~skmia.Records`
        The inputs (a NumPy array, a torch tensor, or anything
        :class:`~skmia.Records` accepts). A ``Records`` carries its own
        labels: pass it with ``y=None``.

    y : array-like of shape (n_records,), default=None
        The integer class labels. Required unless ``X`` is a ``Records``.

    n_target : int
        The number of target-in records (the target's training set).

    n_target_out : int, default=None
        The number of target-out records. ``None`` means ``n_target``, so
        that members and non-members are balanced in the audit.

    n_pool : int, default=None
        The number of records in the attacker's pool. ``None`` puts every
        remaining record in the pool (which is then empty when
        ``n_target + n_target_out`` uses all records).

    random_state : int, RandomState instance or None, default=None
        Controls the random draws. Pass an int for a reproducible split.
        See :term:`Glossary <random_state>`.

    Returns
    -------
    split : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        target_in : :class:`~skmia.Records`
            The target's training records (``n_target`` of them).
        target_out : :class:`~skmia.Records`
            The held-out non-members (``n_target_out`` of them).
        pool : :class:`~skmia.Records`
            The attacker's records.
        target_in_indices, target_out_indices, pool_indices : ndarray of int64
            The positions of each set's records in ``X``, in the random
            order in which they were drawn (the same order as the records).

    Raises
    ------
    ValueError
        When the sizes add up to more records than ``X`` holds, when a size
        is not a positive integer, or when a class has too few records (or a
        set too few slots) to stratify.

    See Also
    --------
    sklearn.model_selection.train_test_split : The stratified draw used here.
    skmia.Records : The container of the returned sets.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.datasets import load_digits_images, make_membership_split
    >>> digits = load_digits_images()
    >>> split = make_membership_split(
    ...     digits.data, digits.target, n_target=500, n_pool=700, random_state=0
    ... )
    >>> len(split.target_in), len(split.target_out), len(split.pool)
    (500, 500, 700)
    >>> split.target_in.X.shape
    (500, 1, 8, 8)
    >>> np.intersect1d(split.target_in_indices, split.target_out_indices).size
    0

    A ``Records`` can be split directly:

    >>> split = make_membership_split(digits.records, n_target=600, random_state=0)
    >>> len(split.pool)  # everything left
    597
    """
    records = _as_records(X, y)
    labels = records.y
    n_records = len(records)
    if n_target_out is None:
        n_target_out = n_target

    requested = {"n_target": n_target, "n_target_out": n_target_out}
    if n_pool is not None:
        requested["n_pool"] = n_pool
    n_requested = sum(requested.values())
    if n_requested > n_records:
        terms = " + ".join(f"{name} ({size})" for name, size in requested.items())
        raise ValueError(
            f"make_membership_split: {terms} = {n_requested} records requested, "
            f"but X holds only {n_records}."
        )
    pool_size = n_records - n_target - n_target_out if n_pool is None else n_pool
    _check_stratifiable(labels, n_target, n_target_out, pool_size, n_records)

    rng = check_random_state(random_state)
    indices = np.arange(n_records, dtype=np.int64)
    target_in, rest = _stratified_draw(indices, n_target, labels, rng, "target-in")
    target_out, rest = _stratified_draw(rest, n_target_out, labels, rng, "target-out")
    pool, _ = _stratified_draw(rest, pool_size, labels, rng, "pool")

    return Bunch(
        target_in=records[target_in],
        target_out=records[target_out],
        pool=records[pool],
        target_in_indices=target_in,
        target_out_indices=target_out,
        pool_indices=pool,
    )


def _as_records(X, y):
    if isinstance(X, Records):
        if y is not None:
            raise ValueError(
                "make_membership_split: X is a Records, which carries its own "
                "labels; pass y=None."
            )
        return X
    if y is None:
        raise ValueError(
            "make_membership_split: y (the class labels) is required unless X "
            "is a skmia.Records."
        )
    return Records(X, y)


def _check_stratifiable(labels, n_target, n_target_out, pool_size, n_records):
    """Raise a clear error when a stratified three-way split cannot exist."""
    classes, counts = np.unique(labels, return_counts=True)
    n_classes = len(classes)
    sizes = {"n_target": n_target, "n_target_out": n_target_out}
    if pool_size > 0:
        sizes["the pool"] = pool_size
    for name, size in sizes.items():
        if size < n_classes:
            raise ValueError(
                f"make_membership_split: {name} ({size}) is smaller than the "
                f"number of classes ({n_classes}); a stratified split needs at "
                "least one record of every class in each set."
            )
    n_unused = n_records - n_target - n_target_out - pool_size
    if 0 < n_unused < n_classes:
        n_left = pool_size + n_unused
        raise ValueError(
            f"make_membership_split: n_pool ({pool_size}) leaves {n_unused} "
            f"record(s) unused, fewer than the number of classes ({n_classes}), "
            "which a stratified draw cannot do. Use n_pool=None to put all "
            f"{n_left} remaining records in the pool, or "
            f"n_pool <= {n_left - n_classes}."
        )
    sets = ["target-in", "target-out", "pool"][: len(sizes)]
    if counts.min() < len(sets):
        rare = int(np.argmin(counts))
        raise ValueError(
            f"make_membership_split: too few records to stratify: class "
            f"{classes[rare].item()!r} has {counts[rare]} record(s), but each "
            f"class needs at least {len(sets)} (one per set: {', '.join(sets)})."
        )


def _stratified_draw(indices, n_draw, labels, rng, name):
    """Draw ``n_draw`` of ``indices`` stratified by class: ``(drawn, rest)``."""
    if n_draw == 0:
        return indices[:0], indices
    if n_draw == len(indices):
        return rng.permutation(indices), indices[:0]
    try:
        drawn, rest = train_test_split(
            indices, train_size=n_draw, stratify=labels[indices], random_state=rng
        )
    except ValueError as exc:
        classes, counts = np.unique(labels[indices], return_counts=True)
        per_class = dict(zip(classes.tolist(), counts.tolist(), strict=True))
        raise ValueError(
            f"make_membership_split: cannot draw the {name} set ({n_draw} of the "
            f"{len(indices)} remaining records) stratified by class: {exc} "
            f"Remaining records per class: {per_class}."
        ) from exc
    return drawn, rest
