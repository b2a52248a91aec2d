"""Per-record membership signals computed from model outputs and labels.

Every function takes the true labels ``y`` of shape ``(n,)`` and either
probabilities or logits of shape ``(n, n_classes)`` or, for augmentation
queries, ``(n, n_queries, n_classes)``; it returns ``(n,)`` or
``(n, n_queries)`` float64 scores. Label ``y[i]`` indexes the last axis, so
labels must already be column indices (``0 .. n_classes - 1``).

Computations from logits are done in log space (``logsumexp``) so they stay
finite where a probability would round to 0 or 1.
"""

import numpy as np

from ._docstring import _fill_doc

__all__ = [
    "SIGNALS",
    "confidence",
    "entropy",
    "logit_confidence",
    "loss",
    "modified_entropy",
    "compute_signal",
]

_TINY = np.finfo(np.float64).tiny


def logsumexp(a, axis=-1, keepdims=False, *, overwrite=False):
    """``log(sum(exp(a)))`` along ``axis``, stable (shift by the max).

    A plain NumPy version: scipy.special.logsumexp's array-API layer made it
    about 3.7x slower on the (n_records, n_queries, n_classes) arrays that
    shadow ensembles score. ``axis`` is one axis. With ``overwrite=True`` a
    float array ``a`` is used as scratch space (no temporary the size of
    ``a``).
    """
    if not np.issubdtype(np.asarray(a).dtype, np.floating):
        a, overwrite = np.asarray(a, dtype=np.float64), True  # our own copy
    a = np.moveaxis(a, axis, -1)
    peak = _max_last(a)[..., None]
    peak[~np.isfinite(peak)] = 0.0
    shifted = np.subtract(a, peak, out=a if overwrite else None)
    total = np.einsum("...k->...", np.exp(shifted, out=shifted))[..., None]
    with np.errstate(divide="ignore"):
        out = np.log(total, out=total)
    out += peak
    return np.moveaxis(out, -1, axis) if keepdims else out[..., 0]


def _max_last(a):
    """``a.max(axis=-1)``; a loop over few classes is 3x faster than the
    reduction, which NumPy does not vectorise along a short last axis."""
    if a.shape[-1] > 64 or a.shape[-1] == 0:
        return np.max(a, axis=-1)
    peak = a[..., 0].copy()
    for k in range(1, a.shape[-1]):
        np.maximum(peak, a[..., k], out=peak)
    return peak


def log_softmax(a, axis=-1):
    return a - logsumexp(a, axis=axis, keepdims=True)


def _check_outputs(y, proba, logits):
    if (proba is None) == (logits is None):
        raise ValueError("Pass exactly one of `proba` or `logits`.")
    out = np.asarray(proba if logits is None else logits, dtype=np.float64)
    y = np.asarray(y)
    if out.ndim not in (2, 3):
        raise ValueError(
            "Model outputs must have shape (n, n_classes) or "
            f"(n, n_queries, n_classes), got {out.shape}."
        )
    if y.shape != (out.shape[0],):
        raise ValueError(
            f"Labels of shape {y.shape} do not match outputs of shape {out.shape}."
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"Labels must be integer column indices, got {y.dtype}.")
    n_classes = out.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"Labels must lie in [0, {n_classes - 1}] for {n_classes} output "
            f"columns; got labels in [{y.min()}, {y.max()}]."
        )
    return y, out, logits is not None


def _owned(out, given):
    """Whether ``out`` (from :func:`_check_outputs`) is a copy of ``given``."""
    return not np.may_share_memory(out, given)


def _take_label(a, y):
    """``a[i, ..., y[i]]`` for an array of shape (n, [q,] k)."""
    idx = y.reshape((-1,) + (1,) * (a.ndim - 1))
    return np.take_along_axis(a, idx, axis=-1)[..., 0]


def _label_mask(y, out):
    """True at each record's label column, broadcast to ``out``'s shape (n, [q,] k)."""
    return np.arange(out.shape[-1]) == y.reshape((-1,) + (1,) * (out.ndim - 1))


def _log_proba(out, from_logits):
    if from_logits:
        return log_softmax(out, axis=-1)
    with np.errstate(divide="ignore"):
        return np.log(out)


