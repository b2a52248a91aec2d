"""Tests of RMIA (Zarifzadeh et al. 2024)."""

import tracemalloc

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.utils._param_validation import InvalidParameterError

from skmia import Records
from skmia.attacks import LiRA, RMIA
from skmia.shadow import ShadowModels

from ._fixtures import cheap_experiment, digits_experiment, report
from ._fixtures import check_clone_pickle_and_search


@pytest.fixture(scope="module")
def cheap():
    return cheap_experiment(seed=2, n_models=8)


def true_class_proba(outputs, kind, y):
    """``p_y`` of each row of (n, n_classes) outputs (independent of skmia)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    proba = softmax(outputs, axis=1) if kind == "logits" else outputs
    return proba[np.arange(len(y)), y]


def brute_force_rmia(target, shadows, records, population, k, *, gamma, a, online):
    """RMIA scores the slow way: per-record loops and the full n x m matrix."""
    rows = shadows.locate(records)
    pop_rows = shadows.locate(population)
    n_models = len(shadows.keep_)
    conf = np.stack([true_class_proba(shadows.outputs_[m, :, 0], shadows.output_kind_,
                                      shadows.labels_) for m in range(n_models)])

    def pr(i):
        ins = [m for m in range(n_models) if shadows.keep_[m, i]]
        outs = [m for m in range(n_models) if not shadows.keep_[m, i]]
        refs = ins[:k // 2] + outs[:k - k // 2] if online else outs[:k]
        assert len(refs) == k
        p = np.mean(conf[refs, i])
        return p if online else 0.5 * ((1 + a) * p + (1 - a))

    def ratio(recs, rws):
        p_target = true_class_proba(target.predict_proba(recs.X), "proba", recs.y)
        return p_target / np.array([pr(i) for i in rws])

    ratio_x, ratio_z = ratio(records, rows), ratio(population, pop_rows)
    return np.mean(ratio_x[:, None] / ratio_z[None, :] >= gamma, axis=1)


# --- scores against a brute-force computation --------------------------------


@pytest.mark.parametrize("k, online", [(1, False), (2, False), (4, False),
                                       (2, True), (4, True)])
def test_scores_match_brute_force(cheap, k, online):
    pool, target, shadows = cheap.pool, cheap.target, cheap.shadows
    rmia = RMIA(target, k, gamma=1.3, offline_a=0.4, online=online, n_population=70,
                shadow_models=shadows, random_state=0).fit(pool)
    population = pool[rmia.population_indices_]
    assert len(population) == 70 == len(np.unique(rmia.population_indices_))
    expected = brute_force_rmia(target, shadows, pool, population, k, gamma=1.3,
                                a=0.4, online=online)
    np.testing.assert_array_equal(rmia.predict_proba(pool)[:, 1], expected)
    np.testing.assert_array_equal(rmia.decision_function(pool), expected - 0.5)
    np.testing.assert_array_equal(rmia.predict(pool), (expected >= 0.5).astype(int))
    assert rmia.offline_a_ == (None if online else 0.4)


def test_own_reference_models(cheap):
    pool, m, target = cheap.pool, cheap.membership, cheap.target
    for k in (1, 2):
        offline = RMIA(target, k, random_state=0).fit(pool)
        # k complementary pairs: each record is OUT of exactly k models
        assert offline.shadow_models_.keep_.shape == (2 * k, len(pool))
        np.testing.assert_array_equal((~offline.shadow_models_.keep_).sum(axis=0), k)
        assert offline.score(pool, m) > 0.6
        expected = brute_force_rmia(target, offline.shadow_models_, pool, pool, k,
                                    gamma=1.0, a=0.3, online=False)
        np.testing.assert_array_equal(offline.predict_proba(pool)[:, 1], expected)
    online = RMIA(target, 2, online=True, random_state=0).fit(pool)
    assert online.shadow_models_.keep_.shape == (2, len(pool))
    assert online.score(pool, m) > 0.6
    with pytest.raises(ValueError, match="online=True\\) needs n_reference_models >= 2"):
        RMIA(target, 1, online=True).fit(pool)


def test_memory_is_linear_not_n_by_m():
    """n = m = 20000: the n x m matrix of pairs would take 3.2 GB."""
    n = 20000
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, size=n)
    X = rng.normal(size=(n, 3)) + y[:, None] * 0.5
    records = Records(X, y)
    target = GaussianNB().fit(X[: n // 2], y[: n // 2])
    shadows = ShadowModels(GaussianNB(), n_models=2, random_state=0).fit(records)
    rmia = RMIA(target, 1, gamma=1.0, shadow_models=shadows)
    tracemalloc.start()
    try:
        rmia.fit(records)
        scores = rmia.predict_proba(records)[:, 1]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rmia.population_ratios_) == n
    assert peak < n * n * 8 / 200  # 16 MB, against 3.2 GB for the matrix
    # still exact: brute force on a slice of the records against all of them
    conf = [true_class_proba(shadows.outputs_[mm, :, 0], "proba", y) for mm in (0, 1)]
    pr_out = np.where(shadows.keep_[0], conf[1], conf[0])  # each record's OUT model
    ratios = (true_class_proba(target.predict_proba(X), "proba", y)
              / (0.5 * (1.3 * pr_out + 0.7)))
    np.testing.assert_array_equal(
        scores[:300], np.mean(ratios[:300, None] / ratios[None, :] >= 1.0, axis=1))


# --- Zarifzadeh et al.'s ordering on digits -----------------------------------


def check_rmia_ordering(exp):
    pool, m, target = exp.pool, exp.membership, exp.target
    four = exp.shadows.head(4)
    rmia = RMIA(target, 2, gamma=1.0, offline_a="auto", shadow_models=four).fit(pool)
    rmia_auc = report(f"RMIA 2 refs, gamma=1, a={rmia.offline_a_}", m,
                      rmia.decision_function(pool))[0]
    report("RMIA 2 refs, gamma=1, a=0.3", m, RMIA(
        target, 2, gamma=1.0, shadow_models=four).fit(pool).decision_function(pool))
    report("RMIA 2 refs, gamma=2, a=0.3", m, RMIA(
        target, 2, shadow_models=four).fit(pool).decision_function(pool))
    for fixed in (True, False):
        lira = LiRA(target, online=False, fixed_variance=fixed,
                    shadow_models=four).fit(pool)
        lira_auc = report(f"LiRA offline, fixed var={fixed}", m,
                          lira.decision_function(pool))[0]
        assert rmia_auc > lira_auc


def test_rmia_two_references_beats_offline_lira_on_the_same_shadows(exp):
    """Offline, at the paper's equal budget of 2 OUT models per record (the
    first 4 of the 8 shared shadows: 2 complementary pairs), RMIA with 2
    reference models beats offline LiRA in AUC.

    gamma=1: on these digits the target's ratios Pr(x|theta)/Pr(x) are
    concentrated near 1 (interquartile range 0.99-1.02), so with the paper's
    gamma=2 a record dominates only the few population records with ratio
    below half its own, the score takes ~20 distinct values and RMIA's AUC
    falls to ~0.66, below offline LiRA's ~0.79. We report that rather than
    hide it; offline_a is tuned on the shadows as in the paper.
    """
    check_rmia_ordering(exp)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rmia_ordering_holds_on_other_seeds(seed):
    check_rmia_ordering(digits_experiment(seed))


@pytest.mark.parametrize("k", [1, 2, 4])
def test_one_two_and_four_reference_models_on_shared_shadows(exp, k):
    """With shared shadows, k offline references are each record's first k OUT
    models: those of the first 2k shadows (complementary pairs)."""
    pool, m, target, shadows = exp.pool, exp.membership, exp.target, exp.shadows
    for gamma in (2.0, 1.0):
        shared = RMIA(target, k, gamma=gamma, shadow_models=shadows).fit(pool)
        scores = shared.decision_function(pool)
        report(f"RMIA offline {k} refs, gamma={gamma}", m, scores)
        assert roc_auc_score(m, scores) > 0.6
        head = RMIA(target, k, gamma=gamma, shadow_models=shadows.head(2 * k)).fit(pool)
        np.testing.assert_array_equal(head.decision_function(pool), scores)
    if k > 1:
        report(f"RMIA online {k} refs, gamma=1", m, RMIA(
            target, k, gamma=1.0, online=True,
            shadow_models=shadows).fit(pool).decision_function(pool))


# --- offline_a="auto" ---------------------------------------------------------


def test_auto_offline_a_matches_a_brute_force_search(cheap):
    pool, target, shadows = cheap.pool, cheap.target, cheap.shadows.head(4)
    rmia = RMIA(target, 2, gamma=1.0, offline_a="auto", shadow_models=shadows).fit(pool)
    keep = shadows.keep_
    conf = np.stack([true_class_proba(shadows.outputs_[mm, :, 0], "proba",
                                      shadows.labels_) for mm in range(4)])
    grid = np.linspace(0, 1, 11)
    aucs = np.zeros((4, len(grid)))
    for t in range(4):
        others = [mm for mm in range(4) if mm != t]
        for j, a in enumerate(grid):
            ratios = []
            for i in range(len(pool)):
                outs = [mm for mm in others if not keep[mm, i]]
                pr = 0.5 * ((1 + a) * np.mean(conf[outs, i]) + (1 - a))
                ratios.append(conf[t, i] / pr)
            ratios = np.array(ratios)
            scores = np.mean(ratios[:, None] / ratios[None, :] >= 1.0, axis=1)
            aucs[t, j] = roc_auc_score(keep[t], scores)
    best = grid[np.argmax(aucs.mean(axis=0))]
    assert rmia.offline_a_ == pytest.approx(best)
    # and the attack uses it
    np.testing.assert_array_equal(
        rmia.decision_function(pool),
        RMIA(target, 2, gamma=1.0, offline_a=rmia.offline_a_,
             shadow_models=shadows).fit(pool).decision_function(pool))
    with pytest.raises(ValueError, match="at least 3 shadow models"):
        RMIA(target, 1, offline_a="auto", shadow_models=cheap.shadows.head(2)).fit(pool)


# --- records outside the pool ------------------------------------------------


def test_records_outside_the_pool(cheap):
    pool, outside, target, shadows = cheap.pool, cheap.outside, cheap.target, cheap.shadows
    online = RMIA(target, 2, online=True, shadow_models=shadows).fit(pool)
    with pytest.raises(ValueError, match="online RMIA needs IN reference models"):
        online.decision_function(outside)
    offline = RMIA(target, 2, gamma=1.0, shadow_models=shadows).fit(pool)
    scores = offline.predict_proba(outside)[:, 1]
    # outside the pool every model is OUT: the first 2 are the references
    conf = np.stack([true_class_proba(mm.predict_proba(outside.X).astype(np.float32),
                                      "proba", outside.y)
                     for mm in shadows.estimators_[:2]])
    pr = 0.5 * (1.3 * conf.mean(axis=0) + 0.7)
    ratio = true_class_proba(target.predict_proba(outside.X), "proba", outside.y) / pr
    expected = np.mean(ratio[:, None] / offline.population_ratios_[None, :] >= 1.0,
                       axis=1)
    np.testing.assert_allclose(scores, expected, atol=1.5 / len(pool))
    no_models = ShadowModels(clone(target), n_models=4, random_state=0).fit(pool)
    with pytest.raises(ValueError, match="keep_models=True"):
        RMIA(target, 2, shadow_models=no_models).fit(pool).decision_function(outside)


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("params, match", [
    ({"gamma": 0.0}, "gamma"),
    ({"gamma": -1.0}, "gamma"),
    ({"offline_a": 1.5}, "offline_a"),
    ({"offline_a": "tune"}, "offline_a"),
    ({"n_reference_models": 0}, "n_reference_models"),
    ({"n_population": 0}, "n_population"),
])
def test_invalid_parameters(cheap, params, match):
    with pytest.raises(InvalidParameterError, match=match):
        RMIA(cheap.target, **params).fit(cheap.pool)


def test_input_errors(cheap):
    pool, target, shadows = cheap.pool, cheap.target, cheap.shadows
    with pytest.raises(ValueError, match="4 OUT reference models"):
        RMIA(target, 4, shadow_models=shadows.head(4)).fit(pool)
    with pytest.raises(ValueError, match="2 IN and 2 OUT"):
        RMIA(target, 4, online=True, shadow_models=shadows.head(2)).fit(pool)
    with pytest.raises(ValueError, match="n_population=500 exceeds"):
        RMIA(target, 1, n_population=500, shadow_models=shadows).fit(pool)
    with pytest.raises(ValueError, match="needs records"):
        RMIA(target, 1, shadow_models=shadows).fit()
    with pytest.raises(ValueError, match="target=None"):
        RMIA(None).fit(pool)


# --- estimator contract ------------------------------------------------------


def test_clone_pickle_and_grid_search(cheap):
    pool, m, target, shadows = cheap.pool, cheap.membership, cheap.target, cheap.shadows
    assert RMIA.fit_requires == "pool"
    check_clone_pickle_and_search(RMIA(target, 2, shadow_models=shadows), pool, m,
                                  {"gamma": [1.0, 2.0]})
    # the same population draw for the same random_state
    first = RMIA(target, 2, n_population=50, shadow_models=shadows, random_state=4)
    second = clone(first)
    np.testing.assert_array_equal(first.fit(pool).population_indices_,
                                  second.fit(pool).population_indices_)
