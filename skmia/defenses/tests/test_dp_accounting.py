"""Privacy accounting of :class:`skmia.defenses.DPNeuralNetClassifier`.

Epsilons are checked against Google's ``dp_accounting``, an accountant
independent of Opacus.
"""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from ._fixtures import dp_accounting_epsilon, dp_mlp


def test_epsilon_agrees_with_independent_accountants(small):
    X, y = small
    rdp = dp_mlp(noise_multiplier=1.0).fit(X, y)
    prv = dp_mlp(noise_multiplier=1.0, accountant="prv").fit(X, y)

    # 200 records, expected batch 20: q = 0.1, 10 steps an epoch, 3 epochs.
    for net in (rdp, prv):
        assert net.sample_rate_ == pytest.approx(0.1)
        assert net.steps_ == 30
        assert net.noise_multiplier_ == 1.0
        assert net.delta_ == 1e-5
    # Google's dp_accounting, Poisson-sampled Gaussian composed 30 times.
    eps_rdp = dp_accounting_epsilon("rdp", 1.0, 0.1, 30, 1e-5)
    eps_pld = dp_accounting_epsilon("pld", 1.0, 0.1, 30, 1e-5)
    assert rdp.epsilon_ == pytest.approx(eps_rdp, rel=1e-2)
    assert prv.epsilon_ == pytest.approx(eps_pld, rel=2e-2)
    # PRV accounting is tighter than the RDP bound, but not by much here.
    assert 0.75 * rdp.epsilon_ < prv.epsilon_ < rdp.epsilon_
    # Another delta, from the kept accountant.
    eps_1e3 = dp_accounting_epsilon("rdp", 1.0, 0.1, 30, 1e-3)
    assert rdp.get_epsilon(1e-3) == pytest.approx(eps_1e3, rel=1e-2)
    assert rdp.get_epsilon(1e-3) < rdp.epsilon_ == rdp.get_epsilon()


@pytest.mark.parametrize(
    "accountant",
    ["rdp", pytest.param("prv", marks=pytest.mark.slow), "gdp"],
)
def test_target_epsilon_is_met(small, accountant):
    X, y = small
    net = dp_mlp(target_epsilon=2.0, noise_multiplier=0.1, accountant=accountant)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="GDP accounting is experimental")
        net.fit(X, y)

    assert net.steps_ == 30
    assert net.noise_multiplier_ > 0.1  # calibrated, the parameter is ignored
    # Spent at most the budget, and (calibration tolerance 0.01) not much less.
    assert 1.95 <= net.epsilon_ <= 2.0
    if accountant == "rdp":
        independent = dp_accounting_epsilon(
            "rdp", net.noise_multiplier_, net.sample_rate_, net.steps_, 1e-5
        )
        assert independent == pytest.approx(net.epsilon_, rel=1e-2)


def test_training_past_the_calibrated_epochs_warns(small):
    X, y = small
    net = dp_mlp(target_epsilon=2.0, max_epochs=1).fit(X, y)
    noise = net.noise_multiplier_
    with pytest.warns(UserWarning, match="more than target_epsilon"):
        net.partial_fit(X, y)
    assert net.noise_multiplier_ == noise  # not recalibrated
    assert net.steps_ == 20
    assert net.epsilon_ > 2.0


def test_partial_fit_continues_the_accountant_and_fit_restarts_it(small):
    X, y = small
    net = dp_mlp(max_epochs=1).fit(X, y)
    eps_one_epoch = net.epsilon_
    net.partial_fit(X, y)
    assert net.steps_ == 20
    assert net.epsilon_ > eps_one_epoch
    net.fit(X, y)
    assert net.steps_ == 10
    assert net.epsilon_ == pytest.approx(eps_one_epoch)


def test_changing_the_accountant_keeps_the_privacy_spent(small):
    X, y = small
    net = dp_mlp(max_epochs=1).fit(X, y)
    net.set_params(accountant="prv")
    net.partial_fit(X, y)
    assert net.accountant_.mechanism() == "prv"
    assert net.accountant_.history == [(1.0, pytest.approx(0.1), 20)]


def test_no_noise_means_infinite_epsilon(small):
    X, y = small
    net = dp_mlp(noise_multiplier=0.0).fit(X, y)
    assert net.epsilon_ == math.inf
    assert net.get_epsilon(0.1) == math.inf


def test_get_epsilon_before_fit_and_bad_delta(small):
    with pytest.raises(NotFittedError):
        dp_mlp().get_epsilon(1e-5)
    net = dp_mlp(max_epochs=1).fit(*small)
    with pytest.raises(ValueError, match="delta"):
        net.get_epsilon(0)


def test_grid_search_over_noise_multiplier(small):
    X, y = small
    search = GridSearchCV(
        dp_mlp(max_epochs=2),
        {"noise_multiplier": [0.5, 4.0], "max_grad_norm": [1.0]},
        cv=2,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.noise_multiplier_ == search.best_params_["noise_multiplier"]
    expected = dp_accounting_epsilon("rdp", best.noise_multiplier_, 0.1, 20, 1e-5)
    assert best.epsilon_ == pytest.approx(expected, rel=1e-2)
