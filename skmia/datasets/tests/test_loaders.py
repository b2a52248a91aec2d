"""Tests of the dataset loaders on tiny files written here; nothing downloads."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skmia import Records
from skmia.datasets import (
    _fashion_mnist,
    get_data_home,
    load_cifar10,
    load_digits_images,
    load_fashion_mnist,
)

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
FASHION_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR_TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


class _DownloadAttempted(Exception):
    pass


class _NoDownload:
    """Stands in for torchvision dataset classes: any use fails the test."""

    def __init__(self, *args, **kwargs):
        raise _DownloadAttempted(f"a test tried to use torchvision: {kwargs}")


@pytest.fixture(autouse=True)
def no_download(monkeypatch, tmp_path_factory):
    """Forbid torchvision downloads and keep the default data home empty."""
    datasets = pytest.importorskip("torchvision.datasets")
    monkeypatch.setattr(datasets, "FashionMNIST", _NoDownload)
    monkeypatch.setattr(datasets, "CIFAR10", _NoDownload)
    home = tmp_path_factory.mktemp("empty_skmia_data")
    monkeypatch.setenv("SKMIA_DATA", str(home))
    return home


# ---------------------------------------------------------------- writers ---
def write_idx(path, array, *, gz=False):
    """Write ``array`` (uint8) in IDX format, built independently of skmia."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.tobytes()
    if gz:
        path = str(path) + ".gz"
        payload = gzip.compress(payload)
    with open(path, "wb") as f:
        f.write(payload)
    return path


