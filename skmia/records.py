"""The :class:`Records` container: inputs together with their labels."""

import numbers

import numpy as np

from .utils import is_torch_tensor, take_rows, to_numpy

__all__ = ["Records"]


class Records:
    """Records ``(x, y)`` that scikit-learn can slice like an array.

    Membership inference needs each input together with its true label (a
    loss is undefined without it), so attacks take ``Records`` where a
    scikit-learn estimator would take ``X``. ``Records`` has a length, a
    one-dimensional ``shape`` and integer-array, boolean-mask and slice
    indexing, which is all that :func:`~sklearn.model_selection.train_test_split`,
    the cross-validation splitters, :func:`~sklearn.model_selection.cross_val_score`
    and :class:`~sklearn.model_selection.GridSearchCV` need.

    Parameters
    ----------
    X : array-like of shape (n_records, ...)
        Inputs: images ``(n, C, H, W)``, tabular rows ``(n, d)``, or anything
        the target's ``predict_proba`` accepts that can be indexed along its
        first axis (a NumPy array or a torch tensor is kept as is; other
        array-likes are converted with :func:`numpy.asarray`).
    y : array-like of shape (n_records,)
        Integer class labels.

    Attributes
    ----------
    X : ndarray or Tensor of shape (n_records, ...)
        The inputs.
    y : ndarray of shape (n_records,), dtype int64
        The labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import train_test_split
    >>> from skmia import Records
    >>> records = Records(np.zeros((10, 3)), np.arange(10) % 2)
    >>> train, test = train_test_split(records, test_size=0.3, random_state=0)
    >>> len(train), len(test)
    (7, 3)
    >>> train.X.shape, train.y.dtype
    ((7, 3), dtype('int64'))
    """

    def __init__(self, X, y):
        if not (isinstance(X, np.ndarray) or is_torch_tensor(X)):
            X = np.asarray(X)
        if X.ndim == 0:
            raise ValueError("Records: X must have at least one dimension, got a scalar.")
        y = _check_labels(y)
        if len(X) != len(y):
            raise ValueError(
                f"Records: X and y have different lengths ({len(X)} inputs, "
                f"{len(y)} labels)."
            )
        self.X = X
        self.y = y

    @property
    def shape(self):
        """``(n_records,)``, so scikit-learn counts and indexes records."""
        return (len(self.y),)

    @property
    def ndim(self):
        return 1

    def __len__(self):
        return len(self.y)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            # scikit-learn indexes arrays as ``X[key, ...]``
            if len(key) != 2 or key[1] is not Ellipsis:
                raise IndexError("Records are indexed along the record axis only.")
            key = key[0]
        if isinstance(key, numbers.Integral):
            return self.X[key], self.y[key]
        if isinstance(key, slice):
            return Records(self.X[key], self.y[key])
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != (len(self),):
                raise IndexError(
                    f"Records: boolean mask of shape {key.shape} does not match "
                    f"{len(self)} records."
                )
            key = np.flatnonzero(key)
        elif not np.issubdtype(key.dtype, np.integer):
            raise IndexError(
                f"Records can be indexed by integers, slices, integer arrays or "
                f"boolean masks, not by {key.dtype} arrays."
            )
        return Records(take_rows(self.X, key), self.y[key])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        x_shape = tuple(self.X.shape)
        return f"Records(n_records={len(self)}, X.shape={x_shape})"


def _check_labels(y):
    """Return ``y`` as a 1-d int64 array, or raise a clear error."""
    y = to_numpy(y)
    if y.ndim != 1:
        raise ValueError(
            f"Records: y must be one-dimensional class labels, got shape {y.shape}."
        )
    if y.dtype == bool or np.issubdtype(y.dtype, np.integer):
        return y.astype(np.int64, copy=False)
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(
                "Records: y must hold integer class labels; got non-integer "
                "floating-point values."
            )
        return y.astype(np.int64)
    raise ValueError(
        f"Records: y must hold integer class labels, got dtype {y.dtype}. "
        "Encode string labels first, e.g. with sklearn.preprocessing.LabelEncoder."
    )