def _log1mexp(log_p):
    """Stable ``log(1 - exp(log_p))`` for ``log_p <= 0`` (Maechler 2012)."""
    log_p = np.minimum(log_p, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(
            log_p > -np.log(2.0),
            np.log(-np.expm1(log_p)),
            np.log1p(-np.exp(log_p)),
        )


@_fill_doc
def loss(y, proba=None, *, logits=None):
    """Cross-entropy loss ``-log p_y`` of each record (Yeom et al. 2018).

    {outputs}

    {signal_returns}
        The loss; lower means more likely a member. A probability of exactly
        0 gives ``-log(tiny)`` (about 708) rather than infinity.
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    if from_logits:
        z_y = _take_label(out, y)
        return logsumexp(out, axis=-1, overwrite=_owned(out, logits)) - z_y
    return -np.log(np.maximum(_take_label(out, y), _TINY))


def confidence(y, proba=None, *, logits=None):
    """Probability the model gives to the true class, ``p_y``.

    Parameters and returns as in :func:`loss`; higher means more likely a
    member.
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    if from_logits:
        z_y = _take_label(out, y)
        return np.exp(z_y - logsumexp(out, axis=-1, overwrite=_owned(out, logits)))
    return _take_label(out, y)


def logit_confidence(y, proba=None, *, logits=None):
    """Logit-scaled confidence ``phi = log p_y - log(1 - p_y)`` (Carlini et al. 2022).

    From logits it is computed as ``z_y - logsumexp_{y' != y} z_{y'}``, which
    stays finite however close ``p_y`` is to 1. From probabilities,
    ``1 - p_y`` is taken as the sum of the other classes' probabilities (exact
    where ``1 - p_y`` would round to zero) and both terms are floored at the
    smallest positive float64.

    Parameters and returns as in :func:`loss`; higher means more likely a
    member.
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    mask = _label_mask(y, out)
    if from_logits:
        others = np.where(mask, -np.inf, out)
        return _take_label(out, y) - logsumexp(others, axis=-1, overwrite=True)
    p_y = np.maximum(_take_label(out, y), _TINY)
    rest = np.maximum(np.where(mask, 0.0, out).sum(axis=-1), _TINY)
    return np.log(p_y) - np.log(rest)


def entropy(y, proba=None, *, logits=None):
    """Shannon entropy ``-sum_k p_k log p_k`` of the prediction (nats).

    ``y`` is accepted for a uniform signature and checked, but unused. Lower
    means more likely a member.
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    log_p = _log_proba(out, from_logits)
    p = np.exp(log_p)
    return -np.sum(p * np.where(p > 0, log_p, 0.0), axis=-1)


def modified_entropy(y, proba=None, *, logits=None):
    """Modified prediction entropy of Song & Mittal (2021).

    ``Mentr = -(1 - p_y) log p_y - sum_{k != y} p_k log(1 - p_k)``: it is
    small when the model is confident *and* right, and large when it is
    confident and wrong, unlike the plain entropy. Lower means more likely a
    member. Parameters and returns as in :func:`loss`.

    References
    ----------
    L. Song and P. Mittal, "Systematic Evaluation of Privacy Risks of Machine
    Learning Models", USENIX Security 2021.
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    log_p = _log_proba(out, from_logits)
    log_p = np.maximum(log_p, np.log(_TINY))
    log_1mp = np.maximum(_log1mexp(log_p), np.log(_TINY))
    p = np.exp(log_p)
    mask = _label_mask(y, out)
    true_term = -(1.0 - _take_label(p, y)) * _take_label(log_p, y)
    other_terms = -np.sum(np.where(mask, 0.0, p * log_1mp), axis=-1)
    return true_term + other_terms


#: Registry of signals: name -> (function, orientation). Multiplying a signal
#: by its orientation gives a score where higher means "more likely member".
SIGNALS = {
    "loss": (loss, -1.0),
    "confidence": (confidence, 1.0),
    "logit": (logit_confidence, 1.0),
    "entropy": (entropy, -1.0),
    "modified_entropy": (modified_entropy, -1.0),
}


def compute_signal(name, y, proba=None, *, logits=None, oriented=False):
    """Compute the signal called ``name`` (a key of :data:`SIGNALS`).

    With ``oriented=True`` the result is multiplied by the signal's
    orientation so that higher always means more likely a member.
    """
    if name not in SIGNALS:
        raise ValueError(
            f"Unknown signal {name!r}; valid signals are {sorted(SIGNALS)}."
        )
    func, sign = SIGNALS[name]
    values = func(y, proba, logits=logits)
    return sign * values if oriented else values
