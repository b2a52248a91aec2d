"""Tests of ShadowModelAttack (Shokri et al. 2017)."""

import warnings

import numpy as np
import pytest
from scipy.special import logit, softmax
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.attacks import ShadowModelAttack
from skmia.metrics import roc_auc_ci
from skmia.shadow import ShadowModels
from skmia.signals import signal_features

from ._fixtures import ProbaOnly

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

FITS = {"count": 0}


class CountingLogisticRegression(LogisticRegression):
    """Counts its fits (in this process)."""

    def fit(self, X, y):
        FITS["count"] += 1
        return super().fit(X, y)


@pytest.fixture(scope="module")
def pool(digits_split):
    """Twice the target's training set, so each shadow trains on as many records."""
    return digits_split.pool[:2 * len(digits_split.target_in)]


@pytest.fixture(scope="module")
def torch_attack(torch_target, pool):
    return ShadowModelAttack(torch_target, n_shadow_models=8, n_jobs=2,
                             random_state=0).fit(pool)


@pytest.fixture(scope="module")
def shadows(torch_attack):
    """One fitted ensemble, shared by the tests below."""
    return torch_attack.shadow_models_


@pytest.fixture
def no_shadow_training(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("ShadowModels.fit was called")

    monkeypatch.setattr(ShadowModels, "fit", refuse)


def training_set(shadows):
    """The attack's training set, built independently of signal_features."""
    proba = softmax(shadows.outputs_[:, :, 0].astype(np.float64), axis=-1)
    n_models, n_records, n_classes = proba.shape
    X = -np.sort(-proba, axis=-1).reshape(-1, n_classes)
    return X, shadows.keep_.reshape(-1).astype(int), np.tile(shadows.labels_, n_models)


def target_features(target, records):
    logits = target.forward(records.X).numpy().astype(np.float32)
    return -np.sort(-softmax(logits.astype(np.float64), axis=1), axis=1)


@pytest.mark.parametrize("target_name", ["sklearn_target", "torch_target"])
def test_attack_leaks_and_is_the_same_for_any_n_jobs(target_name, request, pool,
                                                     audit_set, torch_attack):
    target = request.getfixturevalue(target_name)
    records, membership = audit_set
    if target_name == "torch_target":
        parallel = torch_attack
    else:
        parallel = ShadowModelAttack(target, n_shadow_models=8, n_jobs=2,
                                     random_state=0).fit(pool)
    assert parallel.shadow_models_.outputs_.shape == (8, len(pool), 1, 10)
    assert parallel.n_training_rows_ == 8 * len(pool)
    scores = parallel.decision_function(records)
    low, _ = roc_auc_ci(membership, scores, random_state=0)
    assert low > 0.5
    assert parallel.score(records, membership) > 0.65
    serial = ShadowModelAttack(target, n_shadow_models=8, n_jobs=1,
                               random_state=0).fit(pool)
    np.testing.assert_array_equal(serial.decision_function(records), scores)
    np.testing.assert_array_equal(serial.shadow_models_.keep_,
                                  parallel.shadow_models_.keep_)
    proba = parallel.predict_proba(records)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(scores, logit(np.clip(proba[:, 1], 2**-53, 1 - 2**-53)),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(parallel.predict(records), proba[:, 1] >= 0.5)


def test_attack_classifier_learns_from_every_shadow_and_record(torch_target, shadows,
                                                               torch_attack, audit_set):
    records, _ = audit_set
    X, is_in, _ = training_set(shadows)
    direct = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    direct.fit(X, is_in)
    expected = direct.predict_proba(target_features(torch_target, records))[:, 1]
    np.testing.assert_allclose(torch_attack.predict_proba(records)[:, 1], expected,
                               rtol=1e-6, atol=1e-9)


def test_one_shadow_ensemble_serves_attacks_without_retraining(
        torch_target, shadows, torch_attack, pool, audit_set, no_shadow_training):
    records, membership = audit_set
    attack = ShadowModelAttack(torch_target, shadow_models=shadows, random_state=0)
    assert attack.fit(pool) is attack
    assert attack.shadow_models_ is shadows
    # the default attack classifier is seeded from random_state
    assert attack.estimator_[-1].random_state is not None
    # same shadows and seeds: the same attack as the one that trained them
    np.testing.assert_array_equal(attack.decision_function(records),
                                  torch_attack.decision_function(records))
    # records=None means the whole pool
    np.testing.assert_array_equal(
        clone(attack).fit(None).decision_function(records),
        attack.decision_function(records))
    cloned = clone(attack)
    assert cloned.shadow_models is shadows and cloned.target is torch_target
    assert not any(key.startswith("shadow_models__") for key in attack.get_params())
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(attack, {"per_class": [False, True]}, scoring="roc_auc",
                          cv=cv)
    # fit ignores membership labels (the shadows give IN/OUT); these only feed
    # the scorer: the point is that no fold retrains a shadow model
    search.fit(pool, np.arange(len(pool)) % 2)
    assert search.best_estimator_.shadow_models_ is shadows


def test_own_shadows_are_fitted_n_shadow_models_times(pool):
    flat = Records(pool.X.reshape(len(pool), -1), pool.y)
    target = CountingLogisticRegression(max_iter=200).fit(flat.X, flat.y)
    FITS["count"] = 0
    attack = ShadowModelAttack(target, n_shadow_models=4, random_state=0).fit(flat)
    assert FITS["count"] == 4
    # the shadows copy the target's recipe, not the fitted target
    assert attack.shadow_models_.estimator is not target
    assert attack.shadow_models_.estimator.get_params() == target.get_params()
    FITS["count"] = 0
    ShadowModelAttack(target, shadow_models=attack.shadow_models_, per_class=True,
                      random_state=0).fit(flat)
    assert FITS["count"] == 0


def test_per_class_attack_models(torch_target, shadows, pool, audit_set):
    records, membership = audit_set
    attack = ShadowModelAttack(torch_target, shadow_models=shadows, per_class=True,
                               random_state=0).fit(pool)
    assert attack.estimator_ is None and len(attack.fallback_classes_) == 0
    assert len({id(e) for e in attack.estimators_}) == 10
    X, is_in, labels = training_set(shadows)
    features = target_features(torch_target, records)
    p_member = attack.predict_proba(records)[:, 1]
    for c in (0, 7):
        direct = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        direct.fit(X[labels == c], is_in[labels == c])
        in_c = records.y == c
        np.testing.assert_allclose(p_member[in_c],
                                   direct.predict_proba(features[in_c])[:, 1],
                                   rtol=1e-6)
    assert roc_auc_ci(membership, attack.decision_function(records),
                      random_state=0)[0] > 0.5


def test_per_class_falls_back_for_classes_without_examples(torch_target, shadows, pool,
                                                           audit_set):
    records, _ = audit_set
    without_9 = pool[pool.y != 9]
    with pytest.warns(UserWarning, match=r"classes \[9\] have no IN or no OUT"):
        attack = ShadowModelAttack(torch_target, shadow_models=shadows, per_class=True,
                                   random_state=0).fit(without_9)
    np.testing.assert_array_equal(attack.fallback_classes_, [9])
    assert attack.estimators_[9] is attack.estimator_
    assert attack.n_training_rows_ == 8 * len(without_9)
    nines = records[records.y == 9]
    np.testing.assert_array_equal(
        attack.predict_proba(nines)[:, 1],
        attack.estimator_.predict_proba(target_features(torch_target, nines))[:, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ShadowModelAttack(torch_target, shadow_models=shadows,
                          random_state=0).fit(without_9)


def test_target_queried_through_predict_proba_gives_comparable_features(
        torch_target, shadows, pool, audit_set):
    # the shadows hold logits; this target only gives probabilities
    records, membership = audit_set
    for features in [("sorted_proba",), ("sorted_proba", "loss", "logit", "entropy")]:
        from_logits = ShadowModelAttack(torch_target, shadow_models=shadows,
                                        features=features, random_state=0).fit(pool)
        from_proba = ShadowModelAttack(ProbaOnly(torch_target), shadow_models=shadows,
                                       features=features, random_state=0).fit(pool)
        np.testing.assert_allclose(from_proba.decision_function(records),
                                   from_logits.decision_function(records),
                                   rtol=1e-3, atol=1e-3)
        assert from_proba.score(records, membership) == pytest.approx(
            from_logits.score(records, membership), abs=0.005)


def test_augmented_queries_are_applied_to_the_target(pool, audit_set):
    flat_pool = Records(pool.X.reshape(len(pool), -1), pool.y)
    records, membership = audit_set
    flat = Records(records.X.reshape(len(records), -1), records.y)
    target = LogisticRegression(C=100, max_iter=500).fit(flat.X[membership == 1],
                                                         flat.y[membership == 1])
    shadows = ShadowModels(LogisticRegression(C=100, max_iter=500), n_models=4,
                           queries=lambda X: [X, X[:, ::-1]], random_state=0)
    shadows.fit(flat_pool)
    attack = ShadowModelAttack(target, shadow_models=shadows,
                               features=("loss", "proba"), random_state=0)
    attack.fit(flat_pool)
    assert attack.estimator_.n_features_in_ == 2 * (1 + 10)
    # the target is queried on the same two copies: features of both, per feature
    queried = np.stack([target.predict_proba(flat.X),
                        target.predict_proba(flat.X[:, ::-1])], axis=1)
    queried = queried.astype(np.float32)
    features = signal_features(flat.y, queried, signals=("loss", "proba"))
    np.testing.assert_array_equal(attack.predict_proba(flat)[:, 1],
                                  attack.estimator_.predict_proba(features)[:, 1])


def test_bad_input(torch_target, sklearn_target, shadows, pool, audit_set,
                   no_shadow_training):
    records, membership = audit_set
    with pytest.raises(NotFittedError, match="fitted ShadowModels"):
        ShadowModelAttack(torch_target, shadow_models=ShadowModels(clone(torch_target))
                          ).fit(pool)
    with pytest.raises(InvalidParameterError, match="shadow_models"):
        ShadowModelAttack(torch_target, shadow_models="shadows").fit(pool)
    with pytest.raises(InvalidParameterError, match="n_shadow_models"):
        ShadowModelAttack(torch_target, n_shadow_models=1).fit(pool)
    with pytest.raises(InvalidParameterError, match="attack_estimator"):
        ShadowModelAttack(torch_target, attack_estimator=object()).fit(pool)
    # checked before any shadow model is trained (ShadowModels.fit would raise)
    with pytest.raises(ValueError, match=r"Unknown feature 'sorted'.*'sorted_proba'"):
        ShadowModelAttack(torch_target, features=("sorted",)).fit(pool)
    with pytest.raises(ValueError, match="target=None"):
        ShadowModelAttack(None, shadow_models=shadows).fit(pool)
    with pytest.raises(ValueError, match="call fit\\(records\\)"):
        ShadowModelAttack(torch_target).fit(None)
    with pytest.raises(ValueError, match="120 of the 120 records .* not in the pool"):
        ShadowModelAttack(torch_target, shadow_models=shadows).fit(records)
    with pytest.raises(TypeError, match="Records"):
        ShadowModelAttack(torch_target, shadow_models=shadows).fit(pool.X)
    attack = ShadowModelAttack(torch_target, shadow_models=shadows)
    with pytest.raises(NotFittedError):
        attack.decision_function(records)
    attack.fit(pool)
    unseen = Records(records.X[:3], np.array([3, 11, 12]))
    with pytest.raises(ValueError, match=r"Labels \[11, 12\] were never seen by"):
        attack.decision_function(unseen)


def test_labels_unseen_by_shadows_and_mismatched_classes(pool, audit_set,
                                                          monkeypatch):
    flat_pool = Records(pool.X.reshape(len(pool), -1), pool.y)
    records, membership = audit_set
    flat = Records(records.X.reshape(len(records), -1), records.y)
    below_9 = flat_pool[flat_pool.y < 9]
    shadows = ShadowModels(LogisticRegression(max_iter=200), n_models=2,
                           random_state=0).fit(below_9)
    target_9 = LogisticRegression(max_iter=200)
    target_9.fit(flat.X[flat.y < 9], flat.y[flat.y < 9])
    attack = ShadowModelAttack(target_9, shadow_models=shadows).fit(below_9)
    assert attack.decision_function(flat[flat.y < 9]).shape == (np.sum(flat.y < 9),)
    with pytest.raises(ValueError, match=r"Labels \[9\] were never seen by the shadow"):
        attack.decision_function(flat)
    target_10 = LogisticRegression(max_iter=200).fit(flat.X, flat.y)
    with pytest.raises(ValueError, match="shadow models were trained on classes.*"
                                         "would not be comparable"):
        ShadowModelAttack(target_10, shadow_models=shadows).fit(below_9)
    # own shadows: checked before any is trained
    with monkeypatch.context() as patch:
        patch.setattr(ShadowModels, "fit", None)
        with pytest.raises(ValueError, match="pool holds classes"):
            ShadowModelAttack(target_10, n_shadow_models=2).fit(below_9)
