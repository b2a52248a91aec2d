"""Tests for :class:`skmia.defenses.DPNeuralNetClassifier` (DP-SGD with Opacus)."""

import copy
import importlib.util
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torch.utils.data
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from skmia.defenses import DPNeuralNetClassifier
from skmia.targets import MLP, ResNet18, SmallCNN


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
    return X[:200], y[:200]


def _mlp(**params):
    """A tiny DP MLP on 8x8 digits; ``batch_size=20`` on 200 records is q = 0.1."""
    params = {
        "module__n_classes": 10,
        "module__in_features": 64,
        "module__hidden_sizes": (16,),
        "optimizer": torch.optim.SGD,
        "lr": 0.5,
        "batch_size": 20,
        "max_epochs": 3,
        "target_delta": 1e-5,
        "verbose": 0,
        "random_state": 0,
        **params,
    }
    return DPNeuralNetClassifier(MLP, **params)


def _params(module):
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


class _StepRecorder(Callback):
    """Records, for every training step, the batch and the parameter change."""

    def on_train_begin(self, net, **kwargs):
        self.batches, self.sizes, self.updates = [], [], []

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self._before = _params(net.module_)
            self.batches.append(batch[0].clone())
            self.sizes.append(len(batch[0]))

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.updates.append(_params(net.module_) - self._before)


def _dp_accounting():
    dp_accounting = pytest.importorskip("dp_accounting")
    from absl import logging

    # Its RDP code logs a warning for each order it cannot compute.
    logging.set_verbosity(logging.ERROR)
    return dp_accounting


def _dp_accounting_epsilon(kind, noise, sample_rate, steps, delta):
    """Epsilon from Google's dp_accounting, independent of Opacus."""
    from opacus.accountants import RDPAccountant

    dp_accounting = _dp_accounting()
    event = dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(
            sample_rate, dp_accounting.GaussianDpEvent(noise)
        ),
        steps,
    )
    if kind == "rdp":
        accountant = dp_accounting.rdp.RdpAccountant(
            orders=RDPAccountant.DEFAULT_ALPHAS
        )
    else:
        accountant = dp_accounting.pld.PLDAccountant()
    return float(accountant.compose(event).get_epsilon(delta))


# -- accounting --------------------------------------------------------------


def test_epsilon_agrees_with_independent_accountants(small):
    X, y = small
    rdp = _mlp(noise_multiplier=1.0).fit(X, y)
    prv = _mlp(noise_multiplier=1.0, accountant="prv").fit(X, y)

    # 200 records, expected batch 20: q = 0.1, 10 steps an epoch, 3 epochs.
    for net in (rdp, prv):
        assert net.sample_rate_ == pytest.approx(0.1)
        assert net.steps_ == 30
        assert net.noise_multiplier_ == 1.0
        assert net.delta_ == 1e-5
    # Google's dp_accounting, Poisson-sampled Gaussian composed 30 times.
    eps_rdp = _dp_accounting_epsilon("rdp", 1.0, 0.1, 30, 1e-5)
    eps_pld = _dp_accounting_epsilon("pld", 1.0, 0.1, 30, 1e-5)
    assert rdp.epsilon_ == pytest.approx(eps_rdp, rel=1e-2)
    assert prv.epsilon_ == pytest.approx(eps_pld, rel=2e-2)
    # PRV accounting is tighter than the RDP bound, but not by much here.
    assert 0.75 * rdp.epsilon_ < prv.epsilon_ < rdp.epsilon_
    # Another delta, from the kept accountant.
    eps_1e3 = _dp_accounting_epsilon("rdp", 1.0, 0.1, 30, 1e-3)
    assert rdp.get_epsilon(1e-3) == pytest.approx(eps_1e3, rel=1e-2)
    assert rdp.get_epsilon(1e-3) < rdp.epsilon_ == rdp.get_epsilon()


