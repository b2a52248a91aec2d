"""Tests of ThresholdAttack: thresholds from membership, from shadows, or given."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.attacks import ThresholdAttack
from skmia.signals import SIGNALS

from ._fixtures import split_half


def test_loss_attack_on_overfitted_torch_target(torch_target, audit_set, digits_split):
    # the target memorised its members and generalises clearly worse
    train_acc = np.mean(torch_target.predict(digits_split.target_in.X) == digits_split.target_in.y)
    test_acc = np.mean(torch_target.predict(digits_split.target_out.X) == digits_split.target_out.y)
    assert train_acc >= 0.99 and test_acc < train_acc - 0.03
    (fit_rec, fit_m), (eval_rec, eval_m) = split_half(*audit_set)
    attack = ThresholdAttack(torch_target, signal="loss").fit(fit_rec, fit_m)
    auc = attack.score(eval_rec, eval_m)
    assert auc >= 0.6
    # independent computation: torch's own cross-entropy on the module's logits
    with torch.no_grad():
        logits = torch_target.module_(torch.as_tensor(eval_rec.X))
        per_record = torch.nn.functional.cross_entropy(
            logits, torch.as_tensor(eval_rec.y), reduction="none"
        ).numpy()
    assert auc == pytest.approx(roc_auc_score(eval_m, -per_record), abs=1e-12)


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_every_signal_beats_chance_on_sklearn_target(sklearn_target, audit_set, signal):
    (fit_rec, fit_m), (eval_rec, eval_m) = split_half(*audit_set)
    attack = ThresholdAttack(sklearn_target, signal=signal).fit(fit_rec, fit_m)
    assert attack.score(eval_rec, eval_m) > 0.6


def test_threshold_maximises_advantage(sklearn_target, audit_set):
    records, membership = audit_set
    attack = ThresholdAttack(sklearn_target, signal="confidence").fit(records, membership)
    predicted = attack.predict(records)
    advantage = predicted[membership == 1].mean() - predicted[membership == 0].mean()
    fpr, tpr, _ = roc_curve(membership, attack.decision_function(records))
    assert advantage == pytest.approx(np.max(tpr - fpr))


def test_per_class_thresholds(sklearn_target, audit_set):
    records, membership = audit_set
    global_attack = ThresholdAttack(sklearn_target).fit(records, membership)
    attack = ThresholdAttack(sklearn_target, per_class=True).fit(records, membership)
    assert attack.class_thresholds_.shape == (10,)
    assert len(np.unique(attack.class_thresholds_)) > 1
    # each class's threshold is the best one for that class alone
    for c in range(10):
        in_c = records.y == c
        single = ThresholdAttack(sklearn_target).fit(records[in_c], membership[in_c])
        assert attack.class_thresholds_[c] == pytest.approx(single.threshold_)
    train_adv = lambda a: np.mean(a.predict(records)[membership == 1]) - np.mean(  # noqa: E731
        a.predict(records)[membership == 0]
    )
    assert train_adv(attack) >= train_adv(global_attack)


def test_user_threshold_needs_no_membership(sklearn_target, audit_set):
    records, _ = audit_set
    proba = sklearn_target.predict_proba(records.X)
    losses = -np.log(np.maximum(proba[np.arange(len(records)), records.y], 1e-300))
    attack = ThresholdAttack(sklearn_target, threshold=0.3).fit(records)
    np.testing.assert_array_equal(attack.predict(records), (losses <= 0.3).astype(int))
    per_class = np.linspace(0.1, 1.0, 10)
    attack = ThresholdAttack(sklearn_target, per_class=True, threshold=per_class).fit(records)
    np.testing.assert_array_equal(
        attack.predict(records), (losses <= per_class[records.y]).astype(int)
    )


def test_predict_proba_is_consistent(sklearn_target, audit_set):
    records, membership = audit_set
    attack = ThresholdAttack(sklearn_target).fit(records, membership)
    proba = attack.predict_proba(records)
    assert proba.shape == (len(records), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(attack.predict(records), (proba[:, 1] >= 0.5).astype(int))
    order = np.argsort(attack.decision_function(records))
    assert np.all(np.diff(proba[order, 1]) >= 0)
    np.testing.assert_array_equal(attack.classes_, [0, 1])


def test_clone_keeps_target_and_search_runs(sklearn_target, audit_set):
    records, membership = audit_set
    attack = ThresholdAttack(sklearn_target, signal="loss")
    assert clone(attack).target is sklearn_target
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        attack, {"signal": ["loss", "confidence", "modified_entropy"]},
        scoring="roc_auc", cv=cv,
    ).fit(records, membership)
    assert search.best_estimator_.target is sklearn_target
    assert search.best_score_ > 0.6
    scores = cross_val_score(attack, records, membership, cv=cv)
    assert scores.shape == (3,) and np.all(scores > 0.6)


class NaNTarget(LogisticRegression):
    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[0, 0] = np.nan
        return proba


class NegativeTarget(LogisticRegression):
    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[:, 0] -= 0.5
        proba[:, 1] += 0.5
        return proba


class UnnormalisedTarget(LogisticRegression):
    def predict_proba(self, X):
        return 2 * super().predict_proba(X)


def test_bad_input_errors():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    records, membership = Records(X, y), np.arange(40) % 2
    fitted = LogisticRegression().fit(X, y)
    ThresholdAttack(None)  # construction never validates
    with pytest.raises(ValueError, match="target=None"):
        ThresholdAttack(None).fit(records, membership)
    with pytest.raises(NotFittedError, match="not fitted"):
        ThresholdAttack(LogisticRegression()).fit(records, membership)
    with pytest.raises(TypeError, match="predict_proba"):
        ThresholdAttack(LinearSVC().fit(X, y)).fit(records, membership)
    with pytest.raises(ValueError, match=r"Labels \[2\] are not among"):
        ThresholdAttack(fitted).fit(Records(X, np.arange(40) % 3), membership)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ThresholdAttack(fitted).fit(records, membership[:-1])
    with pytest.raises(ValueError, match="NaN"):
        ThresholdAttack(NaNTarget().fit(X, y)).fit(records, membership)
    with pytest.raises(ValueError, match="negative"):
        ThresholdAttack(NegativeTarget().fit(X, y)).fit(records, membership)
    with pytest.raises(ValueError, match="sum to 1"):
        ThresholdAttack(UnnormalisedTarget().fit(X, y)).fit(records, membership)
    with pytest.raises(InvalidParameterError, match="'signal' parameter"):
        ThresholdAttack(fitted, signal="los").fit(records, membership)
    with pytest.raises(ValueError, match="needs membership labels"):
        ThresholdAttack(fitted).fit(records)
    with pytest.raises(ValueError, match="both members"):
        ThresholdAttack(fitted).fit(records, np.ones(40))
    with pytest.raises(ValueError, match="0 \\(non-member\\) and 1"):
        ThresholdAttack(fitted).fit(records, np.arange(40) % 3)
    with pytest.raises(TypeError, match="Records"):
        ThresholdAttack(fitted).fit(X, membership)
    with pytest.raises(ValueError, match="per_class=True"):
        ThresholdAttack(fitted, threshold=[0.1, 0.2]).fit(records)
    with pytest.raises(NotFittedError):
        ThresholdAttack(fitted).decision_function(records)


@pytest.fixture(scope="module")
def shadows(torch_target, digits_split):
    from skmia.shadow import ShadowModels

    pool = digits_split.pool[:400]
    return ShadowModels(clone(torch_target), n_models=4, random_state=0).fit(pool)


def test_shadow_calibrated_threshold(torch_target, shadows, audit_set, monkeypatch):
    from skmia.shadow import ShadowModels

    def no_refit(*args, **kwargs):
        raise AssertionError("shadow models were retrained")

    monkeypatch.setattr(ShadowModels, "fit", no_refit)
    attack = ThresholdAttack(torch_target, signal="loss", shadow_models=shadows).fit()
    assert clone(attack).shadow_models is shadows
    # independent: torch's cross-entropy of every shadow on every pool record,
    # and a brute-force search of the threshold maximising TPR - FPR
    logits = torch.as_tensor(shadows.outputs_[:, :, 0])
    labels = torch.as_tensor(shadows.labels_).expand(len(logits), -1)
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 10), labels.reshape(-1), reduction="none").numpy()
    inside = shadows.keep_.ravel()
    candidates = np.unique(losses)
    advantage = [np.mean(losses[inside] <= t) - np.mean(losses[~inside] <= t)
                 for t in candidates]
    best = candidates[np.argmax(advantage)]
    assert attack.threshold_ == pytest.approx(best, rel=1e-5)
    records, membership = audit_set
    assert attack.score(records, membership) > 0.6
    predicted = attack.predict(records)
    assert predicted[membership == 1].mean() > predicted[membership == 0].mean()


def test_shadow_calibrated_per_class(torch_target, shadows, audit_set):
    attack = ThresholdAttack(torch_target, signal="logit", per_class=True,
                             shadow_models=shadows).fit()
    assert len(np.unique(attack.class_thresholds_)) > 1
    records, membership = audit_set
    assert attack.score(records, membership) > 0.55


def test_shadow_models_errors(torch_target, sklearn_target, shadows, digits_split):
    from skmia.shadow import ShadowModels

    with pytest.raises(NotFittedError, match="not fitted"):
        ThresholdAttack(torch_target, shadow_models=ShadowModels(clone(torch_target))).fit()
    with pytest.raises(TypeError, match="ShadowModels"):
        ThresholdAttack(torch_target, shadow_models=sklearn_target).fit()
    few = Records(digits_split.pool.X, digits_split.pool.y % 2)
    two_class = LogisticRegression(max_iter=100).fit(few.X.reshape(len(few), -1), few.y)
    with pytest.raises(ValueError, match="classes"):
        ThresholdAttack(two_class, shadow_models=shadows).fit()


class CountingTarget(LogisticRegression):
    """Counts its predict_proba calls."""

    calls = 0

    def predict_proba(self, X):
        type(self).calls += 1
        return super().predict_proba(X)


def test_target_is_queried_once_per_call(audit_set):
    records, membership = audit_set
    flat = Records(records.X.reshape(len(records), -1), records.y)
    target = CountingTarget(max_iter=200).fit(flat.X, flat.y)
    for attack, fit_args in [
            (ThresholdAttack(target, threshold=0.5), (flat,)),
            (ThresholdAttack(target, per_class=True), (flat, membership))]:
        CountingTarget.calls = 0
        attack.fit(*fit_args)
        assert CountingTarget.calls == 1
        attack.decision_function(flat)
        assert CountingTarget.calls == 2
    # with a given threshold that one query also gives the signal's spread
    # (float32 probabilities, logs in float64 as the attack takes them)
    given = ThresholdAttack(target, threshold=0.5).fit(flat)
    proba = target.predict_proba(flat.X).astype(np.float64)
    losses = -np.log(proba[np.arange(len(flat)), flat.y])
    assert given.scale_ == pytest.approx(np.std(losses), rel=1e-9)
    CountingTarget.calls = 0
    ThresholdAttack(target, threshold=0.5).fit()  # from classes_: no query
    assert CountingTarget.calls == 0
