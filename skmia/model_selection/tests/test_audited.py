import pickle

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skmia.attacks import ThresholdAttack
from skmia.metrics import generalization_gap_vs_leakage, make_privacy_scorer
from skmia.model_selection import AuditedClassifier, leakage_bounded_refit
from skmia.plotting import GapLeakageDisplay
from skmia.targets import make_target

SCORING = {"accuracy": "accuracy", "mia_auc": make_privacy_scorer("auc"),
           "mia_tpr": make_privacy_scorer("tpr_at_fpr", fpr=0.1),
           "mia_adv": make_privacy_scorer("advantage")}


@pytest.fixture(scope="module")
def digits_rows():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600], X[600:900], y[600:900]


def test_fit_delegates_and_keeps_members(digits_rows):
    X, y, X_test, _ = digits_rows
    audited = AuditedClassifier(RandomForestClassifier(random_state=0), n_members=100,
                                random_state=0).fit(X, y)
    direct = RandomForestClassifier(random_state=0).fit(X, y)
    np.testing.assert_array_equal(audited.predict_proba(X_test), direct.predict_proba(X_test))
    assert len(audited.members_) == 100
    # the kept members are training rows, with their labels
    rows = {tuple(row) + (label,) for row, label in zip(X, y)}
    assert all(tuple(x) + (t,) in rows for x, t in zip(audited.members_.X, audited.members_.y))
    back = pickle.loads(pickle.dumps(audited))
    np.testing.assert_array_equal(back.predict(X_test), audited.predict(X_test))
    cloned = clone(audited)
    assert not hasattr(cloned, "estimator_")
    assert cloned.estimator.get_params() == audited.estimator.get_params()


def test_privacy_scorer_matches_a_direct_cross_fitted_loss_attack(digits_rows):
    X, y, X_test, y_test = digits_rows
    audited = AuditedClassifier(RandomForestClassifier(random_state=0), random_state=0)
    audited.fit(X, y)
    auc = make_privacy_scorer("auc")(audited, X_test, y_test)
    records, membership = audited.audit_set(X_test, y_test)
    assert membership.sum() == len(membership) // 2 == 300
    proba = audited.estimator_.predict_proba(records.X)
    loss = -np.log(np.maximum(proba[np.arange(len(records)), records.y], 1e-300))
    scores = np.empty(len(records))
    for fit_idx, eval_idx in StratifiedKFold(2, shuffle=True, random_state=0).split(
            records.X, membership):
        attack = ThresholdAttack(audited.estimator_).fit(records[fit_idx], membership[fit_idx])
        scores[eval_idx] = -(loss[eval_idx] - attack.threshold_)
    assert auc == pytest.approx(roc_auc_score(membership, scores))
    assert auc > 0.6  # a fully grown forest leaks


def test_grid_search_with_leakage_bounded_refit(digits_rows):
    X, y, _, _ = digits_rows
    grid = {"estimator__min_samples_leaf": [1, 20], "estimator__max_depth": [None, 4]}
    base = AuditedClassifier(RandomForestClassifier(n_estimators=30, random_state=0),
                             random_state=0)
    search = GridSearchCV(base, grid, scoring=SCORING, cv=2, return_train_score=True,
                          refit=leakage_bounded_refit(0.75)).fit(X, y)
    results = search.cv_results_
    leak, acc = results["mean_test_mia_auc"], results["mean_test_accuracy"]
    ok = leak <= 0.75
    assert ok.any() and not ok.all()
    assert ok[search.best_index_]
    assert acc[search.best_index_] == acc[ok].max()
    assert np.all((0 <= results["mean_test_mia_tpr"]) & (results["mean_test_mia_tpr"] <= 1))
    result = generalization_gap_vs_leakage(search)
    gap = results["mean_train_accuracy"] - acc
    np.testing.assert_allclose(result.gap, gap)
    assert result.correlation == pytest.approx(pearsonr(gap, leak)[0])
    display = GapLeakageDisplay.from_search(search)
    np.testing.assert_allclose(display.scatter_.get_offsets(), np.column_stack([gap, leak]))
    assert "Pearson r" in display.ax_.get_title()
    with pytest.raises(ValueError, match="No candidate"):
        GridSearchCV(base, grid, scoring=SCORING, cv=2,
                     refit=leakage_bounded_refit(0.5)).fit(X, y)


def test_grid_search_over_dropout_and_weight_decay_on_a_torch_target(digits_rows):
    X, y, _, _ = digits_rows
    X = (X / 16).astype(np.float32)
    net = make_target("mlp", n_classes=10, in_features=64, max_epochs=15, random_state=0)
    search = GridSearchCV(
        AuditedClassifier(net, n_members=150, random_state=0),
        {"estimator__module__dropout": [0.0, 0.5],
         "estimator__optimizer__weight_decay": [0.0, 1e-3]},
        scoring=SCORING, cv=2, return_train_score=True,
        refit=leakage_bounded_refit(0.65)).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(search.cv_results_["mean_test_accuracy"] > 0.7)
    assert np.all(np.isfinite(search.cv_results_["mean_test_mia_auc"]))
    best = search.cv_results_["params"][search.best_index_]
    assert search.best_estimator_.estimator_.module_.dropout == best[
        "estimator__module__dropout"]


def test_bad_input(digits_rows):
    X, y, X_test, y_test = digits_rows
    forest = RandomForestClassifier(n_estimators=5).fit(X, y)
    with pytest.raises(TypeError, match="AuditedClassifier"):
        make_privacy_scorer("auc")(forest, X_test, y_test)
    with pytest.raises(ValueError, match="Unknown privacy metric"):
        make_privacy_scorer("accuracy")
    with pytest.raises(ValueError, match="fpr"):
        make_privacy_scorer("tpr_at_fpr", fpr=0)
    with pytest.raises(ValueError, match="needs \\['mean_test_mia_auc'\\]"):
        leakage_bounded_refit(0.5)({"mean_test_accuracy": [1.0]})
    with pytest.raises(ValueError, match="return_train_score"):
        generalization_gap_vs_leakage({"mean_test_accuracy": [1.0],
                                       "mean_test_mia_auc": [0.5], "params": [{}]})