@pytest.mark.parametrize(
    "accountant",
    ["rdp", pytest.param("prv", marks=pytest.mark.slow), "gdp"],
)
def test_target_epsilon_is_met(small, accountant):
    X, y = small
    net = _mlp(target_epsilon=2.0, noise_multiplier=0.1, accountant=accountant)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="GDP accounting is experimental")
        net.fit(X, y)

    assert net.steps_ == 30
    assert net.noise_multiplier_ > 0.1  # calibrated, the parameter is ignored
    # Spent at most the budget, and (calibration tolerance 0.01) not much less.
    assert 1.95 <= net.epsilon_ <= 2.0
    if accountant == "rdp":
        independent = _dp_accounting_epsilon(
            "rdp", net.noise_multiplier_, net.sample_rate_, net.steps_, 1e-5
        )
        assert independent == pytest.approx(net.epsilon_, rel=1e-2)


def test_training_past_the_calibrated_epochs_warns(small):
    X, y = small
    net = _mlp(target_epsilon=2.0, max_epochs=1).fit(X, y)
    noise = net.noise_multiplier_
    with pytest.warns(UserWarning, match="more than target_epsilon"):
        net.partial_fit(X, y)
    assert net.noise_multiplier_ == noise  # not recalibrated
    assert net.steps_ == 20
    assert net.epsilon_ > 2.0


def test_partial_fit_continues_the_accountant_and_fit_restarts_it(small):
    X, y = small
    net = _mlp(max_epochs=1).fit(X, y)
    eps_one_epoch = net.epsilon_
    net.partial_fit(X, y)
    assert net.steps_ == 20
    assert net.epsilon_ > eps_one_epoch
    net.fit(X, y)
    assert net.steps_ == 10
    assert net.epsilon_ == pytest.approx(eps_one_epoch)


def test_changing_the_accountant_keeps_the_privacy_spent(small):
    X, y = small
    net = _mlp(max_epochs=1).fit(X, y)
    net.set_params(accountant="prv")
    net.partial_fit(X, y)
    assert net.accountant_.mechanism() == "prv"
    assert net.accountant_.history == [(1.0, pytest.approx(0.1), 20)]


def test_no_noise_means_infinite_epsilon(small):
    X, y = small
    net = _mlp(noise_multiplier=0.0).fit(X, y)
    assert net.epsilon_ == math.inf
    assert net.get_epsilon(0.1) == math.inf


def test_get_epsilon_before_fit_and_bad_delta(small):
    with pytest.raises(NotFittedError):
        _mlp().get_epsilon(1e-5)
    net = _mlp(max_epochs=1).fit(*small)
    with pytest.raises(ValueError, match="delta"):
        net.get_epsilon(0)


# -- sampling ----------------------------------------------------------------


def test_poisson_batches(small):
    X, y = small
    recorder = _StepRecorder()
    # Tag every record with its index in an extra input column.
    X_tagged = np.c_[X.reshape(len(X), -1), np.arange(len(X))].astype(np.float32)
    net = _mlp(
        module__in_features=65, max_epochs=20, callbacks=[recorder]
    ).fit(X_tagged, y)

    sizes = np.array(recorder.sizes)
    # 1/q = 10 steps an epoch, the number of steps the accountant saw.
    assert len(sizes) == net.steps_ == 200
    assert net.history[-1, "train_batch_count"] == 10
    # Binomial(200, 0.1) sizes: mean 20, sd ~4.2, never all the same.
    assert abs(sizes.mean() - 20) < 1.5
    assert 2.5 < sizes.std() < 6.0
    assert list(net.history[0, "batches", :, "train_batch_size"]) == list(sizes[:10])
    # Each step samples each record independently: no repeats in a batch,
    # each record in about 10% of the steps, some records unseen in an epoch.
    seen = [batch[:, -1].long() for batch in recorder.batches]
    assert all(len(ids.unique()) == len(ids) for ids in seen)
    counts = np.bincount(torch.cat(seen).numpy(), minlength=200)
    assert abs(counts.mean() / 200 - 0.1) < 0.01
    first_epoch = torch.cat(seen[:10]).unique()
    assert 90 < len(first_epoch) < 170  # about 200 * (1 - 0.9 ** 10) = 130


