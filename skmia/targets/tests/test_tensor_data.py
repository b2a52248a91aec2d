"""The tensor fast path of :class:`skmia.targets.TensorNeuralNetClassifier`.

Batches are sliced from in-memory tensors by
:class:`skmia.targets.TensorBatchIterator`; other data goes through
skorch's DataLoader path.
"""

import numpy as np
import pytest
import torch
import torch.utils.data
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset, ValidSplit

from skmia.targets import SmallCNN, TensorBatchIterator

from ._fixtures import PairDataset, small_cnn


def test_training_never_uses_dataloader_or_per_sample_access(small, monkeypatch):
    X, y = small

    def forbidden(*args, **kwargs):
        raise AssertionError("slow per-sample data path used")

    monkeypatch.setattr(torch.utils.data.DataLoader, "__iter__", forbidden)
    monkeypatch.setattr(torch.utils.data.DataLoader, "__init__", forbidden)
    monkeypatch.setattr(torch.utils.data._utils.collate, "default_collate", forbidden)
    monkeypatch.setattr(Dataset, "__getitem__", forbidden)
    split = ValidSplit(0.2, stratified=True, random_state=0)
    net = small_cnn(max_epochs=2, train_split=split)
    net.fit(X, y)
    assert net.predict_proba(X).shape == (300, 10)
    assert net.forward(torch.as_tensor(X)).shape == (300, 10)
    assert "valid_loss" in net.history[-1]


def test_stock_skorch_path_is_the_one_patched(small, monkeypatch):
    # Guard for the test above: the same patch does break skorch's default path.
    X, y = small
    monkeypatch.setattr(
        torch.utils.data.DataLoader, "__iter__", lambda self: (_ for _ in ()).throw(
            AssertionError("DataLoader used")
        )
    )
    net = NeuralNetClassifier(
        SmallCNN, criterion=torch.nn.CrossEntropyLoss, max_epochs=1, train_split=None
    )
    with pytest.raises(AssertionError, match="DataLoader used"):
        net.fit(X, y)


def test_training_batches_shuffled_each_epoch(small):
    X, y = small
    ids = torch.arange(len(X), dtype=torch.float32)[:, None]
    net = small_cnn(iterator_train__batch_size=64)
    iterator = net.get_iterator(net.get_dataset(ids, y), training=True)
    epochs = [torch.cat([Xb for Xb, _ in iterator])[:, 0].long() for _ in range(2)]
    assert [len(Xb) for Xb, _ in iterator] == [64, 64, 64, 64, 44]
    for order in epochs:
        assert torch.equal(order.sort().values, torch.arange(300))
        assert not torch.equal(order, torch.arange(300))
    assert not torch.equal(epochs[0], epochs[1])
    # labels travel with their inputs
    Xb, yb = next(iter(iterator))
    assert torch.equal(yb, torch.as_tensor(y)[Xb[:, 0].long()])
    assert yb.dtype == torch.int64


def test_iterator_params_are_honoured(small):
    X, y = small
    net = small_cnn(
        batch_size=100,
        iterator_train__shuffle=False,
        iterator_train__drop_last=True,
        iterator_valid__batch_size=128,
        iterator_train__num_workers=4,  # ignored: nothing to parallelise
    )
    ids = np.arange(250, dtype=np.float32)[:, None]
    dataset = net.get_dataset(ids, y[:250])
    train = [Xb[:, 0] for Xb, _ in net.get_iterator(dataset, training=True)]
    assert [len(b) for b in train] == [100, 100]
    assert torch.equal(torch.cat(train), torch.arange(200, dtype=torch.float32))
    valid = [Xb for Xb, _ in net.get_iterator(dataset, training=False)]
    assert [len(b) for b in valid] == [128, 122]
    net.set_params(iterator_valid__batch_size=-1)
    assert [len(b) for b, _ in net.get_iterator(dataset, training=False)] == [250]


def test_subset_of_dataset_yields_its_rows(small):
    X, y = small
    net = small_cnn(batch_size=7)
    ids = np.arange(300, dtype=np.float32)[:, None]
    dataset = net.get_dataset(ids, y)
    inner = torch.utils.data.Subset(dataset, np.arange(0, 300, 2))
    subset = torch.utils.data.Subset(inner, np.arange(10, 40))
    rows = torch.cat([Xb[:, 0] for Xb, _ in net.get_iterator(subset, training=False)])
    assert torch.equal(rows, torch.arange(20, 80, 2, dtype=torch.float32))
    train = net.get_iterator(subset, training=True)
    shuffled = torch.cat([Xb[:, 0] for Xb, _ in train])
    assert torch.equal(shuffled.sort().values, rows)


def test_tensors_are_used_as_given(small):
    X, y = small
    X_t = torch.as_tensor(X)
    dataset = small_cnn().get_dataset(X_t, torch.as_tensor(y))
    assert dataset.X is X_t


def test_other_data_falls_back_to_skorch(small, monkeypatch):
    X, y = small
    collate = torch.utils.data.default_collate
    net = small_cnn(max_epochs=1, iterator_train__collate_fn=collate)
    dataset = net.get_dataset(X, y)
    DataLoader = torch.utils.data.DataLoader
    assert isinstance(net.get_iterator(dataset, training=True), DataLoader)
    assert not isinstance(net.get_iterator(dataset, training=False), DataLoader)
    # A Dataset without tensors behind it trains through the DataLoader.
    net = small_cnn(max_epochs=1).fit(PairDataset(X, y), None)
    assert len(net.history) == 1
    assert net.history[-1, "batches", -1, "train_batch_size"] == 300 - 2 * 128


def test_tensor_batch_iterator_slices_the_given_rows():
    X = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10) * 10
    indices = torch.tensor([8, 6, 4, 2, 0])
    batches = TensorBatchIterator(X, y, indices, batch_size=2)
    assert batches.n_rows == 5 and len(batches) == 3
    assert [yb.tolist() for _, yb in batches] == [[80, 60], [40, 20], [0]]
    for Xb, yb in batches:  # inputs travel with their labels
        assert torch.equal(Xb[:, 0], (yb // 10 * 2).float())
    Xb, yb = batches.take(torch.tensor([1, 4]))
    assert yb.tolist() == [60, 0] and torch.equal(Xb, X[[6, 0]])
    Xb, yb = batches.take(torch.tensor([], dtype=torch.long))
    assert Xb.shape == (0, 2) and Xb.dtype == X.dtype and yb.shape == (0,)


def test_tensor_batch_iterator_shuffles_each_pass_and_drops_last():
    X = torch.arange(10.0)[:, None]
    generator = torch.Generator().manual_seed(0)
    batches = TensorBatchIterator(
        X, None, batch_size=3, shuffle=True, drop_last=True, generator=generator
    )
    assert len(batches) == 3
    passes = []
    for _ in range(2):
        pass_ = list(batches)
        assert [len(Xb) for Xb, _ in pass_] == [3, 3, 3]
        assert all(yb is None for _, yb in pass_)
        rows = torch.cat([Xb[:, 0] for Xb, _ in pass_]).long()
        assert len(rows.unique()) == 9  # one row dropped, none repeated
        passes.append(rows)
    assert not torch.equal(passes[0], passes[1])
    assert batches.take(torch.tensor([3]))[0].item() == 3.0  # no indices: rows