def write_fashion_mnist(folder, *, gz=False, n=None, seed=0):
    """Write random train (5 images) and test (3 images) IDX files."""
    n = n or {"train": 5, "test": 3}
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    written = {}
    for part, (images_name, labels_name) in FASHION_NAMES.items():
        images = rng.integers(0, 256, size=(n[part], 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255  # both ends of the range
        labels = rng.integers(0, 10, size=n[part], dtype=np.uint8)
        write_idx(os.path.join(folder, images_name), images, gz=gz)
        write_idx(os.path.join(folder, labels_name), labels, gz=gz)
        written[part] = images, labels
    return written


def write_cifar10(folder, *, n=3, seed=0, bytes_keys=True, meta=True):
    """Write CIFAR-10 python batches of ``n`` images each into ``folder``."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)

    def key(name):
        return name.encode() if bytes_keys else name

    written = {}
    for name in [*CIFAR_TRAIN_BATCHES, "test_batch"]:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        entry = {
            key("batch_label"): key(name),
            key("data"): data,
            key("labels"): labels,
        }
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(entry, f)
        written[name] = data, np.asarray(labels)
    if meta:
        names = [key(f"class_{i}") for i in range(10)]
        with open(os.path.join(folder, "batches.meta"), "wb") as f:
            pickle.dump({key("label_names"): names, key("num_vis"): 3072}, f)
    return written


def assert_unit_images(data, shape):
    assert data.dtype == np.float32
    assert data.shape == shape
    assert data.min() >= 0.0 and data.max() <= 1.0


def assert_bunch_records(bunch):
    assert bunch.target.dtype == np.int64
    assert isinstance(bunch.records, Records)
    assert bunch.records.X is bunch.data
    np.testing.assert_array_equal(bunch.records.y, bunch.target)


# ----------------------------------------------------------------- digits ---
def test_load_digits_images_matches_sklearn():
    digits = load_digits_images()
    reference = load_digits()
    assert_unit_images(digits.data, (1797, 1, 8, 8))
    assert_bunch_records(digits)
    np.testing.assert_array_equal(digits.data[:, 0] * 16, reference.images)
    np.testing.assert_array_equal(digits.data.reshape(1797, 64) * 16, reference.data)
    np.testing.assert_array_equal(digits.target, reference.target)
    assert digits.data.max() == 1.0
    assert list(digits.target_names) == list(range(10))
    assert "float32" in digits.DESCR


# ---------------------------------------------------------- fashion-mnist ---
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_load_fashion_mnist_round_trip(tmp_path, gz, layout):
    folder = tmp_path if layout == "flat" else tmp_path / "FashionMNIST" / "raw"
    written = write_fashion_mnist(folder, gz=gz)

    subsets = [("train", ["train"]), ("test", ["test"]), ("all", ["train", "test"])]
    for subset, parts in subsets:
        bunch = load_fashion_mnist(tmp_path, subset=subset)
        pixels = np.concatenate([written[p][0] for p in parts])
        labels = np.concatenate([written[p][1] for p in parts])
        assert_unit_images(bunch.data, (len(labels), 1, 28, 28))
        assert_bunch_records(bunch)
        np.testing.assert_array_equal(
            np.round(bunch.data[:, 0] * 255).astype(np.uint8), pixels
        )
        np.testing.assert_allclose(bunch.data[:, 0], pixels / 255, rtol=1e-6)
        np.testing.assert_array_equal(bunch.target, labels)
        assert bunch.data.max() == 1.0 and bunch.data.min() == 0.0
        assert len(bunch.target_names) == 10 and bunch.target_names[0] == "T-shirt/top"


def test_load_fashion_mnist_default_is_train_and_accepts_str(tmp_path):
    written = write_fashion_mnist(tmp_path)
    bunch = load_fashion_mnist(str(tmp_path))
    np.testing.assert_array_equal(bunch.target, written["train"][1])


def test_load_fashion_mnist_missing_explains_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_fashion_mnist(tmp_path)
    message = str(excinfo.value)
    assert "train-images-idx3-ubyte" in message
    assert str(tmp_path) in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "download=True" in message


def test_load_fashion_mnist_missing_test_part(tmp_path):
    write_fashion_mnist(tmp_path)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte")
    assert len(load_fashion_mnist(tmp_path, subset="train").target) == 5
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path, subset="test")
    with pytest.raises(FileNotFoundError):
        load_fashion_mnist(tmp_path, subset="all")


def test_load_fashion_mnist_data_home_none_search_order(
    tmp_path, monkeypatch, no_download
):
    debian = tmp_path / "debian"
    monkeypatch.setattr(_fashion_mnist, "_DEBIAN_DIR", str(debian))

    with pytest.raises(FileNotFoundError) as excinfo:
        load_fashion_mnist()
    assert str(debian) in str(excinfo.value)
    assert str(no_download) in str(excinfo.value)

    # Found in the default data home (torchvision layout) ...
    home_written = write_fashion_mnist(no_download / "FashionMNIST" / "raw", seed=1)
    np.testing.assert_array_equal(load_fashion_mnist().target, home_written["train"][1])
    # ... but the Debian package folder comes first.
    debian_written = write_fashion_mnist(debian, gz=True, seed=2)
    np.testing.assert_array_equal(
        load_fashion_mnist().target, debian_written["train"][1]
    )


def test_load_fashion_mnist_download_uses_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets

    calls = []

    class FakeFashionMNIST:
        def __init__(self, root, train=True, download=False):
            calls.append((root, train, download))
            write_fashion_mnist(os.path.join(root, "FashionMNIST", "raw"), gz=True)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", FakeFashionMNIST)
    home = tmp_path / "new_home"
    bunch = load_fashion_mnist(home, download=True, subset="test")
    assert calls == [(str(home), False, True)]
    assert bunch.data.shape == (3, 1, 28, 28)
    # Files present: no second download.
    load_fashion_mnist(home, download=True, subset="all")
    assert len(calls) == 1


def test_load_fashion_mnist_download_failure_is_reported(tmp_path):
    with pytest.raises(OSError, match="Downloading FashionMNIST with torchvision"):
        load_fashion_mnist(tmp_path, download=True)


def test_load_fashion_mnist_bad_magic(tmp_path):
    write_fashion_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[:4] = b"\x12\x34\x08\x03"
    path.write_bytes(bytes(raw))
    match = r"magic number 0x12340803, expected 0x00000803"
    with pytest.raises(ValueError, match=match):
        load_fashion_mnist(tmp_path)


def test_load_fashion_mnist_wrong_ndim(tmp_path):
    write_fashion_mnist(tmp_path)
    # labels file where the images file belongs
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match="has 1 dimensions.*expected 3"):
        load_fashion_mnist(tmp_path)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_load_fashion_mnist_truncated(tmp_path, gz):
    write_fashion_mnist(tmp_path, gz=gz)
    name = "t10k-images-idx3-ubyte" + (".gz" if gz else "")
    path = tmp_path / name
    path.write_bytes(path.read_bytes()[:-20])
    match = "decompress" if gz else "truncated"
    with pytest.raises(ValueError, match=match):
        load_fashion_mnist(tmp_path, subset="test")


def test_load_fashion_mnist_inconsistent_counts(tmp_path):
    write_fashion_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        load_fashion_mnist(tmp_path)


def test_load_fashion_mnist_invalid_subset(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        load_fashion_mnist(tmp_path, subset="validation")


@pytest.mark.skipif(
    not os.path.isdir(DEBIAN_FASHION_MNIST),
    reason="Debian package dataset-fashion-mnist is not installed",
)
def test_load_fashion_mnist_debian_package(tmp_path):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    train = load_fashion_mnist()
    assert_unit_images(train.data, (60000, 1, 28, 28))
    assert train.target.shape == (60000,)
    assert np.bincount(train.target).tolist() == [6000] * 10

    test = load_fashion_mnist(subset="test")
    assert_unit_images(test.data, (10000, 1, 28, 28))
    # Cross-check against torchvision's own IDX reader.
    for name, ours in [
        ("t10k-images-idx3-ubyte", np.round(test.data[:, 0] * 255)),
        ("t10k-labels-idx1-ubyte", test.target),
    ]:
        plain = tmp_path / name
        with gzip.open(os.path.join(DEBIAN_FASHION_MNIST, name + ".gz")) as f:
            plain.write_bytes(f.read())
        reader = read_image_file if "images" in name else read_label_file
        np.testing.assert_array_equal(ours, reader(str(plain)).numpy())


# --------------------------------------------------------------- cifar-10 ---
@pytest.mark.parametrize("bytes_keys", [True, False], ids=["bytes_keys", "str_keys"])
def test_load_cifar10_round_trip(tmp_path, bytes_keys):
    written = write_cifar10(tmp_path / "cifar-10-batches-py", bytes_keys=bytes_keys)

    for subset, batches in [
        ("train", CIFAR_TRAIN_BATCHES),
        ("test", ["test_batch"]),
        ("all", [*CIFAR_TRAIN_BATCHES, "test_batch"]),
    ]:
        bunch = load_cifar10(tmp_path, subset=subset)
        rows = np.concatenate([written[b][0] for b in batches])
        labels = np.concatenate([written[b][1] for b in batches])
        assert_unit_images(bunch.data, (len(rows), 3, 32, 32))
        assert_bunch_records(bunch)
        np.testing.assert_array_equal(bunch.target, labels)
        # CIFAR rows hold the red plane, then green, then blue, each row-major.
        i, c, h, w = len(rows) - 1, 2, 5, 7
        expected = np.float32(rows[i, c * 1024 + h * 32 + w]) / np.float32(255)
        assert bunch.data[i, c, h, w] == expected
        np.testing.assert_array_equal(
            np.round(bunch.data.reshape(len(rows), 3072) * 255).astype(np.uint8), rows
        )
        assert list(bunch.target_names) == [f"class_{k}" for k in range(10)]


def test_load_cifar10_batches_directly_in_data_home(tmp_path):
    written = write_cifar10(tmp_path, n=2, meta=False)
    bunch = load_cifar10(tmp_path, subset="test")
    np.testing.assert_array_equal(bunch.target, written["test_batch"][1])
    assert bunch.target_names[0] == "airplane"  # standard names without batches.meta


def test_load_cifar10_missing_explains_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_cifar10(tmp_path)
    message = str(excinfo.value)
    assert "download=True" in message
    assert "cifar-10-python.tar.gz" in message
    assert str(tmp_path / "cifar-10-batches-py") in message


def test_load_cifar10_missing_batch_is_named(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar10(folder)
    os.remove(folder / "data_batch_3")
    assert load_cifar10(tmp_path, subset="test").data.shape == (3, 3, 32, 32)
    with pytest.raises(FileNotFoundError, match=r"missing: data_batch_3\)"):
        load_cifar10(tmp_path)


def test_load_cifar10_default_data_home(no_download):
    with pytest.raises(FileNotFoundError, match=str(no_download)):
        load_cifar10()
    written = write_cifar10(no_download / "cifar-10-batches-py")
    np.testing.assert_array_equal(
        load_cifar10(subset="test").target, written["test_batch"][1]
    )


def test_load_cifar10_download_uses_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets

    calls = []

    class FakeCIFAR10:
        def __init__(self, root, train=True, download=False):
            calls.append((root, train, download))
            write_cifar10(os.path.join(root, "cifar-10-batches-py"))

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    bunch = load_cifar10(tmp_path, download=True)
    assert calls == [(str(tmp_path), True, True)]
    assert bunch.data.shape == (15, 3, 32, 32)
    load_cifar10(tmp_path, download=True, subset="all")
    assert len(calls) == 1


def test_load_cifar10_corrupt_batch(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar10(folder)
    (folder / "test_batch").write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match="Cannot unpickle"):
        load_cifar10(tmp_path, subset="test")

    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(ValueError, match=r"shape \(n, 3072\)"):
        load_cifar10(tmp_path, subset="test")

    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8)}, f)
    with pytest.raises(ValueError, match="no 'labels' entry"):
        load_cifar10(tmp_path, subset="test")


def test_get_data_home(monkeypatch):
    assert get_data_home("~/somewhere") == os.path.expanduser("~/somewhere")
    monkeypatch.setenv("SKMIA_DATA", "/data/skmia")
    assert get_data_home() == "/data/skmia"
    monkeypatch.delenv("SKMIA_DATA")
    assert get_data_home() == os.path.expanduser("~/skmia_data")