def test_poisson_sampling_off_gives_fixed_size_batches(small):
    X, y = small
    net = _mlp(
        poisson_sampling=False, batch_size=30, max_epochs=2
    ).fit(X, y)
    sizes = net.history[0, "batches", :, "train_batch_size"]
    assert sizes == [30] * 6 + [20]
    assert net.steps_ == 14
    assert net.sample_rate_ == pytest.approx(0.15)


def test_empty_batches_are_noise_only_steps_and_are_accounted(digits):
    X, y = digits[0][:40], digits[1][:40]
    # q = 1/40: about 36% of the 40 steps of an epoch draw no record at all.
    for noise in (0.0, 1.0):
        recorder = _StepRecorder()
        net = _mlp(
            noise_multiplier=noise, batch_size=1, max_epochs=2, target_delta=1e-3,
            callbacks=[recorder],
        ).fit(X, y)
        sizes = np.array(recorder.sizes)
        norms = np.array([update.norm().item() for update in recorder.updates])
        assert net.steps_ == len(sizes) == 80
        assert 10 < np.sum(sizes == 0) < 50
        assert np.all(np.isfinite(net.history[:, "train_loss"]))
        if noise == 0:
            assert np.all(norms[sizes == 0] == 0)
            assert np.all(norms[sizes > 0] > 0)
        else:
            assert np.all(norms[sizes == 0] > 0)  # noise alone moves the weights


