"""Tests for :class:`skmia.defenses.DPNeuralNetClassifier` as an estimator.

Reproducibility, the plain module after training, clone and pickle,
learning, and the validation of parameters and modules. Accounting and the
DP-SGD steps have their own files.
"""

import importlib.util
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from skmia.defenses import DPNeuralNetClassifier
from skmia.targets import MLP, ResNet18, SmallCNN

from ._fixtures import dp_mlp


def test_reproducible_with_random_state(small):
    X, y = small
    a = dp_mlp(random_state=0).fit(X, y)
    b = dp_mlp(random_state=0).fit(X, y)
    c = dp_mlp(random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history[:, "batches", :, "train_batch_size"] == (
        b.history[:, "batches", :, "train_batch_size"]
    )
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_trained_module_is_plain_and_gives_logits(small):
    X, y = small
    net = dp_mlp().fit(X, y)
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

    net = dp_mlp(callbacks=[Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        net.fit(X, y)
    assert not hasattr(net.module_, "autograd_grad_sample_hooks")
    assert net.optimizer_.step_hook is None
    net.set_params(callbacks=[]).fit(X, y)  # hooks can be attached again
    assert net.steps_ == 30


def test_clone_and_pickle(small):
    X, y = small
    net = dp_mlp(noise_multiplier=0.7, max_grad_norm=0.5, accountant="prv")
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
            dp_mlp(target_epsilon=1.0, max_epochs=max_epochs).fit(X, y)


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
    net = dp_mlp(**params)  # __init__ only stores
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=name):
        net.fit(*small)


def test_warns_when_delta_is_not_below_one_over_n(small, recwarn):
    X, y = small
    with pytest.warns(UserWarning, match="1/n_train = 1/200"):
        dp_mlp(target_delta=1 / 200, max_epochs=1).fit(X, y)
    recwarn.clear()
    dp_mlp(target_delta=1e-3, max_epochs=1).fit(X, y)
    assert not [w for w in recwarn if "n_train" in str(w.message)]


def test_criterion_must_average_or_sum(small):
    net = dp_mlp(criterion__reduction="none")
    with pytest.raises(ValueError, match="reduction"):
        net.fit(*small)


def test_secure_mode_needs_torchcsprng(small):
    if importlib.util.find_spec("torchcsprng") is None:
        with pytest.raises(ImportError, match="torchcsprng"):
            dp_mlp(secure_mode=True).fit(*small)
    else:
        net = dp_mlp(secure_mode=True).fit(*small)
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
