"""Tests of SignalTransformer and MetaClassifierAttack (known-membership attacks)."""

import numpy as np
import pytest
import torch
from scipy.special import logit
from scipy.stats import entropy as scipy_entropy
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from skmia.attacks import MetaClassifierAttack, SignalTransformer
from skmia.metrics import roc_auc_ci

from ._fixtures import split_half


def test_transformer_features_match_direct_formulas(torch_target, audit_set):
    records, _ = audit_set
    features = SignalTransformer(torch_target).fit_transform(records)
    assert features.shape == (len(records), 4)
    with torch.no_grad():
        logits = torch_target.module_(torch.as_tensor(records.X)).double()
    proba = torch.softmax(logits, dim=1).numpy()
    loss = torch.nn.functional.cross_entropy(
        logits, torch.as_tensor(records.y), reduction="none").numpy()
    p_y = proba[np.arange(len(records)), records.y]
    np.testing.assert_allclose(features[:, 0], loss, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(features[:, 1], p_y, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(features[:, 2], scipy_entropy(proba, axis=1),
                               rtol=1e-4, atol=1e-6)


def test_transformer_params_clone_and_feature_names(sklearn_target, audit_set):
    records, _ = audit_set
    transformer = SignalTransformer(sklearn_target, signals=("sorted_proba", "loss"),
                                    top_k=3)
    assert set(transformer.get_params()) == {"target", "signals", "top_k"}
    cloned = clone(transformer)
    assert cloned.target is sklearn_target and cloned is not transformer
    with pytest.raises(NotFittedError):
        cloned.transform(records)
    features = transformer.fit(records).transform(records)
    assert transformer.n_target_classes_ == 10 and transformer.n_features_out_ == 4
    np.testing.assert_array_equal(
        transformer.get_feature_names_out(),
        ["sorted_proba_0", "sorted_proba_1", "sorted_proba_2", "loss"])
    proba = sklearn_target.predict_proba(records.X)
    np.testing.assert_array_equal(features[:, :3], -np.sort(-proba, axis=1)[:, :3])


def test_pipeline_with_transformer_equals_meta_classifier_attack(sklearn_target,
                                                                 audit_set):
    (fit_rec, fit_m), (eval_rec, eval_m) = split_half(*audit_set)
    pipe = make_pipeline(SignalTransformer(sklearn_target), StandardScaler(),
                         LogisticRegression())
    pipe.fit(fit_rec, fit_m)
    attack = MetaClassifierAttack(
        sklearn_target, make_pipeline(StandardScaler(), LogisticRegression())
    ).fit(fit_rec, fit_m)
    np.testing.assert_array_equal(attack.predict_proba(eval_rec),
                                  pipe.predict_proba(eval_rec))
    np.testing.assert_allclose(attack.decision_function(eval_rec),
                               pipe.decision_function(eval_rec), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(attack.predict(eval_rec), pipe.predict(eval_rec))
    assert attack.score(eval_rec, eval_m) == pytest.approx(
        roc_auc_score(eval_m, pipe.predict_proba(eval_rec)[:, 1]))
    assert attack.estimator_[-1].coef_.shape == (1, 4)


def test_pipeline_with_transformer_in_model_selection(sklearn_target, audit_set):
    records, membership = audit_set
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    pipe = make_pipeline(SignalTransformer(sklearn_target), StandardScaler(),
                         LogisticRegression())
    grid = {"logisticregression__C": [0.1, 1.0],
            "signaltransformer__signals": [("loss",), ("loss", "entropy")]}
    search = GridSearchCV(pipe, grid, scoring="roc_auc", cv=cv).fit(records, membership)
    assert search.best_estimator_[0].target is sklearn_target
    assert search.best_score_ > 0.8
    attack_scores = cross_val_score(MetaClassifierAttack(sklearn_target), records,
                                    membership, cv=cv)
    pipe_scores = cross_val_score(pipe, records, membership, cv=cv, scoring="roc_auc")
    np.testing.assert_allclose(attack_scores, pipe_scores)


@pytest.mark.parametrize("target_name", ["sklearn_target", "torch_target"])
def test_meta_classifier_attack_leaks(target_name, audit_set, request):
    target = request.getfixturevalue(target_name)
    (fit_rec, fit_m), (eval_rec, eval_m) = split_half(*audit_set)
    attack = MetaClassifierAttack(target).fit(fit_rec, fit_m)
    scores = attack.decision_function(eval_rec)
    low, _ = roc_auc_ci(eval_m, scores, random_state=0)
    assert low > 0.5
    proba = attack.predict_proba(eval_rec)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(scores, logit(np.clip(proba[:, 1], 2**-53, 1 - 2**-53)),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(attack.predict(eval_rec), proba[:, 1] >= 0.5)


def test_any_classifier_and_seeding(sklearn_target, audit_set):
    (fit_rec, fit_m), (eval_rec, eval_m) = split_half(*audit_set)
    forest = RandomForestClassifier(n_estimators=20, max_depth=3)
    first = MetaClassifierAttack(sklearn_target, forest, signals="proba",
                                 random_state=0)
    first.fit(fit_rec, fit_m)
    assert first.estimator_.random_state is not None  # seeded from random_state
    assert forest.random_state is None  # the parameter itself is untouched
    second = clone(first).fit(fit_rec, fit_m)
    np.testing.assert_array_equal(first.decision_function(eval_rec),
                                  second.decision_function(eval_rec))
    other = MetaClassifierAttack(sklearn_target, forest, signals="proba",
                                 random_state=1).fit(fit_rec, fit_m)
    assert other.estimator_.random_state != first.estimator_.random_state
    # an explicit seed is kept
    seeded = clone(forest).set_params(random_state=7)
    fixed = MetaClassifierAttack(sklearn_target, seeded, random_state=0)
    fixed.fit(fit_rec, fit_m)
    assert fixed.estimator_.random_state == 7
    assert first.signal_transformer_.n_features_out_ == 10


def test_bad_input(sklearn_target, audit_set):
    records, membership = audit_set
    with pytest.raises(ValueError, match="fit\\(records, membership\\)"):
        MetaClassifierAttack(sklearn_target).fit(records)
    with pytest.raises(ValueError, match="both members"):
        MetaClassifierAttack(sklearn_target).fit(records, np.ones(len(records)))
    with pytest.raises(ValueError, match="Unknown feature 'los'"):
        MetaClassifierAttack(sklearn_target, signals=("los",)).fit(records, membership)
    with pytest.raises(InvalidParameterError, match="estimator"):
        MetaClassifierAttack(sklearn_target, LinearSVC()).fit(records, membership)
    with pytest.raises(ValueError, match="target=None"):
        SignalTransformer().fit(records)
    with pytest.raises(NotFittedError, match="not fitted"):
        SignalTransformer(LogisticRegression()).fit(records)
    with pytest.raises(TypeError, match="Records"):
        SignalTransformer(sklearn_target).fit(records.X)
    with pytest.raises(ValueError, match="top_k=11 exceeds"):
        SignalTransformer(sklearn_target, signals="sorted_proba", top_k=11).fit(records)
    with pytest.raises(NotFittedError):
        MetaClassifierAttack(sklearn_target).predict_proba(records)
    unfitted = SignalTransformer(sklearn_target)
    with pytest.raises(NotFittedError):
        unfitted.get_feature_names_out()
