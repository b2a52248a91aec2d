"""QuantileRegressionAttack: its decision against direct formulas, its default
regressors, fitting on non-members, reproducibility and clear errors."""

import numpy as np
import pytest
import torch
from scipy.stats import norm
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetRegressor

from skmia import Records
from skmia.attacks import QuantileRegressionAttack, fit_and_score
from skmia.signals import hinge, logit_confidence
from skmia.targets import MLP

from ._fixtures import one_torch_thread


def scores_of(target, records, signal="hinge"):
    """The target's score, computed here from predict_proba (clipped as documented)."""
    proba = target.predict_proba(records.X)
    labels = np.searchsorted(target.classes_, records.y)
    values = {"hinge": hinge, "logit": logit_confidence}[signal](labels, proba)
    bound = -np.log(np.finfo(np.float64).eps)
    return np.clip(values, -bound, bound)


@pytest.fixture(scope="module")
def population(digits_split):
    """The attacker's pool: records none of which the targets trained on."""
    return digits_split.pool


@pytest.mark.parametrize("signal", ["hinge", "logit"])
def test_gaussian_decision_is_the_standardised_distance_above_the_quantile(
        signal, sklearn_target, population, audit_set):
    records, _ = audit_set
    alpha = 0.05
    attack = QuantileRegressionAttack(sklearn_target, estimator=DummyRegressor(),
                                      alpha=alpha, signal=signal).fit(population)
    fitted = scores_of(sklearn_target, population, signal)
    # DummyRegressor predicts the mean score and the mean absolute deviation
    mu = fitted.mean()
    sigma = np.abs(fitted - mu).mean() * np.sqrt(np.pi / 2)
    expected = (scores_of(sklearn_target, records, signal) - mu) / sigma - norm.ppf(
        1 - alpha)
    np.testing.assert_allclose(attack.decision_function(records), expected,
                               rtol=1e-10, atol=1e-10)


def test_fixed_variance_standardises_by_the_residual_scale(
        sklearn_target, population, audit_set):
    records, _ = audit_set
    alpha = 0.05
    attack = QuantileRegressionAttack(sklearn_target, estimator=LinearRegression(),
                                      alpha=alpha, fixed_variance=True).fit(population)
    fitted = scores_of(sklearn_target, population)

    # a least-squares line on the flattened input and one-hot label, fitted here
    def features(r):
        return np.hstack([r.X.reshape(len(r.X), -1),
                          np.eye(10)[np.searchsorted(sklearn_target.classes_, r.y)]])
    line = LinearRegression().fit(features(population), fitted)
    scale = np.sqrt(np.mean((fitted - line.predict(features(population))) ** 2))
    assert attack.residual_scale_ == pytest.approx(scale, rel=1e-8)
    expected = ((scores_of(sklearn_target, records) - line.predict(features(records)))
                / scale - norm.ppf(1 - alpha))
    np.testing.assert_allclose(attack.decision_function(records), expected,
                               rtol=1e-7, atol=1e-7)
    # the fitted model is the same either way: the parameter is read when scoring
    per_record = clone(attack).set_params(fixed_variance=False).fit(population)
    assert not np.allclose(per_record.decision_function(records), expected)
    np.testing.assert_allclose(
        per_record.set_params(fixed_variance=True).decision_function(records), expected,
        rtol=1e-7, atol=1e-7)


def test_pinball_decision_is_the_distance_above_the_predicted_quantile(
        sklearn_target, population, audit_set):
    records, _ = audit_set
    alpha = 0.1
    estimator = DummyRegressor(strategy="quantile", quantile=0.5)  # set to 1 - alpha
    attack = QuantileRegressionAttack(sklearn_target, estimator=estimator,
                                      loss="pinball", alpha=alpha).fit(population)
    fitted = scores_of(sklearn_target, population)
    q = np.percentile(fitted, 100 * (1 - alpha))
    expected = (scores_of(sklearn_target, records) - q) / np.std(fitted - q)
    np.testing.assert_allclose(attack.decision_function(records), expected,
                               rtol=1e-10, atol=1e-10)
    # about alpha of the non-members it was fitted on are called members
    assert abs(attack.predict(population).mean() - alpha) < 0.02


def test_one_fit_ranks_at_every_alpha_alike(sklearn_target, population, audit_set):
    records, _ = audit_set
    low = QuantileRegressionAttack(sklearn_target, alpha=0.01, random_state=0)
    high = clone(low).set_params(alpha=0.3)
    d_low = low.fit(population).decision_function(records)
    d_high = high.fit(population).decision_function(records)
    np.testing.assert_allclose(d_low - d_high, norm.ppf(0.7) - norm.ppf(0.99))


def test_default_regressors(sklearn_target, torch_target, population):
    forest = QuantileRegressionAttack(sklearn_target, random_state=0).fit(population)
    assert isinstance(forest.estimator_, HistGradientBoostingRegressor)
    assert forest.n_models_trained_ == 1 and forest.fit_time_ > 0
    assert forest.n_fit_records_ == len(population)
    with one_torch_thread():
        net = QuantileRegressionAttack(torch_target, random_state=0).fit(population)
        pinball = QuantileRegressionAttack(torch_target, loss="pinball",
                                           random_state=0).fit(population)
    # the target's module class, with 2 outputs (mean, log-scale) per class
    assert isinstance(net.estimator_, NeuralNetRegressor)
    assert isinstance(net.estimator_.module_, MLP)
    assert net.estimator_.module_.n_classes == 2 * 10
    assert pinball.estimator_.module_.n_classes == 10
    assert net.n_models_trained_ == 1 and net.fit_time_ > 0


