"""CIFAR-10 from torchvision's python-format batches."""

import os
import pickle

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._base import (
    _LOADER_PARAMETERS,
    _concatenate_parts,
    _find_or_download,
    _image_bunch,
    _subset_parts,
    _to_unit_float32,
    get_data_home,
)

__all__ = ["load_cifar10"]

_BASE_FOLDER = "cifar-10-batches-py"
_BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
_META = "batches.meta"
_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
_IMAGE_SHAPE = (3, 32, 32)

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

_DESCR = """\
.. _cifar10_dataset:

CIFAR-10
--------

60000 32x32 colour images in 10 classes, 6000 per class (Krizhevsky, 2009),
as distributed in the "CIFAR-10 python version" that torchvision uses: five
training batches of 10000 images and one test batch of 10000 images.

=================   ==============================
Classes                                         10
Samples             50000 train, 10000 test
Image shape                          (3, 32, 32)
Pixel values                    float32 in [0, 1]
=================   ==============================

``data`` holds the images as ``(n, 3, 32, 32)`` float32 (RGB bytes divided
by 255), ``target`` the class indices as int64 and ``target_names`` the
class names from ``batches.meta``.

.. topic:: References

  - Alex Krizhevsky. "Learning Multiple Layers of Features from Tiny
    Images". Technical report, University of Toronto, 2009.
"""


@validate_params(_LOADER_PARAMETERS, prefer_skip_nested_validation=True)
def load_cifar10(data_home=None, download=False, *, subset="train"):
    """Load the CIFAR-10 images.

    The loader reads the pickled batches of the CIFAR-10 python version
    (``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
    ``batches.meta``) from ``data_home/cifar-10-batches-py``, the layout
    :class:`torchvision.datasets.CIFAR10` writes, or from ``data_home``
    itself. It does not check torchvision's MD5 sums, so any batches in the
    same format load.

    When the batches are not found and ``download=True``, they are fetched
    with ``torchvision.datasets.CIFAR10(root=data_home, download=True)`` and
    then read; otherwise a :class:`FileNotFoundError` says where it looked and
    how to get the data.

    .. warning::
        The batches are Python pickles: only load files from a source you
        trust.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder holding ``cifar-10-batches-py`` (or the batches
        themselves), and where ``download=True`` puts them. ``None`` selects
        the default data home, see :func:`get_data_home`.

    download : bool, default=False
        Whether to download the data with torchvision when it is not found.
        Files that are found are never downloaded again.

    subset : {"train", "test", "all"}, default="train"
        Which records to load: the 50000 training images, the 10000 test
        images, or both (training batches 1 to 5 first, then the test batch).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_images, 3, 32, 32), dtype float32
            The RGB images, bytes divided by 255 so values lie in [0, 1].
        target : ndarray of shape (n_images,), dtype int64
            The class index of each image.
        records : :class:`~skmia.Records`
            ``Records(data, target)``.
        target_names : ndarray of shape (10,)
            The class names, indexed by ``target`` (from ``batches.meta``
            when present, else the standard CIFAR-10 names).
        DESCR : str
            The description of the dataset.

    Raises
    ------
    FileNotFoundError
        When the batches are not found and ``download=False``.
    ValueError
        When a batch cannot be unpickled or does not hold CIFAR-10 data.

    See Also
    --------
    load_fashion_mnist : Fashion-MNIST images.
    make_membership_split : Split records into target and attacker pools.

    Examples
    --------
    >>> from skmia.datasets import load_cifar10
    >>> cifar = load_cifar10(subset="test", download=True)  # doctest: +SKIP
    >>> cifar.data.shape, cifar.data.dtype  # doctest: +SKIP
    ((10000, 3, 32, 32), dtype('float32'))
    """
    batches = [name for part in _subset_parts(subset) for name in _BATCHES[part]]
    home = get_data_home(data_home)
    folders = [os.path.join(home, _BASE_FOLDER), home]

    folder = _find_or_download(
        lambda candidates: _find_folder(candidates, batches),
        folders,
        folders[0],
        download=download,
        home=home,
        train=subset != "test",
        torchvision_name="CIFAR10",
        what="CIFAR-10 batches",
        not_found=lambda: _not_found_message(folders, batches, home),
    )
    images, labels = _concatenate_parts(
        _read_batch(os.path.join(folder, name)) for name in batches
    )

    data = _to_unit_float32(images).reshape((-1, *_IMAGE_SHAPE))
    return _image_bunch(
        data,
        labels,
        target_names=_read_label_names(os.path.join(folder, _META)),
        descr=_DESCR,
    )


