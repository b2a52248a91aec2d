"""Shared helpers of the dataset loaders: data home, bunches, downloads."""

import os

import numpy as np
from sklearn.utils import Bunch

from ..records import Records

__all__ = ["get_data_home"]

_SUBSETS = ("train", "test", "all")


def get_data_home(data_home=None):
    """Return the folder where skmia keeps downloaded datasets.

    The same convention as :func:`sklearn.datasets.get_data_home`: the
    folder is ``data_home`` when given, else the ``SKMIA_DATA`` environment
    variable when set, else ``~/skmia_data``. A leading ``~`` is expanded.
    Unlike scikit-learn's function this one does not create the folder;
    loaders create it only when they download into it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` selects the default described above.

    Returns
    -------
    data_home : str
        The path of the data folder.

    Examples
    --------
    >>> from skmia.datasets import get_data_home
    >>> get_data_home("/tmp/my_data")
    '/tmp/my_data'
    """
    if data_home is None:
        data_home = os.environ.get("SKMIA_DATA", os.path.join("~", "skmia_data"))
    return os.path.expanduser(os.fspath(data_home))


def _subset_parts(subset):
    """The parts (``"train"``, ``"test"``) that ``subset`` selects, in order."""
    return ("train", "test") if subset == "all" else (subset,)


def _to_unit_float32(pixels):
    """uint8 pixels -> float32 in [0, 1] (exact inverse: ``round(x * 255)``)."""
    return pixels.astype(np.float32) / np.float32(255)


def _image_bunch(data, target, *, target_names, descr, **extra):
    """The Bunch every image loader returns."""
    target = np.asarray(target, dtype=np.int64)
    return Bunch(
        data=data,
        target=target,
        records=Records(data, target),
        target_names=np.asarray(target_names),
        DESCR=descr,
        **extra,
    )


def _torchvision_download(dataset_name, root, *, train):
    """Fetch ``torchvision.datasets.<dataset_name>`` into ``root``.

    torchvision downloads and checks the archive; skmia reads the files it
    leaves behind itself. Failures are re-raised with the folder in the
    message.
    """
    import torchvision.datasets

    dataset_cls = getattr(torchvision.datasets, dataset_name)
    os.makedirs(root, exist_ok=True)
    try:
        dataset_cls(root=root, train=train, download=True)
    except Exception as exc:  # network errors, checksum mismatches, ...
        raise OSError(
            f"Downloading {dataset_name} with torchvision into {root!r} failed: "
            f"{exc}"
        ) from exc
