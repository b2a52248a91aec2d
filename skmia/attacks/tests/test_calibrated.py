"""Tests of the difficulty-calibrated loss attack (Watson et al. 2022)."""

import pickle

import numpy as np
import pytest
import torch
from scipy.special import expit, log_softmax
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils._param_validation import InvalidParameterError

from skmia.attacks import CalibratedLossAttack, ThresholdAttack
from skmia.shadow import ShadowModels
from skmia.signals import AugmentationQueries

from ._fixtures import cheap_experiment, report


@pytest.fixture(scope="module")
def cheap():
    return cheap_experiment(seed=3, n_models=4)


def test_score_is_mean_out_loss_minus_target_loss(exp):
    pool, target, shadows = exp.pool, exp.target, exp.shadows
    attack = CalibratedLossAttack(target, shadow_models=shadows).fit(pool)
    idx = np.array([1, 8, 64, 150, 199])
    logits = target.forward(pool.X[idx], training=False)
    target_loss = torch.nn.functional.cross_entropy(
        logits.double(), torch.as_tensor(pool.y[idx]), reduction="none").numpy()
    expected = []
    for j, i in enumerate(idx):
        out_models = np.flatnonzero(~shadows.keep_[:, i])
        losses = [-log_softmax(shadows.outputs_[m, i, 0].astype(np.float64))[pool.y[i]]
                  for m in out_models]
        expected.append(np.mean(losses) - target_loss[j])
    np.testing.assert_allclose(attack.decision_function(pool[idx]), expected, rtol=1e-7)
    np.testing.assert_allclose(attack.reference_loss_[idx], np.array(expected) + target_loss,
                               rtol=1e-7)
    np.testing.assert_allclose(attack.predict_proba(pool[idx])[:, 1], expit(expected),
                               rtol=1e-7)


def test_calibration_leaks_and_centres_non_members(exp):
    """Calibrated scores of non-members centre on 0 (the target fits them as
    well as an average OUT shadow does), members' are clearly positive."""
    pool, m, target, shadows = exp.pool, exp.membership, exp.target, exp.shadows
    report("loss threshold", m,
           ThresholdAttack(target, "loss").fit(pool, m).decision_function(pool))
    scores = CalibratedLossAttack(target, shadow_models=shadows).fit(
        pool).decision_function(pool)
    auc = report("calibrated loss", m, scores)[0]
    assert auc > 0.7
    members, non_members = np.median(scores[m == 1]), np.median(scores[m == 0])
    assert members > 0 and abs(non_members) < 0.25 * members


def test_augmentation_queries_are_averaged(cheap):
    pool, target = cheap.pool, cheap.target
    queries = AugmentationQueries(flip=True, shifts=0)
    attack = CalibratedLossAttack(target, n_shadow_models=2, random_state=0)
    shadows = ShadowModels(clone(target), n_models=2, queries=queries,
                           random_state=0).fit(pool)
    attack.set_params(shadow_models=shadows).fit(pool)
    i = 11
    copies = queries(pool.X[i:i + 1])
    # float32 digits make the target's probabilities float32: take their log
    # in float64, as the attack does (a float32 log is off by up to half an
    # ulp of the loss, 4.8e-7 at a loss of 8.8, and its last bit varies
    # with the CPU's vector instructions)
    target_loss = np.mean([
        -np.log(target.predict_proba(c)[0, pool.y[i]].astype(np.float64))
        for c in copies])
    out = np.flatnonzero(~shadows.keep_[:, i])
    shadow_loss = np.mean([-np.log(shadows.outputs_[mm, i, :, pool.y[i]].astype(np.float64))
                           for mm in out])
    # Both sides read the same float32 probabilities. Allow each a float32
    # ulp (2**-23 relative) in case the target rounds a query differently:
    # that moves each -log p by 2**-23 in absolute terms, so the score (a
    # difference of means of such losses) by at most 2 * 2**-23.
    np.testing.assert_allclose(attack.decision_function(pool[[i]]),
                               [shadow_loss - target_loss], rtol=0,
                               atol=2 * np.finfo(np.float32).eps)


def test_records_outside_the_pool(cheap):
    pool, outside, target, shadows = cheap.pool, cheap.outside, cheap.target, cheap.shadows
    attack = CalibratedLossAttack(target, shadow_models=shadows).fit(pool)
    scores = attack.decision_function(outside)
    # every kept model is OUT for them
    ref = np.mean([-np.log(mm.predict_proba(outside.X).astype(np.float32)
                           [np.arange(len(outside)), outside.y].astype(np.float64))
                   for mm in shadows.estimators_], axis=0)
    # the target's float32 probabilities, with logs in float64 as the attack takes them
    proba = target.predict_proba(outside.X).astype(np.float64)
    target_loss = -np.log(proba[np.arange(len(outside)), outside.y])
    np.testing.assert_allclose(scores, ref - target_loss, rtol=1e-5, atol=1e-9)
    no_models = ShadowModels(clone(target), n_models=2, random_state=0).fit(pool)
    with pytest.raises(ValueError, match="keep_models=True"):
        CalibratedLossAttack(target, shadow_models=no_models).fit(
            pool).decision_function(outside)
    with pytest.raises(ValueError, match="not in the pool"):
        CalibratedLossAttack(target, shadow_models=shadows).fit(outside)


def test_errors(cheap):
    pool, target = cheap.pool, cheap.target
    with pytest.raises(InvalidParameterError, match="n_shadow_models"):
        CalibratedLossAttack(target, n_shadow_models=1).fit(pool)
    with pytest.raises(InvalidParameterError, match="shadow_models"):
        CalibratedLossAttack(target, shadow_models="shadows").fit(pool)
    with pytest.raises(ValueError, match="target=None"):
        CalibratedLossAttack(None).fit(pool)
    with pytest.raises(ValueError, match="fit\\(records\\)"):
        CalibratedLossAttack(target).fit()


def test_own_shadows_clone_pickle_and_cross_validation(cheap):
    pool, m, target, shadows = cheap.pool, cheap.membership, cheap.target, cheap.shadows
    own = CalibratedLossAttack(target, n_shadow_models=2, random_state=0).fit(pool)
    assert own.shadow_models_.keep_.shape == (2, len(pool))
    again = clone(own).fit(pool)
    np.testing.assert_array_equal(own.decision_function(pool),
                                  again.decision_function(pool))
    assert CalibratedLossAttack.fit_requires == "pool"
    shared = CalibratedLossAttack(target, shadow_models=shadows)
    assert clone(shared).shadow_models is shadows and clone(shared).target is target
    shared.fit()  # the whole pool
    back = pickle.loads(pickle.dumps(shared))
    np.testing.assert_array_equal(back.decision_function(pool),
                                  shared.decision_function(pool))
    assert shared.score(pool, m) == pytest.approx(
        roc_auc_score(m, shared.decision_function(pool)))
    scores = cross_val_score(shared, pool, m,
                             cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert np.all(scores > 0.55)