def _find_folder(folders, batches):
    """The first folder that holds every batch in ``batches``, or ``None``."""
    for folder in folders:
        if all(os.path.isfile(os.path.join(folder, name)) for name in batches):
            return folder
    return None


def _not_found_message(folders, batches, home):
    looked = []
    for folder in folders:
        missing = [b for b in batches if not os.path.isfile(os.path.join(folder, b))]
        if not os.path.isdir(folder):
            looked.append(f"  - {folder} (no such folder)")
        else:
            looked.append(f"  - {folder} (missing: {', '.join(missing)})")
    looked = "\n".join(looked)
    return (
        f"CIFAR-10 batches not found. Looked for {', '.join(batches)} in:\n"
        f"{looked}\n"
        "To get the data, either:\n"
        f"  - pass download=True to fetch it with torchvision into {home!r};\n"
        f"  - or download 'cifar-10-python.tar.gz' from {_URL} and extract it "
        f"into data_home, which gives data_home/{_BASE_FOLDER}."
    )


def _unpickle(path):
    """Unpickle a CIFAR batch (Python 2 or 3 pickle) with ``str`` keys."""
    try:
        with open(path, "rb") as f:
            # latin1 reads the Python 2 pickles of the official archive
            # (numpy arrays included), as torchvision does.
            entry = pickle.load(f, encoding="latin1")
    except Exception as exc:  # garbage can fail to unpickle in many ways
        raise ValueError(f"Cannot unpickle CIFAR-10 file {path!r}: {exc!r}") from exc
    if not isinstance(entry, dict):
        raise ValueError(
            f"CIFAR-10 file {path!r} holds a {type(entry).__name__}, not a dict."
        )
    return {
        (key.decode("latin1") if isinstance(key, bytes) else key): value
        for key, value in entry.items()
    }


def _read_batch(path):
    """Images ``(n, 3072)`` uint8 and labels ``(n,)`` int64 of one batch."""
    entry = _unpickle(path)
    missing = [key for key in ("data", "labels") if key not in entry]
    if missing:
        raise ValueError(
            f"CIFAR-10 batch {path!r} has no {' or '.join(map(repr, missing))} "
            f"entry (keys: {sorted(map(str, entry))})."
        )
    images = np.asarray(entry["data"])
    labels = np.asarray(entry["labels"])
    n_pixels = int(np.prod(_IMAGE_SHAPE))
    if images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != n_pixels:
        raise ValueError(
            f"CIFAR-10 batch {path!r}: 'data' must be uint8 of shape "
            f"(n, {n_pixels}), got {images.dtype} of shape {images.shape}."
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"CIFAR-10 batch {path!r} holds {len(images)} images but labels of "
            f"shape {labels.shape}."
        )
    n_classes = len(CIFAR10_CLASSES)
    if labels.size and (
        not np.issubdtype(labels.dtype, np.integer)
        or labels.min() < 0
        or labels.max() >= n_classes
    ):
        raise ValueError(
            f"CIFAR-10 batch {path!r}: labels must be integers in "
            f"0..{n_classes - 1}."
        )
    return images, labels.astype(np.int64)


def _read_label_names(path):
    """Class names from ``batches.meta``, or the standard names without it."""
    if not os.path.isfile(path):
        return list(CIFAR10_CLASSES)
    names = _unpickle(path).get("label_names")
    if names is None or len(names) != len(CIFAR10_CLASSES):
        raise ValueError(
            f"CIFAR-10 metadata {path!r} must hold 'label_names', a list of "
            f"{len(CIFAR10_CLASSES)} class names."
        )
    return [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]
