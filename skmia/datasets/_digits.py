"""scikit-learn's embedded digits as images."""

import numpy as np
from sklearn.datasets import load_digits

from ._base import _image_bunch

__all__ = ["load_digits_images"]

_DIGITS_NOTE = """\
skmia note
----------
``data`` holds the 8x8 images as float32 of shape ``(1797, 1, 8, 8)`` (one
channel, ``(n, C, H, W)``), each pixel divided by 16 so values lie in
[0, 1]; ``target`` holds the digit labels as int64.

"""


def load_digits_images():
    """Load scikit-learn's digits as single-channel images.

    The 1797 handwritten 8x8 digits that ship with scikit-learn
    (:func:`sklearn.datasets.load_digits`), shaped for image models: no
    download, small enough for tests and examples that run in seconds.

    =================   ==============
    Classes                         10
    Samples total                 1797
    Image shape          (1, 8, 8)
    Pixel values        float32 [0, 1]
    =================   ==============

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (1797, 1, 8, 8), dtype float32
            The images, pixel intensities ``0..16`` divided by 16.
        target : ndarray of shape (1797,), dtype int64
            The digit of each image.
        records : :class:`~skmia.Records`
            ``Records(data, target)``, ready for targets and attacks.
        target_names : ndarray of shape (10,)
            The class names (the digits ``0..9``).
        DESCR : str
            The description of the dataset.

    See Also
    --------
    sklearn.datasets.load_digits : The same data as flat ``float64`` rows.
    make_membership_split : Split records into target and attacker pools.

    Examples
    --------
    >>> from skmia.datasets import load_digits_images
    >>> digits = load_digits_images()
    >>> digits.data.shape, digits.data.dtype
    ((1797, 1, 8, 8), dtype('float32'))
    >>> float(digits.data.min()), float(digits.data.max())
    (0.0, 1.0)
    >>> digits.records
    Records(n_records=1797, X.shape=(1797, 1, 8, 8))
    """
    digits = load_digits()
    images = digits.images.astype(np.float32) / np.float32(16)
    # reshape (not [:, np.newaxis]) so the strides are those of a fresh C array
    data = images.reshape(len(images), 1, *images.shape[1:])
    return _image_bunch(
        np.ascontiguousarray(data),
        digits.target,
        target_names=digits.target_names,
        descr=_DIGITS_NOTE + digits.DESCR,
    )