class _PairDataset(torch.utils.data.Dataset):
    """A plain map-style dataset, unknown to the tensor fast path."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def test_other_datasets_use_opacus_poisson_loader(small):
    X, y = small
    net = _mlp(max_epochs=2).fit(_PairDataset(X, y), None)
    sizes = net.history[:, "batches", :, "train_batch_size"]
    sizes = np.concatenate(sizes)
    assert len(sizes) == net.steps_ == 20
    assert len(set(sizes)) > 3
    assert net.predict_proba(X).shape == (200, 10)


# -- clipping and noise ----------------------------------------------------------


def _expected_clipped_step(module, X, y, max_grad_norm, lr, batch_size):
    """One DP-SGD step without noise, per-sample gradients from torch.func."""
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in module.named_parameters()}

    def loss(params, x, t):
        return F.cross_entropy(functional_call(module, params, (x[None],)), t[None])

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)
    norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
    factor = (max_grad_norm / (norms + 1e-6)).clamp(max=1.0)
    assert (norms > max_grad_norm).all()  # every per-sample gradient is clipped
    return {
        name: -lr * torch.einsum("i,i...", factor, g) / batch_size
        for name, g in grads.items()
    }


def test_per_sample_gradients_are_clipped(small):
    X, y = small[0][:32], small[1][:32]
    lr, max_grad_norm = 0.5, 1e-3
    # One full, unshuffled batch: one step, no sampling randomness.
    net = _mlp(
        noise_multiplier=0.0, max_grad_norm=max_grad_norm, lr=lr, batch_size=32,
        max_epochs=1, poisson_sampling=False, iterator_train__shuffle=False,
    )
    net.initialize()
    before = copy.deepcopy(net.module_)
    expected = _expected_clipped_step(
        before, torch.as_tensor(X), torch.as_tensor(y), max_grad_norm, lr, 32
    )
    net.partial_fit(X, y)
    assert net.steps_ == 1
    total = 0.0
    for (name, p), q in zip(net.module_.named_parameters(), before.parameters()):
        torch.testing.assert_close(p.detach() - q.detach(), expected[name])
        total += (p.detach() - q.detach()).pow(2).sum()
    assert total.sqrt() <= lr * max_grad_norm


def test_update_norm_is_bounded_by_clipping_under_poisson_sampling(small):
    X, y = small
    lr, max_grad_norm = 0.5, 1e-3
    recorder = _StepRecorder()
    _mlp(
        noise_multiplier=0.0, max_grad_norm=max_grad_norm, lr=lr,
        callbacks=[recorder],
    ).fit(X, y)
    sizes = np.array(recorder.sizes)
    norms = np.array([update.norm().item() for update in recorder.updates])
    # Sum of per-sample gradients of norm <= C, divided by the expected size.
    bound = lr * max_grad_norm * sizes / 20
    assert np.all(norms <= bound * (1 + 1e-4))
    assert np.all(norms > 0.1 * bound)  # the clipped gradients still push
    # Without clipping (large bound) the same steps are far larger.
    free = _StepRecorder()
    _mlp(noise_multiplier=0.0, lr=lr, max_grad_norm=1e6, callbacks=[free]).fit(X, y)
    assert np.mean([u.norm().item() for u in free.updates]) > 100 * norms.mean()


def test_noise_has_the_configured_scale(small):
    X, y = small[0][:32], small[1][:32]
    lr, max_grad_norm, noise = 1.0, 1e-6, 2.0
    # Clipping to 1e-6 makes the gradient negligible: the step is the noise.
    net = _mlp(
        noise_multiplier=noise, max_grad_norm=max_grad_norm, lr=lr, batch_size=32,
        max_epochs=1, poisson_sampling=False, target_delta=1e-3,
    )
    net.initialize()
    before = _params(net.module_)
    net.partial_fit(X, y)
    step = (_params(net.module_) - before) / lr
    # Each coordinate: N(0, (noise * max_grad_norm)^2) / expected batch size.
    assert step.std().item() == pytest.approx(noise * max_grad_norm / 32, rel=0.05)


# -- estimator behaviour -----------------------------------------------------------


def test_reproducible_with_random_state(small):
    X, y = small
    a = _mlp(random_state=0).fit(X, y)
    b = _mlp(random_state=0).fit(X, y)
    c = _mlp(random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history[:, "batches", :, "train_batch_size"] == (
        b.history[:, "batches", :, "train_batch_size"]
    )
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_trained_module_is_plain_and_gives_logits(small):
    X, y = small
    net = _mlp().fit(X, y)
    assert type(net.module_) is MLP
    for p in net.module_.parameters():
        assert not hasattr(p, "grad_sample")
    assert not hasattr(net.module_, "autograd_grad_sample_hooks")
    logits = net.forward(X, training=False)
    np.testing.assert_allclose(
        torch.softmax(logits, 1).numpy(), net.predict_proba(X), rtol=1e-5
    )


def test_hooks_are_removed_when_training_fails(small):
    X, y = small

    class Boom(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            raise RuntimeError("boom")

    net = _mlp(callbacks=[Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(X, y)
    assert not hasattr(net.module_, "autograd_grad_sample_hooks")
    assert net.optimizer_.step_hook is None
    net.set_params(callbacks=[]).fit(X, y)  # hooks can be attached again
    assert net.steps_ == 30


def test_clone_and_pickle(small):
    X, y = small
    net = _mlp(noise_multiplier=0.7, max_grad_norm=0.5, accountant="prv")
    cloned = clone(net)
    assert cloned.get_params()["noise_multiplier"] == 0.7
    assert cloned.get_params()["accountant"] == "prv"
    assert not hasattr(cloned, "epsilon_")

    net.set_params(accountant="rdp").fit(X, y)
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))
    assert restored.epsilon_ == net.epsilon_
    assert restored.get_epsilon(1e-3) == net.get_epsilon(1e-3)
    # Training continues identically from the pickled copy.
    restored.partial_fit(X, y)
    net.partial_fit(X, y)
    assert restored.steps_ == net.steps_ == 60
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))


def test_grid_search_over_noise_multiplier(small):
    X, y = small
    search = GridSearchCV(
        _mlp(max_epochs=2),
        {"noise_multiplier": [0.5, 4.0], "max_grad_norm": [1.0]},
        cv=2,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.noise_multiplier_ == search.best_params_["noise_multiplier"]
    expected = _dp_accounting_epsilon("rdp", best.noise_multiplier_, 0.1, 20, 1e-5)
    assert best.epsilon_ == pytest.approx(expected, rel=1e-2)


@pytest.mark.parametrize(
    "module, module_params",
    [
        (SmallCNN, {"module__in_channels": 1}),
        (MLP, {"module__in_features": 64, "module__hidden_sizes": (64,)}),
    ],
)
def test_learns_digits(digits, module, module_params):
    X, y = digits
    net = DPNeuralNetClassifier(
        module, module__n_classes=10, **module_params, noise_multiplier=1.0,
        max_grad_norm=1.0, optimizer=torch.optim.SGD, lr=1.0, batch_size=50,
        max_epochs=4, target_delta=1e-4, verbose=0, random_state=0,
    ).fit(X[:500], y[:500])
    assert 0 < net.epsilon_ < 10
    accuracy = np.mean(net.predict(X[1000:1400]) == y[1000:1400])
    assert accuracy > 0.4  # chance is 0.1


# -- validation --------------------------------------------------------------------


def test_batchnorm_is_rejected_at_fit_with_a_helpful_message(small):
    X, y = small
    net = DPNeuralNetClassifier(
        ResNet18, module__n_classes=10, module__in_channels=1, module__norm="batch",
    )  # no error before fit
    with pytest.raises(ValueError, match="BatchNorm") as excinfo:
        net.fit(X, y)
    message = str(excinfo.value)
    assert "'bn1'" in message and "'layer1.0.bn2'" in message
    assert "ResNet18(norm='group')" in message
    assert "ModuleValidator.fix" in message
    # Group norm is fine.
    net.set_params(module__norm="group").initialize()


def test_target_epsilon_needs_epochs(small):
    X, y = small
    for max_epochs in (0, None):
        with pytest.raises(ValueError, match="max_epochs"):
            _mlp(target_epsilon=1.0, max_epochs=max_epochs).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"noise_multiplier": -0.5},
        {"max_grad_norm": 0.0},
        {"max_grad_norm": -1.0},
        {"target_epsilon": 0.0},
        {"target_epsilon": -1.0},
        {"target_delta": 0.0},
        {"target_delta": 1.0},
        {"accountant": "moments"},
        {"poisson_sampling": "yes"},
    ],
)
def test_invalid_params_fail_at_fit(small, params):
    net = _mlp(**params)  # __init__ only stores
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=name):
        net.fit(*small)


def test_warns_when_delta_is_not_below_one_over_n(small, recwarn):
    X, y = small
    with pytest.warns(UserWarning, match="1/n_train = 1/200"):
        _mlp(target_delta=1 / 200, max_epochs=1).fit(X, y)
    recwarn.clear()
    _mlp(target_delta=1e-3, max_epochs=1).fit(X, y)
    assert not [w for w in recwarn if "n_train" in str(w.message)]


def test_criterion_must_average_or_sum(small):
    net = _mlp(criterion__reduction="none")
    with pytest.raises(ValueError, match="reduction"):
        net.fit(*small)


def test_secure_mode_needs_torchcsprng(small):
    if importlib.util.find_spec("torchcsprng") is None:
        with pytest.raises(ImportError, match="torchcsprng"):
            _mlp(secure_mode=True).fit(*small)
    else:
        net = _mlp(secure_mode=True).fit(*small)
        assert net.steps_ == 30


@pytest.mark.slow
def test_noise_reduces_membership_leakage(digits_split, audit_set):
    from skmia.attacks import ThresholdAttack
    from skmia.targets import make_target

    records, membership = audit_set
    X, y = digits_split.target_in.X, digits_split.target_in.y  # 60 members
    params = dict(max_epochs=100, batch_size=20, random_state=0)
    plain = make_target(
        "mlp", n_classes=10, in_features=64, module__hidden_sizes=(256,), **params
    ).fit(X, y)
    private = DPNeuralNetClassifier(
        MLP, module__n_classes=10, module__in_features=64,
        module__hidden_sizes=(256,), noise_multiplier=3.0, max_grad_norm=1.0,
        optimizer=torch.optim.Adam, lr=1e-3, target_delta=1e-3, verbose=0, **params,
    ).fit(X, y)

    def auc(target):
        attack = ThresholdAttack(target, signal="loss").fit(records, membership)
        return attack.score(records, membership)

    assert private.epsilon_ < 10
    assert auc(plain) > 0.65
    assert auc(private) < 0.6
