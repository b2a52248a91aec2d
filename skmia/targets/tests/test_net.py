"""Training with :class:`skmia.targets.TensorNeuralNetClassifier`.

Learning, seeding, early stopping, augmentation, and the estimator API
(clone, pickle, ``set_params``, cross-validation). The tensor fast path and
:func:`~skmia.targets.make_target` have their own files.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from skmia.targets import RandomCropFlip, TensorNeuralNetClassifier, make_target

from ._fixtures import small_cnn


class _Recorder:
    """Augmentation that records the batches it sees and returns them unchanged."""

    def __init__(self):
        self.shapes = []

    def __call__(self, X):
        assert torch.is_tensor(X)
        self.shapes.append(tuple(X.shape))
        return X


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
    p0 = small_cnn(random_state=0, **params).fit(X, y).predict_proba(X_all)
    p0_again = small_cnn(random_state=0, **params).fit(X, y).predict_proba(X_all)
    p1 = small_cnn(random_state=1, **params).fit(X, y).predict_proba(X_all)
    assert np.array_equal(p0, p0_again)
    assert np.abs(p0 - p1).max() > 1e-3


def test_seeding_leaves_global_rng_alone(small):
    X, y = small
    torch.manual_seed(123)
    state = torch.get_rng_state()
    small_cnn(random_state=0, max_epochs=1).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    small_cnn(random_state=None, max_epochs=1).fit(X, y)
    assert not torch.equal(torch.get_rng_state(), state)


def test_unseeded_fits_differ(small):
    X, y = small
    a = small_cnn(random_state=None).fit(X, y).predict_proba(X)
    b = small_cnn(random_state=None).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, b)


def test_fit_equals_initialize_then_partial_fit(small):
    X, y = small
    fitted = small_cnn(random_state=5).fit(X, y).predict_proba(X)
    net = small_cnn(random_state=5).initialize()
    assert np.array_equal(net.partial_fit(X, y).predict_proba(X), fitted)
    # A further partial_fit trains on (reproducible) new shuffles.
    more = net.partial_fit(X, y).predict_proba(X)
    net2 = small_cnn(random_state=5).fit(X, y)
    assert np.array_equal(net2.partial_fit(X, y).predict_proba(X), more)
    assert len(net.history) == 6


def test_random_state_instance_is_accepted(small):
    X, y = small
    a = small_cnn(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    b = small_cnn(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "params, match",
    [({"random_state": "0"}, "random_state"), ({"augmentation": 3}, "augmentation")],
)
def test_invalid_params_fail_at_fit(small, params, match):
    X, y = small
    net = small_cnn(**params)  # __init__ does not validate
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)


def test_early_stopping_with_valid_split(small):
    X, y = small
    net = small_cnn(
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


def test_augmentation_applies_to_training_batches_only(small):
    X, y = small
    recorder = _Recorder()
    net = small_cnn(max_epochs=2, batch_size=128, augmentation=recorder)
    net.fit(X, y)
    assert recorder.shapes == [(128, 1, 8, 8), (128, 1, 8, 8), (44, 1, 8, 8)] * 2
    net.predict_proba(X)
    assert len(recorder.shapes) == 6


def test_augmentation_changes_what_is_learned(small):
    X, y = small
    plain = small_cnn(max_epochs=10).fit(X, y)
    blank = small_cnn(max_epochs=10, augmentation=torch.zeros_like).fit(X, y)
    # On blank inputs nothing beats the label frequencies (loss ~ log 10).
    assert blank.history[-1, "train_loss"] > 2.2
    assert plain.history[-1, "train_loss"] < 2.0


def test_clone_gives_unfitted_copy_with_same_params(small):
    X, y = small
    aug = RandomCropFlip(padding=1)
    net = small_cnn(random_state=7, augmentation=aug, module__dropout=0.2).fit(X, y)
    copy = clone(net)
    assert type(copy) is TensorNeuralNetClassifier
    assert not copy.initialized_
    assert copy.random_state == 7 and copy.augmentation == aug
    assert copy.get_params()["module__dropout"] == 0.2
    assert np.array_equal(copy.fit(X, y).predict_proba(X), net.predict_proba(X))


def test_pickle_round_trip(small):
    X, y = small
    net = small_cnn(augmentation=RandomCropFlip()).fit(X, y)
    copy = pickle.loads(pickle.dumps(net))
    assert np.array_equal(copy.predict_proba(X), net.predict_proba(X))
    assert copy.augmentation == net.augmentation and copy.random_state == 0


def test_set_params_changes_seed(small):
    X, y = small
    net = small_cnn(random_state=0)
    a = net.fit(X, y).predict_proba(X)
    b = net.set_params(random_state=1).fit(X, y).predict_proba(X)
    c = net.set_params(random_state=0).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, c)


def test_works_in_cross_val_score(digits):
    X, y = digits
    scores = cross_val_score(small_cnn(max_epochs=10), X[:600], y[:600], cv=2)
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
        a = small_cnn(**params).fit(X, y).predict_proba(X)
        b = small_cnn(**params).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-6)
