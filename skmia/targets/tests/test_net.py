"""Tests for :class:`skmia.targets.TensorNeuralNetClassifier` and ``make_target``."""

import pickle

import numpy as np
import pytest
import torch
import torch.utils.data
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from skorch import NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset, ValidSplit

from skmia.targets import (
    MLP,
    RandomCropFlip,
    ResNet18,
    SmallCNN,
    TensorNeuralNetClassifier,
    make_target,
)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    X = (data.images[:, None] / 16).astype(np.float32)
    return X, data.target.astype(np.int64)


@pytest.fixture
def small(digits):
    X, y = digits
    return X[:300], y[:300]


def _cnn(**params):
    params = {"max_epochs": 3, "random_state": 0, **params}
    return make_target("small_cnn", n_classes=10, in_channels=1, **params)


class _Recorder:
    """Augmentation that records the batches it sees and returns them unchanged."""

    def __init__(self):
        self.shapes = []

    def __call__(self, X):
        assert torch.is_tensor(X)
        self.shapes.append(tuple(X.shape))
        return X


class _PairDataset(torch.utils.data.Dataset):
    """A plain map-style dataset, unknown to the tensor fast path."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


# -- make_target -------------------------------------------------------------


def test_make_target_returns_unfitted_net_with_fast_defaults():
    net = make_target("small_cnn", n_classes=10, in_channels=1)
    assert type(net) is TensorNeuralNetClassifier
    assert isinstance(net, NeuralNetClassifier)
    with pytest.raises(NotFittedError):
        net.check_is_fitted()
    params = net.get_params()
    assert params["module"] is SmallCNN
    assert params["module__n_classes"] == 10
    assert params["module__in_channels"] == 1
    assert params["optimizer"] is torch.optim.Adam
    assert params["criterion"] is torch.nn.CrossEntropyLoss
    assert params["lr"] == 1e-3
    assert params["batch_size"] == 128
    assert params["train_split"] is None
    assert params["verbose"] == 0
    assert params["iterator_train__shuffle"] is True
    assert params["iterator_valid__batch_size"] > params["batch_size"]
    assert params["random_state"] is None and params["augmentation"] is None


@pytest.mark.parametrize(
    "arch, sizes, module",
    [
        ("resnet18", {"in_channels": 3}, ResNet18),
        ("small_cnn", {"in_channels": 1}, SmallCNN),
        ("mlp", {"in_features": 64}, MLP),
    ],
)
def test_make_target_architectures(arch, sizes, module):
    net = make_target(arch, n_classes=4, **sizes).initialize()
    assert type(net.module_) is module
    assert net.module_.n_classes == 4
    (name, value), = sizes.items()
    assert getattr(net.module_, name) == value


def test_make_target_accepts_module_class():
    net = make_target(MLP, n_classes=3, in_features=64).initialize()
    assert type(net.module_) is MLP and net.module_.in_features == 64


def test_make_target_passes_skorch_params_through():
    net = make_target(
        "small_cnn",
        n_classes=10,
        in_channels=1,
        max_epochs=7,
        lr=0.05,
        module__dropout=0.25,
        optimizer__weight_decay=5e-4,
        criterion__label_smoothing=0.1,
        augmentation=RandomCropFlip(padding=1),
        random_state=3,
    ).initialize()
    assert net.max_epochs == 7 and net.random_state == 3
    assert net.augmentation == RandomCropFlip(padding=1)
    assert net.module_.dropout == 0.25
    group = net.optimizer_.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 5e-4
    assert net.criterion_.label_smoothing == 0.1


@pytest.mark.parametrize(
    "arch, sizes, match",
    [
        ("small_cnn", {}, "in_channels"),
        ("resnet18", {"in_features": 64}, "in_channels"),
        ("mlp", {"in_channels": 1}, "in_features"),
        ("resnet50", {"in_channels": 3}, "resnet50.*'mlp', 'resnet18', 'small_cnn'"),
        (SmallCNN(), {"in_channels": 1}, "unknown arch"),
    ],
)
def test_make_target_errors(arch, sizes, match):
    with pytest.raises(ValueError, match=match):
        make_target(arch, n_classes=10, **sizes)


def test_make_target_rejects_module_param():
    with pytest.raises(TypeError, match="arch"):
        make_target("mlp", n_classes=10, in_features=64, module=MLP)


# -- training ----------------------------------------------------------------


def test_overfits_digits(small):
    X, y = small
    net = make_target("small_cnn", n_classes=10, in_channels=1, random_state=0)
    net.fit(X, y)
    assert np.mean(net.predict(X) == y) >= 0.99
    proba = net.predict_proba(X)
    assert proba.shape == (300, 10) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(net.classes_, np.arange(10))


def test_mlp_trains_on_tabular_float64(small):
    X, y = small
    X_tab = X.reshape(len(X), -1).astype(np.float64)  # stock skorch rejects float64
    net = make_target(
        "mlp", n_classes=10, in_features=64, max_epochs=20, random_state=0
    )
    net.fit(X_tab, y.astype(np.int32))
    assert np.mean(net.predict(X_tab) == y) > 0.9


def test_same_seed_same_proba_different_seed_different(small, digits):
    X, y = small
    X_all = digits[0]
    params = {"module__dropout": 0.3, "augmentation": RandomCropFlip(padding=1)}
    p0 = _cnn(random_state=0, **params).fit(X, y).predict_proba(X_all)
    p0_again = _cnn(random_state=0, **params).fit(X, y).predict_proba(X_all)
    p1 = _cnn(random_state=1, **params).fit(X, y).predict_proba(X_all)
    assert np.array_equal(p0, p0_again)
    assert np.abs(p0 - p1).max() > 1e-3


def test_seeding_leaves_global_rng_alone(small):
    X, y = small
    torch.manual_seed(123)
    state = torch.get_rng_state()
    _cnn(random_state=0, max_epochs=1).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    _cnn(random_state=None, max_epochs=1).fit(X, y)
    assert not torch.equal(torch.get_rng_state(), state)


def test_unseeded_fits_differ(small):
    X, y = small
    a = _cnn(random_state=None).fit(X, y).predict_proba(X)
    b = _cnn(random_state=None).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, b)


def test_fit_equals_initialize_then_partial_fit(small):
    X, y = small
    fitted = _cnn(random_state=5).fit(X, y).predict_proba(X)
    net = _cnn(random_state=5).initialize()
    assert np.array_equal(net.partial_fit(X, y).predict_proba(X), fitted)
    # A further partial_fit trains on (reproducible) new shuffles.
    more = net.partial_fit(X, y).predict_proba(X)
    net2 = _cnn(random_state=5).fit(X, y)
    assert np.array_equal(net2.partial_fit(X, y).predict_proba(X), more)
    assert len(net.history) == 6


def test_random_state_instance_is_accepted(small):
    X, y = small
    a = _cnn(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    b = _cnn(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "params, match",
    [({"random_state": "0"}, "random_state"), ({"augmentation": 3}, "augmentation")],
)
def test_invalid_params_fail_at_fit(small, params, match):
    X, y = small
    net = _cnn(**params)  # __init__ does not validate
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)


def test_training_never_uses_dataloader_or_per_sample_access(small, monkeypatch):
    X, y = small

    def forbidden(*args, **kwargs):
        raise AssertionError("slow per-sample data path used")

    monkeypatch.setattr(torch.utils.data.DataLoader, "__iter__", forbidden)
    monkeypatch.setattr(torch.utils.data.DataLoader, "__init__", forbidden)
    monkeypatch.setattr(torch.utils.data._utils.collate, "default_collate", forbidden)
    monkeypatch.setattr(Dataset, "__getitem__", forbidden)
    split = ValidSplit(0.2, stratified=True, random_state=0)
    net = _cnn(max_epochs=2, train_split=split)
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


def test_early_stopping_with_valid_split(small):
    X, y = small
    net = _cnn(
        max_epochs=200,
        train_split=ValidSplit(0.25, stratified=True, random_state=0),
        callbacks=[EarlyStopping(patience=3)],
    )
    net.fit(X, y)
    history = net.history
    assert len(history) < 200
    assert {"train_loss", "valid_loss", "valid_acc"} <= set(history[-1])
    # 75 validation digits fit in one evaluation batch.
    assert history[-1, "batches", -1, "valid_batch_size"] == 75
    assert history[-1, "valid_acc"] > 0.7


def test_training_batches_shuffled_each_epoch(small):
    X, y = small
    ids = torch.arange(len(X), dtype=torch.float32)[:, None]
    net = _cnn(iterator_train__batch_size=64)
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
    net = _cnn(
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
    net = _cnn(batch_size=7)
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
    dataset = _cnn().get_dataset(X_t, torch.as_tensor(y))
    assert dataset.X is X_t


def test_other_data_falls_back_to_skorch(small, monkeypatch):
    X, y = small
    collate = torch.utils.data.default_collate
    net = _cnn(max_epochs=1, iterator_train__collate_fn=collate)
    dataset = net.get_dataset(X, y)
    DataLoader = torch.utils.data.DataLoader
    assert isinstance(net.get_iterator(dataset, training=True), DataLoader)
    assert not isinstance(net.get_iterator(dataset, training=False), DataLoader)
    # A Dataset without tensors behind it trains through the DataLoader.
    net = _cnn(max_epochs=1).fit(_PairDataset(X, y), None)
    assert len(net.history) == 1
    assert net.history[-1, "batches", -1, "train_batch_size"] == 300 - 2 * 128


def test_augmentation_applies_to_training_batches_only(small):
    X, y = small
    recorder = _Recorder()
    net = _cnn(max_epochs=2, batch_size=128, augmentation=recorder)
    net.fit(X, y)
    assert recorder.shapes == [(128, 1, 8, 8), (128, 1, 8, 8), (44, 1, 8, 8)] * 2
    net.predict_proba(X)
    assert len(recorder.shapes) == 6


def test_augmentation_changes_what_is_learned(small):
    X, y = small
    plain = _cnn(max_epochs=10).fit(X, y)
    blank = _cnn(max_epochs=10, augmentation=torch.zeros_like).fit(X, y)
    # On blank inputs nothing beats the label frequencies (loss ~ log 10).
    assert blank.history[-1, "train_loss"] > 2.2
    assert plain.history[-1, "train_loss"] < 2.0


def test_clone_gives_unfitted_copy_with_same_params(small):
    X, y = small
    aug = RandomCropFlip(padding=1)
    net = _cnn(random_state=7, augmentation=aug, module__dropout=0.2).fit(X, y)
    copy = clone(net)
    assert type(copy) is TensorNeuralNetClassifier
    assert not copy.initialized_
    assert copy.random_state == 7 and copy.augmentation == aug
    assert copy.get_params()["module__dropout"] == 0.2
    assert np.array_equal(copy.fit(X, y).predict_proba(X), net.predict_proba(X))


def test_pickle_round_trip(small):
    X, y = small
    net = _cnn(augmentation=RandomCropFlip()).fit(X, y)
    copy = pickle.loads(pickle.dumps(net))
    assert np.array_equal(copy.predict_proba(X), net.predict_proba(X))
    assert copy.augmentation == net.augmentation and copy.random_state == 0


def test_set_params_changes_seed(small):
    X, y = small
    net = _cnn(random_state=0)
    a = net.fit(X, y).predict_proba(X)
    b = net.set_params(random_state=1).fit(X, y).predict_proba(X)
    c = net.set_params(random_state=0).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, c)


def test_works_in_cross_val_score(digits):
    X, y = digits
    scores = cross_val_score(_cnn(max_epochs=10), X[:600], y[:600], cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.5)  # chance is 0.1


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_and_reproducibility(small):
    X, y = small
    params = {"device": "cuda", "augmentation": RandomCropFlip(padding=1)}
    recorder = []

    def on_device(batch):
        recorder.append(batch.device.type)
        return params["augmentation"](batch)

    net = make_target(
        "small_cnn", n_classes=10, in_channels=1, random_state=0, device="cuda",
        augmentation=on_device,
    ).fit(X, y)
    assert set(recorder) == {"cuda"}
    assert np.mean(net.predict(X) == y) >= 0.99
    assert next(net.module_.parameters()).device.type == "cuda"
    with torch.backends.cudnn.flags(deterministic=True, benchmark=False):
        a = _cnn(**params).fit(X, y).predict_proba(X)
        b = _cnn(**params).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-6)
