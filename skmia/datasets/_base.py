"""Shared helpers of the dataset loaders: data home, bunches, downloads."""

import os

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions

from ..records import Records

__all__ = ["get_data_home"]

_SUBSETS = ("train", "test", "all")

# ``validate_params`` constraints of the parameters every image loader takes.
_LOADER_PARAMETERS = {
    "data_home": [str, os.PathLike, None],
    "download": ["boolean"],
    "subset": [StrOptions(set(_SUBSETS))],
}


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


def _find_or_download(
    find, folders, download_folder, *, download, home, train, torchvision_name,
    what, not_found,
):
    """``find(folders)``, downloading the data with torchvision if it finds nothing.

    ``find`` returns what it found in the first of the folders given that
    holds the files, or ``None``. When nothing is found and ``download``,
    ``torchvision.datasets.<torchvision_name>`` fetches the data (``train``
    or test part) into ``home``, and ``find([download_folder])`` looks where
    torchvision put it. Without a find after all that, the
    :class:`FileNotFoundError` says ``not_found()``, or that the ``what``
    (e.g. "CIFAR-10 batches") are not where torchvision should have put them.
    """
    found = find(folders)
    if found is None and download:
        _torchvision_download(torchvision_name, home, train=train)
        found = find([download_folder])
        if found is None:
            raise FileNotFoundError(
                f"torchvision reported a successful {torchvision_name} download, "
                f"but the {what} are not in {download_folder!r}."
            )
    if found is None:
        raise FileNotFoundError(not_found())
    return found


def _concatenate_parts(parts):
    """``(images, labels)`` of several parts, concatenated in order."""
    images, labels = zip(*parts)
    if len(images) == 1:
        return images[0], labels[0]
    return np.concatenate(images), np.concatenate(labels)


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
