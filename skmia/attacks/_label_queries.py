"""Label-only queries: a model's predicted labels on perturbed copies of records.

Each function asks a model only for ``predict`` and returns per-record
features that :class:`~skmia.attacks.LabelOnlyAttack` thresholds or feeds to
an attack classifier. Every loop here runs over queries (a fixed budget),
never over records: each model call is a whole batch of records. Random
draws come from ``numpy.random.default_rng([seed, k])`` for the ``k``-th
query batch, so they do not depend on how the batches are spread over jobs.
"""

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ..utils import to_numpy

#: Bisection steps along each direction of the boundary search, after the
#: bracketing queries at the noise scales.
N_BISECTIONS = 8


def predict_labels(model, X):
    """``model.predict(X)`` as a 1-d NumPy array."""
    labels = np.asarray(to_numpy(model.predict(X)))
    if labels.ndim != 1 or len(labels) != len(X):
        raise ValueError(
            f"The model's predict returned shape {labels.shape}; expected "
            f"({len(X)},) labels."
        )
    return labels


def _float_inputs(X):
    X = np.asarray(to_numpy(X))
    return X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float32)


def _direction(seed, k, X, input_scale):
    """The ``k``-th Gaussian draw: per-feature standard deviation ``input_scale``."""
    rng = np.random.default_rng([seed, k])
    return rng.standard_normal(X.shape, dtype=np.float32) * input_scale


def _perturbed(X, step, direction):
    return (X + step.reshape((-1,) + (1,) * (X.ndim - 1)) * direction).astype(
        X.dtype, copy=False)


def gap_features(model, X, y):
    """Whether the model labels each record correctly: (n, 1) of 0/1."""
    return (predict_labels(model, X) == y).astype(np.float64)[:, None]


def augmentation_features(model, X, y, augmentations, *, n_jobs=None):
    """Correctness on each augmented copy: (n, n_queries) of 0/1."""
    copies = augmentations(X)
    correct = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(predict_labels)(model, copy) for copy in copies)
    return np.column_stack([c == y for c in correct]).astype(np.float64)


def _noise_draw(model, X, y, scales, seed, k, input_scale):
    direction = _direction(seed, k, X, input_scale)
    return np.column_stack([
        predict_labels(model, _perturbed(X, np.full(len(X), s, X.dtype), direction))
        == y for s in scales])


def noise_features(model, X, y, scales, *, n_draws, seed, input_scale, n_jobs=None):
    """Fraction of noisy copies labelled correctly at each scale: (n, n_scales).

    Draw ``k`` is one Gaussian direction per record, added at every scale
    (common random numbers across scales); ``n_draws * len(scales)``
    queries per record.
    """
    X = _float_inputs(X)
    draws = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_noise_draw)(model, X, y, scales, seed, k, input_scale)
        for k in range(n_draws))
    return np.mean(draws, axis=0)


def _flip_distance(model, X, labels, scales, seed, k, input_scale):
    """Smallest step along the ``k``-th direction that changes the label.

    The steps ``scales`` (increasing) are queried first, each only for the
    records whose label has not changed yet; then :data:`N_BISECTIONS`
    bisections between the last step that kept the label and the first that
    changed it. Records whose label survives every step get the largest.
    """
    direction = _direction(seed, k, X, input_scale)
    n = len(X)
    low, high = np.zeros(n), np.full(n, np.inf)
    for scale in scales:
        open_ = np.flatnonzero(~np.isfinite(high))
        if not len(open_):
            break
        step = np.full(len(open_), scale, X.dtype)
        flipped = predict_labels(
            model, _perturbed(X[open_], step, direction[open_])) != labels[open_]
        high[open_[flipped]] = scale
        low[open_[~flipped]] = scale
    found = np.flatnonzero(np.isfinite(high))
    for _ in range(N_BISECTIONS if len(found) else 0):
        middle = (low[found] + high[found]) / 2
        flipped = predict_labels(model, _perturbed(
            X[found], middle.astype(X.dtype), direction[found])) != labels[found]
        high[found] = np.where(flipped, middle, high[found])
        low[found] = np.where(flipped, low[found], middle)
    return np.where(np.isfinite(high), high, scales[-1])


def boundary_features(model, X, y, scales, *, n_directions, seed, input_scale,
                      n_jobs=None):
    """Signed distance to the decision boundary: (n, 1).

    The distance is the smallest, over ``n_directions`` random Gaussian
    directions, step at which the predicted label changes (see
    :func:`_flip_distance`; at most ``len(scales) + N_BISECTIONS`` queries
    per direction and record, plus one for the unperturbed label). It is
    positive for records labelled correctly and negative for the others.
    """
    X = _float_inputs(X)
    scales = np.sort(np.asarray(scales, dtype=np.float64))
    labels = predict_labels(model, X)
    distances = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_flip_distance)(model, X, labels, scales, seed, k, input_scale)
        for k in range(n_directions))
    distance = np.min(distances, axis=0)
    return np.where(labels == y, distance, -distance)[:, None]
