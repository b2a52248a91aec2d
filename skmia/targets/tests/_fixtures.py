"""Set-up shared by the tests of :mod:`skmia.targets` and :mod:`skmia.defenses`.

The conftest of each test folder imports the fixtures, so every test there
runs torch on one thread and can ask for ``digits``.
"""

import numpy as np
import pytest
import torch
import torch.utils.data
from sklearn.datasets import load_digits


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run each test with one torch thread (the machine's cores are shared)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 1797 digits as ``(n, 1, 8, 8)`` float32 images, int64 labels."""
    data = load_digits()
    X = (data.images[:, None] / 16).astype(np.float32)
    return X, data.target.astype(np.int64)


class PairDataset(torch.utils.data.Dataset):
    """A plain map-style dataset, unknown to the tensor fast path."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def small_cnn(**params):
    """An unfitted ``make_target("small_cnn")`` for the digits: 3 epochs, seeded."""
    from skmia.targets import make_target

    params = {"max_epochs": 3, "random_state": 0, **params}
    return make_target("small_cnn", n_classes=10, in_channels=1, **params)
