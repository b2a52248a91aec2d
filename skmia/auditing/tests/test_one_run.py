"""Tests of OneRunAudit: one training run, canaries, meta-estimator, errors."""

import math
import pickle

import numpy as np
import pytest
import skorch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.attacks import LiRA, ThresholdAttack
from skmia.auditing import OneRunAudit, one_run_bound
from skmia.datasets import load_digits_images
from skmia.signals import compute_signal
from skmia.targets import make_target


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits_images()
    return bunch.data, bunch.target


@pytest.fixture(scope="module")
def flat_digits(digits):
    X, y = digits
    return X.reshape(len(X), -1), y


def test_default_audit_trains_exactly_one_model(digits, monkeypatch):
    X, y = digits
    runs = []
    fit_loop = skorch.NeuralNet.fit_loop

    def counting_fit_loop(net, *args, **kwargs):
        runs.append(len(args[0]))  # the training rows
        return fit_loop(net, *args, **kwargs)

    monkeypatch.setattr(skorch.NeuralNet, "fit_loop", counting_fit_loop)
    net = make_target("mlp", n_classes=10, in_features=64, max_epochs=3)
    audit = OneRunAudit(net, random_state=0).fit(X, y)  # 1000 canaries by default

    assert runs == [len(X) - 1000 + audit.included_.sum()]
    assert audit.scores_.shape == audit.included_.shape == (1000,)
    assert 400 < audit.included_.sum() < 600
    # the default attack: minus the loss, log p_y, of each canary. Both sides
    # come from float32 logits (softmax in float32 here, in float64 in skmia):
    # they agree to a few float32 ulps (1.2e-7 relative each)
    proba = audit.estimator_.predict_proba(audit.canaries_.X)
    p_true = proba[np.arange(1000), audit.canaries_.y]
    np.testing.assert_allclose(np.exp(audit.scores_), p_true, rtol=1e-5)
    # the bound is that of the scores and coin flips
    result = one_run_bound(audit.scores_, audit.included_, confidence=0.95)
    assert audit.epsilon_lower_ == result.epsilon
    assert (audit.n_guesses_, audit.n_correct_) == (result.n_guesses, result.n_correct)
    assert audit.epsilon_claimed_ is None and audit.delta_ == 0.0


def test_canaries_are_rows_of_x_and_training_set_is_the_rest_plus_included(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=300,
                        random_state=0).fit(X, y)
    rows = audit.canary_indices_
    assert len(np.unique(rows)) == 300
    np.testing.assert_array_equal(audit.canaries_.X, X[rows])
    np.testing.assert_array_equal(audit.canaries_.y, y[rows])
    n_trained = audit.estimator_.tree_.n_node_samples[0]
    assert n_trained == len(X) - 300 + audit.included_.sum()


def test_mislabeled_canaries_get_another_class(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=500,
                        canaries="mislabeled", random_state=0).fit(X, y)
    true = y[audit.canary_indices_]
    assert np.all(audit.canaries_.y != true)
    assert set(audit.canaries_.y) <= set(range(10))
    assert len(np.unique(audit.canaries_.y - true)) > 5  # shifts drawn at random


def test_overfitted_tree_shows_a_clear_epsilon(flat_digits):
    # a fully grown tree memorises its mislabeled canaries: 250 of 250 right
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=500,
                        canaries="mislabeled", random_state=0).fit(X, y)
    assert audit.n_correct_ == audit.n_guesses_ == 250
    assert audit.epsilon_lower_ > 3.5


def test_given_canary_records_are_added_to_all_of_x(flat_digits):
    X, y = flat_digits
    canaries = Records(X[:200], (y[:200] + 1) % 10)
    audit = OneRunAudit(DecisionTreeClassifier(), canaries=canaries,
                        random_state=0).fit(X[200:], y[200:])
    assert audit.canary_indices_ is None and len(audit.scores_) == 200
    n_trained = audit.estimator_.tree_.n_node_samples[0]
    assert n_trained == len(X) - 200 + audit.included_.sum()


def test_signal_name_attack(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(max_depth=6), n_canaries=200,
                        attack="confidence", random_state=0).fit(X, y)
    proba = audit.estimator_.predict_proba(audit.canaries_.X)
    np.testing.assert_allclose(
        audit.scores_, compute_signal("confidence", audit.canaries_.y, proba))


