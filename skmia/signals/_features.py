"""Feature vectors of model outputs, for attacks that learn membership."""

from numbers import Integral

import numpy as np
from scipy.special import softmax

from ._signals import SIGNALS, _check_outputs, compute_signal

__all__ = ["check_feature_names", "signal_feature_names", "signal_features"]

# Features with one column per output column (the others have one column).
_VECTOR_FEATURES = ("sorted_proba", "proba")


def check_feature_names(signals):
    """Check names of :func:`signal_features` features and return them as a tuple.

    Parameters
    ----------
    signals : str or sequence of str
        Feature names: ``"sorted_proba"``, ``"proba"`` or any name in
        :data:`~skmia.signals.SIGNALS`; a single name may be given as a
        string.

    Returns
    -------
    signals : tuple of str
        The names, in the order given.

    Raises
    ------
    ValueError
        If ``signals`` is empty, names an unknown feature (the message lists
        the valid ones) or names a feature twice.

    See Also
    --------
    signal_features : The features these names select.

    Examples
    --------
    >>> from skmia.signals import check_feature_names
    >>> check_feature_names("loss")
    ('loss',)
    >>> check_feature_names(["sorted_proba", "entropy"])
    ('sorted_proba', 'entropy')
    """
    if isinstance(signals, str):
        signals = (signals,)
    signals = tuple(signals)
    valid = sorted(_VECTOR_FEATURES) + sorted(SIGNALS)
    if not signals:
        raise ValueError(f"signals is empty; choose features among {valid}.")
    unknown = [name for name in signals if name not in valid]
    if unknown:
        raise ValueError(
            f"Unknown feature {unknown[0]!r}; valid features are {valid}."
        )
    if len(set(signals)) != len(signals):
        raise ValueError(f"signals {list(signals)} names a feature twice.")
    return signals


def _check_top_k(top_k, n_classes):
    if top_k is None:
        return n_classes
    if not isinstance(top_k, Integral) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}.")
    if top_k > n_classes:
        raise ValueError(
            f"top_k={top_k} exceeds the {n_classes} output columns of the model."
        )
    return int(top_k)


def signal_feature_names(signals, n_classes, n_queries=1, top_k=None):
    """Names of the columns :func:`signal_features` returns, in order.

    Parameters
    ----------
    signals : str or sequence of str
        The features, as passed to :func:`signal_features`.
    n_classes : int
        Number of the model's output columns.
    n_queries : int, default=1
        Number of queries per record (augmented copies); with more than one,
        each name ends with its query, e.g. ``loss_q1``.
    top_k : int, default=None
        As passed to :func:`signal_features`: the number of
        ``"sorted_proba"`` columns (``None``: ``n_classes``).

    Returns
    -------
    names : ndarray of str objects
        One name per column, e.g. ``sorted_proba_0`` or ``loss``.

    See Also
    --------
    signal_features : The features these names describe.

    Examples
    --------
    >>> from skmia.signals import signal_feature_names
    >>> signal_feature_names(("sorted_proba", "loss"), n_classes=10, top_k=2)
    array(['sorted_proba_0', 'sorted_proba_1', 'loss'], dtype=object)
    """
    signals = check_feature_names(signals)
    top_k = _check_top_k(top_k, n_classes)
    names = []
    for name in signals:
        if name == "sorted_proba":
            base = [f"sorted_proba_{r}" for r in range(top_k)]
        elif name == "proba":
            base = [f"proba_{c}" for c in range(n_classes)]
        else:
            base = [name]
        if n_queries == 1:
            names.extend(base)
        else:
            names.extend(f"{b}_q{q}" for q in range(n_queries) for b in base)
    return np.asarray(names, dtype=object)


