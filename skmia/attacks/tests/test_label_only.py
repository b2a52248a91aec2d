"""LabelOnlyAttack: label-only queries, their seeding, and its errors."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.attacks import (
    RMIA,
    LabelOnlyAttack,
    LiRA,
    ThresholdAttack,
    fit_and_score,
)
from skmia.datasets import load_digits_images
from skmia.metrics import leakage_summary
from skmia.shadow import ShadowModels
from skmia.signals import AugmentationQueries

from ._fixtures import cheap_experiment, flatten

SHIFTS = AugmentationQueries(flip=False, shifts=1)  # 9 copies; digits are not mirrored


class Sign(ClassifierMixin, BaseEstimator):
    """A fitted model with ``predict`` only: class 1 where the first feature is > 0."""

    classes_ = np.array([0, 1])

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0).astype(np.int64)


def labels_only(n=400, seed=0):
    """An SVC (no predict_proba) on flat digits: ``(target, records, membership)``."""
    digits = load_digits_images()
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(digits.target))[:2 * n]
    X = digits.data[order].reshape(2 * n, -1)
    records = Records(X, digits.target[order])
    membership = np.r_[np.ones(n), np.zeros(n)].astype(np.int64)
    target = SVC(C=10).fit(X[:n], records.y[:n])
    return target, records, membership


@pytest.fixture(scope="module")
def svc_audit():
    return labels_only()


def test_a_target_with_predict_only_is_audited(svc_audit):
    target, records, membership = svc_audit
    assert not hasattr(target, "predict_proba")
    for method in ("gap", "noise", "boundary"):
        attack = LabelOnlyAttack(target, method=method, random_state=0)
        attack.fit(records, membership)
        # the SVC fits its members exactly and misses some non-members
        assert attack.score(records, membership) > 0.5
    sign = LabelOnlyAttack(Sign(), method="noise", random_state=0)
    X = np.linspace(-1, 1, 40)[:, None]
    sign.fit(Records(X, (X[:, 0] > 0).astype(int)), np.arange(40) % 2)
    assert sign.decision_function(Records(X, np.zeros(40, int))).shape == (40,)


@pytest.mark.parametrize("make_attack", [
    lambda t: ThresholdAttack(t),
    lambda t: LiRA(t, n_shadow_models=2),
    lambda t: RMIA(t, 2),
], ids=["ThresholdAttack", "LiRA", "RMIA"])
def test_attacks_needing_probabilities_refuse_a_labels_only_target(make_attack,
                                                                   svc_audit):
    target, records, membership = svc_audit
    with pytest.raises(TypeError, match=r"predict_proba.*LabelOnlyAttack"):
        make_attack(target).fit(records, membership)


def augmented_digits_target(seed):
    """An MLP memorising 100 digits and their shifts; every digit scored.

    Trained on its members' shifted copies (the paper's setting: the
    augmentation attack queries the transformations the model was trained
    on). Returns ``(target, records, membership)``: 100 members and 1697
    non-members.
    """
    digits = load_digits_images()
    membership = np.zeros(len(digits.target), dtype=np.int64)
    membership[np.random.RandomState(seed).permutation(len(membership))[:100]] = 1
    X, y = digits.data[membership == 1], digits.target[membership == 1]
    target = make_pipeline(FunctionTransformer(flatten),
                           MLPClassifier((256,), max_iter=300, random_state=seed))
    target.fit(np.concatenate(SHIFTS(X)), np.tile(y, SHIFTS.n_queries))
    return target, digits.records, membership


def test_augmentation_beats_the_gap_attack_with_intervals():
    # Figures (AUC [95% bootstrap interval], fit_and_score's cross-fitting):
    # seed 0: gap 0.547 [0.540, 0.555], augmentation 0.645 [0.633, 0.655].
    # The augmentation's lower bound sits ~0.08 above the gap's upper bound.
    target, records, membership = augmented_digits_target(0)
    summaries = {
        method: leakage_summary(membership, fit_and_score(
            LabelOnlyAttack(target, method=method, augmentations=SHIFTS,
                            random_state=0),
            records, membership, random_state=0), random_state=0)
        for method in ("gap", "augmentation")}
    assert summaries["augmentation"]["auc_ci"][0] > summaries["gap"]["auc_ci"][1]


def sign_audit(x, n_copies):
    """``n_copies`` copies of the record ``x`` (label 1) and the fitting set."""
    X = np.full((n_copies, 1), x)
    records = Records(X, np.ones(n_copies, dtype=np.int64))
    # fitting records spread over [-1, 1] so that input_scale_ is their spread
    fit_X = np.linspace(-1, 1, 101)[:, None]
    fit = Records(fit_X, (fit_X[:, 0] > 0).astype(np.int64))
    return records, fit, np.arange(101) % 2


def test_noise_matches_the_gaussian_probability_of_keeping_the_label():
    # For predict = [x > 0], a record at x keeps its label under noise
    # s * sigma * g with probability Phi(x / (s * sigma)).
    records, fit, membership = sign_audit(0.3, 50)
    scale = 0.5
    attack = LabelOnlyAttack(Sign(), method="noise", noise_scales=[scale],
                             n_queries=2000, random_state=0).fit(fit, membership)
    kept = attack.decision_function(records) + attack.threshold_
    sigma = float(attack.input_scale_[0])
    np.testing.assert_allclose(sigma, np.std(fit.X), rtol=1e-6)  # float32
    expected = stats.norm.cdf(0.3 / (scale * sigma))
    # 50 x 2000 draws: the pooled fraction's standard error is ~0.001
    assert abs(kept.mean() - expected) < 5 * np.sqrt(expected * (1 - expected) / 1e5)
    assert abs(kept[0] - expected) < 5 * np.sqrt(expected * (1 - expected) / 2000)


def test_boundary_distance_follows_its_distribution_along_random_directions():
    # For predict = [x > 0] and a record at x > 0, direction k reaches the
    # boundary at t = x / (sigma |g_k|) if g_k < 0; the minimum over K
    # directions has P(D <= t) = 1 - (1 - Phi(-x / (sigma t)))**K.
    x, scales = 0.3, [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    records, fit, membership = sign_audit(x, 3000)
    attack = LabelOnlyAttack(Sign(), method="boundary", noise_scales=scales,
                             n_queries=151, random_state=0).fit(fit, membership)
    # 10 directions: all of them point away from the boundary 0.1% of the time
    n_directions = (151 - 1) // (len(scales) + 8)
    assert attack.queries_per_record_ == 1 + n_directions * (len(scales) + 8)
    distance = attack.decision_function(records) + attack.threshold_
    sigma = float(attack.input_scale_[0])

    def cdf(t):
        t = np.asarray(t, dtype=float)
        return np.where(t >= scales[-1], 1.0,  # censored at the largest scale
                        1 - (1 - stats.norm.cdf(-x / (sigma * t))) ** n_directions)

    # bisection within [s/2, s] to 2**-8 of its width leaves a bias far below
    # what 3000 draws resolve (KS critical value ~0.025 at the 5% level)
    assert stats.kstest(distance, cdf).pvalue > 0.01
    assert np.all(distance > 0)


@pytest.mark.parametrize("method", ["noise", "boundary", "augmentation"])
def test_same_scores_for_any_n_jobs_and_twice(method):
    exp = cheap_experiment(0, 2)
    pool, membership = exp.pool, exp.membership
    scores = [LabelOnlyAttack(exp.target, method=method, augmentations=SHIFTS,
                              n_queries=30, n_jobs=n_jobs, random_state=0)
              .fit(pool, membership).decision_function(pool) for n_jobs in (1, 2, 1)]
    np.testing.assert_array_equal(scores[0], scores[1])
    np.testing.assert_array_equal(scores[0], scores[2])
    if method != "augmentation":  # its queries draw nothing
        other = LabelOnlyAttack(exp.target, method=method, n_queries=30, random_state=1)
        assert not np.array_equal(other.fit(pool, membership).decision_function(pool),
                                  scores[0])


def test_thresholds_from_shadow_models():
    exp = cheap_experiment(0, 4)
    attack = LabelOnlyAttack(exp.target, method="noise", n_queries=30, random_state=0,
                             shadow_models=exp.shadows)
    scores = fit_and_score(attack, exp.pool, exp.membership)
    assert attack.fit_requires == "pool"
    assert leakage_summary(exp.membership, scores)["auc"] > 0.55
    # the gap attack reads the shadows' stored outputs when they kept no models
    outputs_only = ShadowModels(clone(exp.target), n_models=4, random_state=0)
    outputs_only.fit(exp.pool)
    gaps = [LabelOnlyAttack(exp.target, shadow_models=shadows).fit(exp.pool)
            for shadows in (exp.shadows, outputs_only)]
    assert gaps[0].threshold_ == gaps[1].threshold_
    with pytest.raises(ValueError, match="keep_models=True"):
        LabelOnlyAttack(exp.target, method="noise",
                        shadow_models=outputs_only).fit(exp.pool)
    with pytest.raises(ValueError, match="not in the pool"):
        LabelOnlyAttack(exp.target, shadow_models=exp.shadows).fit(exp.outside)


def test_an_attack_classifier_on_the_augmentation_vector():
    target, records, membership = augmented_digits_target(0)
    attack = LabelOnlyAttack(target, method="augmentation", augmentations=SHIFTS,
                             estimator=LogisticRegression(), random_state=0)
    scores = fit_and_score(attack, records, membership, random_state=0)
    assert leakage_summary(membership, scores)["auc"] > 0.6
    fitted = attack.fit(records, membership)
    assert fitted.estimator_.coef_.shape == (1, SHIFTS.n_queries)
    assert fitted.queries_per_record_ == SHIFTS.n_queries


def test_grid_search_and_cross_val_score(svc_audit):
    target, records, membership = svc_audit
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    grid = {"method": ["gap", "noise"], "noise_scales": [(0.5, 1.0), (1.0, 2.0, 4.0)]}
    search = GridSearchCV(LabelOnlyAttack(target, n_queries=20, random_state=0), grid,
                          scoring="roc_auc", cv=cv).fit(records, membership)
    assert search.best_estimator_.target is target
    assert len(search.cv_results_["mean_test_score"]) == 4
    scores = cross_val_score(clone(search.best_estimator_), records, membership, cv=cv)
    np.testing.assert_allclose(scores.mean(), search.best_score_)


def test_bad_parameters_name_themselves(svc_audit):
    target, records, membership = svc_audit
    with pytest.raises(ValueError, match=r"use method='noise'"):
        LabelOnlyAttack(target, method="augmentation").fit(records, membership)
    for scales in ([0.5, 0.0], [-1.0], []):
        with pytest.raises(ValueError, match="noise_scales must be"):
            LabelOnlyAttack(target, method="noise", noise_scales=scales).fit(
                records, membership)
    with pytest.raises(InvalidParameterError, match="'n_queries'"):
        LabelOnlyAttack(target, method="boundary", n_queries=0).fit(records, membership)
    with pytest.raises(ValueError, match=r"n_queries=10 is too small.*at least 14"):
        LabelOnlyAttack(target, method="boundary", n_queries=10).fit(
            records, membership)
    with pytest.raises(InvalidParameterError, match="'method'"):
        LabelOnlyAttack(target, method="distance").fit(records, membership)
    with pytest.raises(ValueError, match=r"Labels \[42\] are not among"):
        LabelOnlyAttack(target).fit(Records(records.X, np.full(len(records), 42)),
                                    membership)
    with pytest.raises(ValueError, match="fit\\(records, membership\\)"):
        LabelOnlyAttack(target).fit(records)
    with pytest.raises(TypeError, match="predict method"):
        LabelOnlyAttack(object()).fit(records, membership)