def test_shadow_attack_scores_the_canaries(flat_digits):
    X, y = flat_digits
    attack = LiRA(n_shadow_models=4, online=False)
    audit = OneRunAudit(DecisionTreeClassifier(max_depth=8), n_canaries=200,
                        attack=attack, random_state=0).fit(X[:800], y[:800])
    assert audit.scores_.shape == (200,) and np.all(np.isfinite(audit.scores_))
    assert attack.get_params()["target"] is None  # the given attack is untouched


def test_attacks_that_learn_from_labels_are_refused(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=100,
                        attack=ThresholdAttack(signal="loss"), random_state=0)
    with pytest.raises(ValueError, match="without membership labels"):
        audit.fit(X[:400], y[:400])


def test_same_seed_same_audit_other_seed_other_coins(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=300, random_state=3)
    a, b = clone(audit).fit(X, y), clone(audit).fit(X, y)
    np.testing.assert_array_equal(a.included_, b.included_)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    assert a.epsilon_lower_ == b.epsilon_lower_
    c = clone(audit).set_params(random_state=4).fit(X, y)
    assert not np.array_equal(a.included_, c.included_)
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.estimator_.predict(X),
                                  a.estimator_.predict(X))
    assert restored.epsilon_lower_ == a.epsilon_lower_


def test_meta_estimator_params_and_grid_search(flat_digits):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=300,
                        canaries="mislabeled", random_state=0)
    params = audit.get_params()
    assert params["estimator__max_depth"] is None and params["n_canaries"] == 300
    assert clone(audit).set_params(estimator__max_depth=3).estimator.max_depth == 3
    assert audit.estimator.max_depth is None
    search = GridSearchCV(audit, {"estimator__max_depth": [2, None]}, cv=2,
                          scoring=lambda est, X, y: est.epsilon_lower_).fit(X, y)
    shallow, deep = search.cv_results_["mean_test_score"]
    assert deep > shallow + 1  # a full tree memorises its canaries, depth 2 cannot
    assert search.best_params_ == {"estimator__max_depth": None}


@pytest.mark.parametrize("params, match", [
    (dict(n_canaries=2000), "n_canaries=2000 is larger than the data"),
    (dict(n_canaries=100, k_positive=80, k_negative=40), "fewer canaries than guesses"),
    (dict(k_positive=10.5), "'k_positive' parameter"),
    (dict(k_negative="20"), "'k_negative' parameter"),
    (dict(n_canaries=100.0), "'n_canaries' parameter"),
    (dict(confidence=1.0), "'confidence' parameter"),
    (dict(confidence=0), "'confidence' parameter"),
    (dict(delta=1.0), "'delta' parameter"),
    (dict(canaries="poisoned"), "'canaries' parameter"),
    (dict(attack="lossy"), "'attack' parameter"),
])
def test_bad_parameters_name_the_parameter(flat_digits, params, match):
    X, y = flat_digits
    audit = OneRunAudit(DecisionTreeClassifier(), random_state=0).set_params(**params)
    with pytest.raises((ValueError, InvalidParameterError), match=match):
        audit.fit(X, y)


@pytest.mark.parametrize("estimator", [object(), StandardScaler()])
def test_estimator_without_fit_names_the_parameter(flat_digits, estimator):
    X, y = flat_digits
    with pytest.raises(InvalidParameterError, match="'estimator' parameter"):
        OneRunAudit(estimator).fit(X, y)


def test_dp_estimator_claims_its_accountant_epsilon(digits):
    import torch

    from skmia.defenses import DPNeuralNetClassifier
    from skmia.targets import MLP

    X, y = digits
    net = DPNeuralNetClassifier(
        MLP, module__n_classes=10, module__in_features=64, noise_multiplier=1.0,
        target_delta=1e-4, optimizer=torch.optim.SGD, lr=0.5, batch_size=64,
        max_epochs=2, verbose=0)
    audit = OneRunAudit(net, n_canaries=500, canaries="mislabeled",
                        random_state=0).fit(X, y)
    assert audit.delta_ == 1e-4
    assert audit.epsilon_claimed_ == audit.estimator_.epsilon_
    assert 0 <= audit.epsilon_lower_ <= audit.epsilon_claimed_
    assert audit.epsilon_claimed_ == audit.estimator_.get_epsilon(1e-4)
    # the same run audited at another delta: the accountant is asked at it
    pure = OneRunAudit(net, n_canaries=500, delta=0.0, random_state=0).fit(X, y)
    assert pure.delta_ == 0.0 and pure.epsilon_claimed_ == math.inf
