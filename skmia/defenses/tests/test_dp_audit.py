"""Audit consistency: no attack may certify more leakage than the DP guarantee."""

import numpy as np
import pytest

from skmia import Records
from skmia.attacks import ThresholdAttack
from skmia.datasets import load_digits_images, make_membership_split
from skmia.defenses import DPNeuralNetClassifier
from skmia.metrics import empirical_epsilon, roc_auc_ci
from skmia.targets import SmallCNN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split():
    digits = load_digits_images()
    return make_membership_split(digits.data, digits.target, n_target=250,
                                 random_state=0)


@pytest.mark.parametrize("noise", [0.5, 1.0, 2.0, 4.0, 8.0])
def test_empirical_epsilon_never_exceeds_the_guarantee(split, noise):
    net = DPNeuralNetClassifier(
        SmallCNN, module__n_classes=10, module__in_channels=1, noise_multiplier=noise,
        max_grad_norm=1.0, batch_size=50, max_epochs=15, lr=1e-2, target_delta=1e-3,
        random_state=0).fit(split.target_in.X, split.target_in.y)
    records = Records(np.concatenate([split.target_in.X, split.target_out.X]),
                      np.concatenate([split.target_in.y, split.target_out.y]))
    membership = np.r_[np.ones(250), np.zeros(250)].astype(int)
    attack = ThresholdAttack(net, signal="loss").fit(records, membership)
    scores = attack.decision_function(records)
    lower = empirical_epsilon(membership, scores, delta=net.delta_)
    assert np.isfinite(net.epsilon_)
    assert lower <= net.epsilon_, (
        f"attack certifies eps >= {lower:.3f} but training claims {net.epsilon_:.3f}")
    assert (net.epsilon_ <= 1.0) == (noise == 8.0)  # q=0.2, 75 steps, delta=1e-3
    if net.epsilon_ <= 1.0:
        low, high = roc_auc_ci(membership, scores, random_state=0)
        assert low <= 0.5 <= high