def signal_features(y, proba=None, *, logits=None, signals=("sorted_proba",),
                    top_k=None):
    """Per-record feature vectors built from a model's outputs.

    Attacks that *learn* membership with a classifier
    (:class:`~skmia.attacks.ShadowModelAttack`,
    :class:`~skmia.attacks.MetaClassifierAttack`,
    :class:`~skmia.attacks.SignalTransformer`) all describe a record by these
    features, so the attack classifier sees exactly the same columns on
    shadow outputs and on the target's outputs.

    Parameters
    ----------
    y : array-like of shape (n,)
        True labels as column indices of the outputs (``0 .. n_classes - 1``).
    proba : array-like of shape (n, n_classes) or (n, n_queries, n_classes)
        Predicted probabilities. Give either ``proba`` or ``logits``.
    logits : array-like of the same shapes, optional
        Unnormalised log-probabilities. Probability features are their
        softmax; signals are computed from the logits directly (see
        :mod:`skmia.signals`), which stays exact where probabilities round
        to 0 or 1. Up to that rounding, ``logits=z`` and
        ``proba=softmax(z)`` give the same features.
    signals : str or sequence of str, default=("sorted_proba",)
        The features, in the order of the returned columns:

        - ``"sorted_proba"``: the probability vector sorted in decreasing
          order (the attack features of Shokri et al. 2017), truncated to its
          ``top_k`` largest entries; ``n_classes`` or ``top_k`` columns.
          It does not depend on the label.
        - ``"proba"``: the probability vector in column order;
          ``n_classes`` columns.
        - any name in :data:`~skmia.signals.SIGNALS` (``"loss"``,
          ``"confidence"``, ``"logit"``, ``"entropy"``,
          ``"modified_entropy"``): that signal as computed by
          :func:`~skmia.signals.compute_signal`, not oriented; one column.
    top_k : int, default=None
        Keep the ``top_k`` largest probabilities in ``"sorted_proba"``
        (``None`` keeps all). It does not affect the other features.

    Returns
    -------
    features : ndarray of shape (n, n_features), dtype=float64
        For outputs with a query axis (augmented copies of each input), the
        features of every query are concatenated, not averaged, so the
        classifier can learn how queries differ: the columns of a feature
        are repeated for query 0, 1, ... before the next feature. With
        ``n_queries == 1`` the result equals that of the squeezed
        ``(n, n_classes)`` outputs.

    Raises
    ------
    ValueError
        On an unknown or repeated feature name (the message lists the valid
        ones), an invalid ``top_k``, or outputs and labels that do not match.

    See Also
    --------
    skmia.signals.compute_signal : One signal at a time.
    skmia.signals.signal_feature_names : The names of the columns.
    skmia.attacks.SignalTransformer : These features as a scikit-learn
        transformer of :class:`~skmia.Records`.

    References
    ----------
    .. [1] R. Shokri, M. Stronati, C. Song and V. Shmatikov, "Membership
       Inference Attacks Against Machine Learning Models", IEEE S&P 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.signals import signal_features
    >>> proba = np.array([[0.2, 0.7, 0.1], [0.5, 0.2, 0.3]])
    >>> y = np.array([1, 2])
    >>> signal_features(y, proba)
    array([[0.7, 0.2, 0.1],
           [0.5, 0.3, 0.2]])
    >>> signal_features(y, proba, signals=("sorted_proba", "confidence"), top_k=1)
    array([[0.7, 0.7],
           [0.5, 0.3]])
    """
    signals = check_feature_names(signals)
    y, out, from_logits = _check_outputs(y, proba, logits)
    top_k = _check_top_k(top_k, out.shape[-1])
    kind = "logits" if from_logits else "proba"
    p = None
    columns = []
    for name in signals:
        if name in _VECTOR_FEATURES:
            if p is None:
                p = softmax(out, axis=-1) if from_logits else out
            if name == "sorted_proba":
                values = -np.sort(-p, axis=-1)[..., :top_k]
            else:
                values = p
        else:
            values = compute_signal(name, y, **{kind: out})[..., None]
        # (n, [q,] c) -> (n, q * c), query-major within the feature
        columns.append(values.reshape(len(y), -1))
    return np.ascontiguousarray(np.concatenate(columns, axis=1), dtype=np.float64)
