"""Checking and querying the target model (the fitted model under audit)."""

import sys
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted


__all__ = [
    "TargetOutputs",
    "check_records",
    "check_target",
    "labels_to_columns",
    "model_outputs",
    "query_target",
]


def check_target(target, *, who="This attack", needs="predict_proba"):
    """Check that ``target`` is a fitted classifier with the method ``needs``.

    Parameters
    ----------
    target : object
        The model under audit.
    who : str, default="This attack"
        Who needs it, for the messages.
    needs : {"predict_proba", "predict"}, default="predict_proba"
        The method the caller queries: attacks on probabilities or logits
        need ``predict_proba``; label-only attacks need only ``predict``.

    Raises
    ------
    ValueError
        If ``target`` is None.
    TypeError
        If ``target`` has no ``needs`` method.
    sklearn.exceptions.NotFittedError
        If ``target`` is not fitted.
    """
    if target is None:
        raise ValueError(
            f"{who} needs a fitted target model; got target=None. Pass the "
            "fitted classifier to audit as the first argument."
        )
    if not callable(getattr(target, needs, None)):
        labels_only = needs == "predict_proba" and callable(
            getattr(target, "predict", None))
        raise TypeError(
            f"{who} needs a target with a {needs} method; "
            f"{type(target).__name__} has none"
            + (" (it gives only labels, through predict: audit it with "
               "skmia.attacks.LabelOnlyAttack)." if labels_only else ".")
        )
    try:
        check_is_fitted(target)
    except NotFittedError as exc:
        raise NotFittedError(
            f"The target {type(target).__name__} is not fitted. Fit it on its "
            "training data (the members) before auditing it."
        ) from exc
    except TypeError:  # not an sklearn estimator: trust that it is usable
        pass
    return target


def check_records(records, *, name="records"):
    """Check that ``records`` is a :class:`~skmia.Records`."""
    from ..records import Records  # records.py imports this package

    if not isinstance(records, Records):
        raise TypeError(
            f"`{name}` must be skmia.Records(X, y): loss-based attacks need each "
            f"input's label. Got {type(records).__name__}."
        )
    if len(records) == 0:
        raise ValueError(f"`{name}` is empty.")
    return records


@dataclass
class TargetOutputs:
    """What the target said about some records.

    Exactly one of ``logits`` and ``proba`` is set, shape
    ``(n, n_classes)`` (or ``(n, n_queries, n_classes)``); ``labels`` are
    the records' labels as column indices of those outputs.
    """

    labels: np.ndarray
    proba: np.ndarray | None = None
    logits: np.ndarray | None = None

    @property
    def kind(self):
        """``"logits"`` or ``"proba"``: which of the two outputs is set."""
        return "logits" if self.logits is not None else "proba"

    @property
    def values(self):
        """The outputs that are set, logits or probabilities."""
        return self.logits if self.logits is not None else self.proba

    @property
    def n_columns(self):
        """Number of output columns (the target's classes)."""
        return self.values.shape[-1]

    @property
    def kwargs(self):
        """``{"proba": ...}`` or ``{"logits": ...}`` for :mod:`skmia.signals`."""
        return {self.kind: self.values}


def _skorch_logits_available(target):
    """True for a skorch classifier whose module outputs logits."""
    skorch = sys.modules.get("skorch")
    if skorch is None or not isinstance(target, skorch.NeuralNetClassifier):
        return False
    if target.predict_nonlinearity != "auto" or len(target._criteria) != 1:
        return False
    import torch

    criterion = getattr(target, target._criteria[0] + "_", None)
    criterion = getattr(criterion, "_orig_mod", criterion)
    return isinstance(criterion, torch.nn.CrossEntropyLoss)


def _target_classes(target):
    try:
        classes = target.classes_
    except AttributeError:
        return None
    return np.asarray(classes)


def labels_to_columns(target, y, n_columns):
    """Map labels ``y`` to column indices of the target's outputs."""
    classes = _target_classes(target)
    if classes is None:
        classes = np.arange(n_columns)
    if len(classes) != n_columns:
        raise ValueError(
            f"The target reports {len(classes)} classes but its predict_proba "
            f"returns {n_columns} columns."
        )
    if not np.issubdtype(classes.dtype, np.integer):
        try:
            as_int = classes.astype(np.int64)
        except (TypeError, ValueError):
            raise ValueError(
                f"The target's classes_ are not integers ({classes[:5]!r}...); "
                "encode the labels as integers to audit it."
            ) from None
        if not np.array_equal(as_int, classes):
            raise ValueError("The target's classes_ are not integer labels.")
        classes = as_int
    cols = np.searchsorted(classes, y)
    cols = np.clip(cols, 0, len(classes) - 1)
    unknown = classes[cols] != y
    if np.any(unknown):
        bad = np.unique(y[unknown])
        raise ValueError(
            f"Labels {bad[:10].tolist()} are not among the target's classes "
            f"{classes.tolist() if len(classes) <= 20 else classes[:20].tolist()}."
        )
    return cols


def _check_proba(proba, n):
    if proba.ndim != 2 or proba.shape[0] != n:
        raise ValueError(
            f"The model's predict_proba returned shape {proba.shape}; expected "
            f"({n}, n_classes)."
        )
    if not np.all(np.isfinite(proba)):
        raise ValueError(
            "The model's predict_proba returned NaN or infinite probabilities "
            f"for {int(np.sum(~np.all(np.isfinite(proba), axis=1)))} records."
        )
    if np.any(proba < 0):
        raise ValueError(
            "The model's predict_proba returned negative probabilities (min "
            f"{proba.min():.3g})."
        )
    sums = proba.sum(axis=1)
    if np.any(np.abs(sums - 1) > 1e-3):
        worst = sums[np.argmax(np.abs(sums - 1))]
        raise ValueError(
            "The model's predict_proba rows do not sum to 1 (one sums to "
            f"{worst:.6g}); are these scores rather than probabilities?"
        )


def model_outputs(model, X):
    """Outputs of ``model`` on inputs ``X``: ``("logits", array)`` or ``("proba", array)``.

    For a skorch :class:`~skorch.NeuralNetClassifier` trained with
    cross-entropy (including skmia's targets) the module's logits are read
    directly through ``net.forward``, so signals computed from them stay
    exact where probabilities round to 0 or 1. Any other model is queried
    through ``predict_proba``. Returned arrays are float64 and validated
    (finite; probabilities non-negative and summing to one).
    """
    n = len(X)
    if _skorch_logits_available(model):
        logits = model.forward(X, training=False)
        logits = logits.detach().cpu().numpy().astype(np.float64, copy=False)
        if logits.ndim != 2 or logits.shape[0] != n:
            raise ValueError(
                f"The model's module returned shape {logits.shape}; expected "
                f"({n}, n_classes) logits."
            )
        if not np.all(np.isfinite(logits)):
            raise ValueError("The model's module returned NaN or infinite logits.")
        return "logits", logits
    proba = model.predict_proba(X)
    if hasattr(proba, "detach"):
        proba = proba.detach().cpu().numpy()
    proba = np.asarray(proba, dtype=np.float64)
    _check_proba(proba, n)
    return "proba", proba


def query_target(target, records):
    """Query ``target`` on ``records`` and validate what it returns.

    See :func:`model_outputs` for how the target is queried; labels are
    mapped to the columns of its outputs.

    Returns
    -------
    TargetOutputs
    """
    kind, outputs = model_outputs(target, records.X)
    labels = labels_to_columns(target, records.y, outputs.shape[1])
    return TargetOutputs(labels=labels, **{kind: outputs})
