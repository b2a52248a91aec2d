"""OneRunAudit on trained networks: DP-SGD claims hold, overfitting shows (slow)."""

import math

import numpy as np
import pytest

from skmia.auditing import OneRunAudit
from skmia.datasets import load_digits_images

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits_images()
    return bunch.data, bunch.target


def _dp_mlp(noise_multiplier):
    import torch

    from skmia.defenses import DPNeuralNetClassifier
    from skmia.targets import MLP

    return DPNeuralNetClassifier(
        MLP, module__n_classes=10, module__in_features=64,
        module__hidden_sizes=(256,), noise_multiplier=noise_multiplier,
        max_grad_norm=1.0, target_delta=1e-5, optimizer=torch.optim.SGD, lr=0.5,
        batch_size=64, max_epochs=30, verbose=0, random_state=0,
    )


@pytest.mark.parametrize("noise_multiplier", [0.5, 1.0, 2.0])
def test_dp_sgd_bound_never_exceeds_the_accountant(digits, noise_multiplier):
    # measured: lower bounds 0.19, 0.15, 0.04 against claims 47.7, 8.96, 3.00
    X, y = digits
    audit = OneRunAudit(_dp_mlp(noise_multiplier), canaries="mislabeled",
                        random_state=0).fit(X, y)
    assert audit.delta_ == 1e-5
    assert audit.epsilon_claimed_ == audit.estimator_.epsilon_
    assert math.isfinite(audit.epsilon_claimed_)
    assert audit.epsilon_lower_ <= audit.epsilon_claimed_


def test_dp_sgd_claims_fall_with_noise(digits):
    X, y = digits
    claims = [OneRunAudit(_dp_mlp(sigma), n_canaries=200, random_state=0)
              .fit(X, y).epsilon_claimed_ for sigma in (0.5, 2.0)]
    assert claims[0] > 5 * claims[1]


def test_overfitted_network_shows_a_clear_epsilon(digits):
    # a wide MLP trained long memorises its mislabelled canaries; measured 3.77
    from skmia.targets import make_target

    X, y = digits
    net = make_target("mlp", n_classes=10, in_features=64, module__hidden_sizes=(512,),
                      max_epochs=200, lr=3e-3, random_state=0)
    audit = OneRunAudit(net, canaries="mislabeled", random_state=0).fit(X, y)
    canaries = audit.canaries_
    memorised = np.mean(audit.estimator_.predict(canaries.X[audit.included_])
                        == canaries.y[audit.included_])
    assert memorised > 0.95
    assert audit.epsilon_lower_ > 3.0
    assert audit.epsilon_claimed_ is None
