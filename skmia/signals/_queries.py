"""Augmentation queries: flipped and shifted copies of a batch of images."""

from numbers import Integral

import numpy as np

from ..utils import is_torch_tensor

__all__ = ["AugmentationQueries"]


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


class AugmentationQueries:
    """Query copies of a batch of images: identity, horizontal flip and shifts.

    Carlini et al. (2022) query every model not only on a record but on
    augmented copies of it (the flips and shifts the models were trained
    with): a model is more confident on all the augmentations of its own
    training images, so the per-query signals together separate members
    from non-members better than the plain record alone. Calling an instance
    on a batch ``X`` returns the list of these copies, each a whole batch
    transformed at once (no per-image loop). Pass it as ``queries=`` to
    :class:`~skmia.shadow.ShadowModels` or ``augmentations=`` to
    :class:`~skmia.attacks.LiRA`; it pickles and hashes stably, so
    ``joblib`` can send it to workers and cache results keyed by it.

    Parameters
    ----------
    flip : bool, default=True
        Also query the left-right mirror image of every (shifted) copy.
    shifts : int or sequence of (int, int), default=1
        Translations ``(dy, dx)`` in pixels (down, right), with zero
        padding: an int ``s`` means every offset with ``|dy|, |dx| <= s``;
        a sequence lists the offsets. The identity ``(0, 0)`` is always
        included (and queried first); duplicates are dropped.

    See Also
    --------
    skmia.targets.RandomCropFlip : The matching random augmentation for training.
    skmia.shadow.ShadowModels : Queries its models on these copies (``queries=``).

    Notes
    -----
    The copies come in the order: for each of no flip then flip (if
    ``flip``), each offset in :meth:`offsets` order, which starts with
    ``(0, 0)``; so query 0 is always ``X`` itself and, with ``flip=True``,
    query ``len(offsets())`` is its mirror image. There are
    ``(1 + flip) * len(offsets())`` copies: 18 for the defaults.

    The last two axes of ``X`` are height and width; any leading axes
    (records, channels) are kept. NumPy arrays give NumPy arrays, torch
    tensors give tensors on the same device, with the same dtype. A shifted
    image's uncovered border is zero.

    References
    ----------
    .. [1] N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis and F. Tramer,
       "Membership Inference Attacks From First Principles", IEEE S&P 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.signals import AugmentationQueries
    >>> X = np.arange(2 * 1 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3)
    >>> queries = AugmentationQueries(flip=True, shifts=[(0, 1)])
    >>> queries.offsets()
    [(0, 0), (0, 1)]
    >>> copies = queries(X)
    >>> len(copies), copies[0].shape
    (4, (2, 1, 3, 3))
    >>> copies[1][0, 0]  # shifted one pixel right, zero padded
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]], dtype=float32)
    >>> copies[2][0, 0]  # mirror image
    array([[2., 1., 0.],
           [5., 4., 3.],
           [8., 7., 6.]], dtype=float32)
    >>> len(AugmentationQueries()(X))  # flip x 3 x 3 offsets
    18
    """

    def __init__(self, flip=True, shifts=1):
        self.flip = flip
        self.shifts = shifts

    def offsets(self):
        """The translations ``(dy, dx)`` queried, identity first.

        Returns
        -------
        list of (int, int)

        Raises
        ------
        ValueError
            If ``shifts`` is neither a non-negative int nor a sequence of
            integer pairs, or ``flip`` is not a bool.
        """
        if not isinstance(self.flip, (bool, np.bool_)):
            raise ValueError(
                f"AugmentationQueries: flip must be True or False, got {self.flip!r}."
            )
        shifts = self.shifts
        if _is_int(shifts):
            if shifts < 0:
                raise ValueError(
                    f"AugmentationQueries: shifts must be >= 0, got {shifts}."
                )
            span = range(-int(shifts), int(shifts) + 1)
            pairs = [(dy, dx) for dy in span for dx in span]
        else:
            try:
                pairs = [tuple(pair) for pair in shifts]
            except TypeError:
                pairs = None
            if pairs is None or not all(
                len(pair) == 2 and all(_is_int(v) for v in pair) for pair in pairs
            ):
                raise ValueError(
                    "AugmentationQueries: shifts must be an int or a sequence of "
                    f"(dy, dx) integer pairs, got {shifts!r}."
                )
            pairs = [(int(dy), int(dx)) for dy, dx in pairs]
        offsets = [(0, 0)]
        for pair in pairs:
            if pair not in offsets:
                offsets.append(pair)
        return offsets

    @property
    def n_queries(self):
        """Number of copies a call returns."""
        return (2 if self.flip else 1) * len(self.offsets())

    def __call__(self, X):
        """Return the query copies of a batch of images.

        Parameters
        ----------
        X : ndarray or Tensor of shape (n, ..., H, W)
            Images; typically ``(n, C, H, W)``.

        Returns
        -------
        list of ndarray or Tensor, each of the shape of ``X``
            ``n_queries`` copies, the first one equal to ``X``. ``X`` is not
            modified.
        """
        offsets = self.offsets()
        is_torch = is_torch_tensor(X)
        if not is_torch:
            X = np.asarray(X)
        if X.ndim < 3:
            raise ValueError(
                "AugmentationQueries expects images of shape (n, C, H, W) (the "
                f"last two axes height and width), got shape {tuple(X.shape)}."
            )
        height, width = X.shape[-2:]
        pad = max(max(abs(dy), abs(dx)) for dy, dx in offsets)
        if pad >= max(height, width) and pad > 0:
            raise ValueError(
                f"AugmentationQueries: a shift of {pad} pixels moves {height}x"
                f"{width} images out of the frame."
            )
        bases = [X]
        if self.flip:
            bases.append(X.flip(-1) if is_torch else X[..., ::-1])
        copies = []
        for base in bases:
            padded = _zero_pad(base, pad, is_torch)
            for dy, dx in offsets:
                window = padded[..., pad - dy:pad - dy + height,
                                pad - dx:pad - dx + width]
                copies.append(
                    window.clone() if is_torch else np.ascontiguousarray(window))
        return copies

    def __repr__(self):
        return f"{type(self).__name__}(flip={self.flip!r}, shifts={self.shifts!r})"

    def _key(self):
        return type(self), bool(self.flip), tuple(self.offsets())

    def __eq__(self, other):
        if not isinstance(other, AugmentationQueries):
            return NotImplemented
        try:
            return self._key() == other._key()
        except ValueError:
            return self is other

    def __hash__(self):
        try:
            return hash(self._key())
        except ValueError:
            return hash((type(self), repr(self)))

    def get_params(self, deep=True):
        """Parameters, so that :func:`~sklearn.base.clone` copies an instance."""
        return {"flip": self.flip, "shifts": self.shifts}

    def set_params(self, **params):
        """Set parameters (e.g. ``augmentations__flip`` in a grid search)."""
        for name, value in params.items():
            if name not in ("flip", "shifts"):
                raise ValueError(
                    f"Invalid parameter {name!r} for AugmentationQueries; valid "
                    "parameters are 'flip' and 'shifts'."
                )
            setattr(self, name, value)
        return self


def _zero_pad(X, pad, is_torch):
    if pad == 0:
        return X
    if is_torch:
        import torch.nn.functional as F

        return F.pad(X, (pad, pad, pad, pad))
    widths = [(0, 0)] * (X.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(X, widths)
