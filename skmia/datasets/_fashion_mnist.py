"""Fashion-MNIST from its IDX files (Debian package, torchvision or by hand)."""

import gzip
import os
import zlib

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

__all__ = ["load_fashion_mnist"]

# Where Debian's ``dataset-fashion-mnist`` package installs the gzipped files.
_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
_DEBIAN_PACKAGE = "dataset-fashion-mnist"
# torchvision.datasets.FashionMNIST(root) keeps the files in root/FashionMNIST/raw.
_TORCHVISION_SUBDIR = os.path.join("FashionMNIST", "raw")
_FILE_PREFIX = {"train": "train", "test": "t10k"}

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# IDX type codes (third byte of the magic number) -> big-endian numpy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_DESCR = """\
.. _fashion_mnist_dataset:

Fashion-MNIST
-------------

Zalando's article images (Xiao, Rasul and Vollgraf, 2017): 28x28 grey-scale
pictures of 10 kinds of clothing, a drop-in replacement for MNIST.

=================   ==============================
Classes                                         10
Samples             60000 train, 10000 test
Image shape                          (1, 28, 28)
Pixel values                    float32 in [0, 1]
=================   ==============================

``data`` holds the images as ``(n, 1, 28, 28)`` float32 (bytes divided by
255), ``target`` the class indices as int64 and ``target_names`` the class
names.

.. topic:: References

  - Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image
    Dataset for Benchmarking Machine Learning Algorithms". arXiv:1708.07747,
    2017.