def test_membership_labels_fit_on_the_non_members_only(sklearn_target, audit_set):
    records, membership = audit_set
    attack = QuantileRegressionAttack(sklearn_target, estimator=DummyRegressor())
    with_labels = attack.fit(records, membership).decision_function(records)
    assert attack.n_fit_records_ == int(np.sum(membership == 0))
    non_members = records[np.flatnonzero(membership == 0)]
    direct = clone(attack).fit(non_members).decision_function(records)
    np.testing.assert_array_equal(with_labels, direct)


def test_refit_with_another_regressor_forgets_the_network(
        torch_target, population, audit_set):
    records, _ = audit_set
    attack = QuantileRegressionAttack(torch_target, random_state=0)
    with one_torch_thread():
        attack.fit(population)
    attack.set_params(estimator=DummyRegressor()).fit(population)
    fresh = QuantileRegressionAttack(torch_target, estimator=DummyRegressor(),
                                     random_state=0).fit(population)
    assert attack.score_center_ is None and attack.scale_estimator_ is not None
    np.testing.assert_array_equal(attack.decision_function(records),
                                  fresh.decision_function(records))


def test_fit_and_score_fits_on_the_population(sklearn_target, population, audit_set):
    records, membership = audit_set
    attack = QuantileRegressionAttack(sklearn_target, random_state=0)
    scores = fit_and_score(attack, records, membership, population=population)
    np.testing.assert_array_equal(
        scores, clone(attack).fit(population).decision_function(records))
    # without a population: cross-fitted on the records' non-members
    crossed = fit_and_score(clone(attack), records, membership, random_state=0)
    assert crossed.shape == (len(records),) and not np.allclose(crossed, scores)
    with pytest.raises(ValueError, match="population="):
        fit_and_score(clone(attack), records)


def test_overfitted_target_leaks(torch_target, population, audit_set):
    records, membership = audit_set
    with one_torch_thread():
        attack = QuantileRegressionAttack(torch_target, random_state=0).fit(population)
    # the MLP memorised its 60 digits: clearly above chance (0.5)
    assert attack.score(records, membership) > 0.6


def test_same_results_twice_and_for_any_n_jobs(torch_target, population, audit_set):
    records, membership = audit_set
    attack = QuantileRegressionAttack(torch_target, random_state=3)
    state = torch.random.get_rng_state()
    with one_torch_thread():
        first = clone(attack).fit(population).decision_function(records)
        second = clone(attack).fit(population).decision_function(records)
        other_seed = clone(attack).set_params(random_state=4).fit(population)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other_seed.decision_function(records))
    # fitting leaves torch's global random state as it was
    assert torch.equal(state, torch.random.get_rng_state())
    results = [GridSearchCV(attack, {"loss": ["gaussian", "pinball"]},
                            scoring="roc_auc", cv=2, n_jobs=n_jobs).fit(
                                records, membership)
               for n_jobs in (1, 2)]
    assert results[0].best_estimator_.target is torch_target
    np.testing.assert_allclose(results[0].cv_results_["mean_test_score"],
                               results[1].cv_results_["mean_test_score"])


def test_scores_match_roc_auc(sklearn_target, population, audit_set):
    records, membership = audit_set
    attack = QuantileRegressionAttack(sklearn_target, random_state=0).fit(population)
    assert attack.score(records, membership) == roc_auc_score(
        membership, attack.decision_function(records))


@pytest.mark.parametrize("params, error, match", [
    ({"alpha": 0.0}, InvalidParameterError, "alpha"),
    ({"alpha": 1.0}, InvalidParameterError, "alpha"),
    ({"loss": "normal"}, InvalidParameterError, "loss"),
    ({"signal": "loss"}, InvalidParameterError, "signal"),
    ({"fixed_variance": "yes"}, InvalidParameterError, "fixed_variance"),
    ({"estimator": LogisticRegression()}, TypeError, "estimator must be a"),
    ({"estimator": LinearRegression(), "loss": "pinball"}, ValueError, "quantile"),
])
def test_bad_parameters_are_named(params, error, match, sklearn_target, population):
    with pytest.raises(error, match=match):
        QuantileRegressionAttack(sklearn_target, **params).fit(population)


def test_bad_records_are_named(sklearn_target, population, audit_set):
    records, membership = audit_set
    strangers = Records(population.X[:5], np.full(5, 11))
    with pytest.raises(ValueError, match="records passed to fit.*11"):
        QuantileRegressionAttack(sklearn_target).fit(strangers)
    with pytest.raises(ValueError, match="every record passed to fit is labelled a member"):
        QuantileRegressionAttack(sklearn_target).fit(records, np.ones(len(records)))
    attack = QuantileRegressionAttack(sklearn_target).fit(population)
    with pytest.raises(ValueError, match="records scored.*11"):
        attack.decision_function(strangers)


def test_a_labels_only_target_is_refused(digits_split, population):
    flat = digits_split.target_in.X.reshape(len(digits_split.target_in), -1)
    target = SVC().fit(flat, digits_split.target_in.y)
    records = Records(population.X.reshape(len(population), -1), population.y)
    with pytest.raises(TypeError, match="predict_proba.*LabelOnlyAttack"):
        QuantileRegressionAttack(target).fit(records)