"""


@validate_params(_LOADER_PARAMETERS, prefer_skip_nested_validation=True)
def load_fashion_mnist(data_home=None, download=False, *, subset="train"):
    """Load the Fashion-MNIST images.

    The loader reads the four IDX files of the original distribution
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each plain or
    gzipped with a ``.gz`` suffix) with NumPy. It looks for them

    - with ``data_home`` given: in ``data_home`` and in
      ``data_home/FashionMNIST/raw`` (the layout
      :class:`torchvision.datasets.FashionMNIST` writes);
    - with ``data_home=None``: in ``/usr/share/datasets/fashion-mnist``,
      where Debian's ``dataset-fashion-mnist`` package installs them, then in
      the default data home (:func:`get_data_home`) and its
      ``FashionMNIST/raw``.

    When the files are in none of these folders and ``download=True``, they
    are fetched with ``torchvision.datasets.FashionMNIST(root=...,
    download=True)`` into ``data_home`` (or the default data home) and then
    read; otherwise a :class:`FileNotFoundError` says where it looked and how
    to get the data.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder holding the IDX files (directly or in torchvision's
        ``FashionMNIST/raw`` layout), and where ``download=True`` puts them.
        ``None`` searches the Debian package folder and the default data home.

    download : bool, default=False
        Whether to download the data with torchvision when it is not found.
        Files that are found are never downloaded again.

    subset : {"train", "test", "all"}, default="train"
        Which records to load: the 60000 training images, the 10000 test
        images, or both (training images first, then test images).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_images, 1, 28, 28), dtype float32
            The images, bytes divided by 255 so values lie in [0, 1].
        target : ndarray of shape (n_images,), dtype int64
            The class index of each image.
        records : :class:`~skmia.Records`
            ``Records(data, target)``.
        target_names : ndarray of shape (10,)
            The class names, indexed by ``target``.
        DESCR : str
            The description of the dataset.

    Raises
    ------
    FileNotFoundError
        When the files are not found and ``download=False``.
    ValueError
        When a file is not a valid IDX file (wrong magic number, truncated,
        inconsistent sizes).

    See Also
    --------
    load_cifar10 : CIFAR-10 images.
    make_membership_split : Split records into target and attacker pools.

    Examples
    --------
    >>> from skmia.datasets import load_fashion_mnist
    >>> fmnist = load_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> fmnist.data.shape, fmnist.data.dtype  # doctest: +SKIP
    ((10000, 1, 28, 28), dtype('float32'))
    """
    parts = _subset_parts(subset)
    home = get_data_home(data_home)
    if data_home is None:
        folders = [_DEBIAN_DIR, home]
    else:
        folders = [home]
    folders.append(os.path.join(home, _TORCHVISION_SUBDIR))

    files = _find_or_download(
        lambda candidates: _find_idx_files(candidates, parts),
        folders,
        folders[-1],
        download=download,
        home=home,
        train=subset != "test",
        torchvision_name="FashionMNIST",
        what="Fashion-MNIST IDX files",
        not_found=lambda: _not_found_message(folders, parts, home),
    )
    images, labels = _concatenate_parts(
        _read_part(images_path, labels_path) for images_path, labels_path in files
    )

    # reshape (not [:, np.newaxis]) so the strides are those of a fresh C array
    data = _to_unit_float32(images).reshape(len(images), 1, *images.shape[1:])
    return _image_bunch(
        data,
        labels,
        target_names=list(FASHION_MNIST_CLASSES),
        descr=_DESCR,
    )


def _idx_names(part, kind):
    """Accepted file names of one IDX file, most common spelling first."""
    prefix = _FILE_PREFIX[part]
    ndim = 3 if kind == "images" else 1
    stems = (f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte")
    return [name for stem in stems for name in (stem, stem + ".gz")]


def _find_idx_files(folders, parts):
    """``[(images_path, labels_path), ...]`` from the first folder holding all
    the files ``parts`` need, or ``None``."""
    for folder in folders:
        found = []
        for part in parts:
            paths = []
            for kind in ("images", "labels"):
                candidates = [os.path.join(folder, n) for n in _idx_names(part, kind)]
                path = next((c for c in candidates if os.path.isfile(c)), None)
                if path is None:
                    break
                paths.append(path)
            if len(paths) < 2:
                break
            found.append(tuple(paths))
        else:
            return found
    return None


def _not_found_message(folders, parts, home):
    wanted = ", ".join(
        f"{_idx_names(part, kind)[0]}[.gz]"
        for part in parts
        for kind in ("images", "labels")
    )
    looked = "\n".join(f"  - {folder}" for folder in folders)
    return (
        f"Fashion-MNIST files not found. Looked for {wanted} in:\n{looked}\n"
        "To get the data, either:\n"
        f"  - install the Debian package: apt-get install {_DEBIAN_PACKAGE} "
        f"(files go to {_DEBIAN_DIR}, found with data_home=None);\n"
        f"  - pass download=True to fetch them with torchvision into {home!r};\n"
        "  - or put the four IDX files (plain or .gz) in a folder and pass it "
        "as data_home."
    )


def _read_part(images_path, labels_path):
    """Images ``(n, H, W)`` uint8 and labels ``(n,)`` int64 of one part."""
    images = _read_idx(images_path, ndim=3)
    labels = _read_idx(labels_path, ndim=1)
    for path, array in ((images_path, images), (labels_path, labels)):
        if array.dtype != np.uint8:
            raise ValueError(
                f"IDX file {path!r} holds {array.dtype} values; Fashion-MNIST "
                "files hold unsigned bytes."
            )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path!r} holds {len(images)} images but {labels_path!r} "
            f"holds {len(labels)} labels."
        )
    n_classes = len(FASHION_MNIST_CLASSES)
    if labels.size and labels.max() >= n_classes:
        raise ValueError(
            f"IDX file {labels_path!r} holds label {int(labels.max())}; "
            f"Fashion-MNIST labels are 0..{n_classes - 1}."
        )
    return images, labels.astype(np.int64)


def _read_idx(path, *, ndim):
    """Read an IDX file (plain or gzipped) into an array of ``ndim`` dimensions.

    The IDX format: two zero bytes, a type code, the number of dimensions,
    then each dimension as a big-endian uint32, then the values in C order.
    """
    try:
        with open(path, "rb") as f:
            buf = f.read()
        if buf[:2] == b"\x1f\x8b":
            buf = gzip.decompress(buf)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"Cannot decompress IDX file {path!r}: {exc}") from exc

    expected_magic = f"0x{0x800 + ndim:08X}"
    if len(buf) < 4:
        raise ValueError(
            f"{path!r} is not an IDX file: {len(buf)} bytes, too short for the "
            f"magic number (expected {expected_magic})."
        )
    magic = int.from_bytes(buf[:4], "big")
    if buf[0] != 0 or buf[1] != 0 or buf[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{path!r} is not an IDX file: magic number 0x{magic:08X}, expected "
            f"{expected_magic}. The file is corrupt or not in IDX format."
        )
    if buf[3] != ndim:
        raise ValueError(
            f"IDX file {path!r} has {buf[3]} dimensions (magic number "
            f"0x{magic:08X}), expected {ndim} ({expected_magic})."
        )
    header_size = 4 + 4 * ndim
    if len(buf) < header_size:
        raise ValueError(
            f"IDX file {path!r} is truncated: {len(buf)} bytes, shorter than "
            f"its {header_size}-byte header."
        )
    shape = tuple(int(d) for d in np.frombuffer(buf, ">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[buf[2]]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(buf) - header_size
    if actual != expected:
        state = "truncated" if actual < expected else "corrupt (extra bytes)"
        raise ValueError(
            f"IDX file {path!r} is {state}: its header announces shape {shape} "
            f"({expected} bytes of data) but it holds {actual} bytes."
        )
    array = np.frombuffer(buf, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)
