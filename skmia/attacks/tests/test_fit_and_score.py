"""Tests of fit_and_score: each attack fitted as its ``fit_requires`` declares."""

import inspect

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

import skmia.attacks
from skmia.attacks import (
    RMIA,
    BaseAttack,
    CalibratedLossAttack,
    LabelOnlyAttack,
    LiRA,
    MetaClassifierAttack,
    ShadowModelAttack,
    ThresholdAttack,
    fit_and_score,
)

from ._fixtures import cheap_experiment


@pytest.fixture(scope="module")
def cheap():
    return cheap_experiment(seed=4, n_models=4)


def public_attacks():
    return [obj for name in skmia.attacks.__all__
            if inspect.isclass(obj := getattr(skmia.attacks, name))
            and issubclass(obj, BaseAttack) and obj is not BaseAttack]


def test_every_attack_declares_what_fit_needs(cheap):
    attacks = public_attacks()
    assert len(attacks) == 8
    for cls in attacks:
        assert cls(cheap.target).fit_requires in (
            "pool", "membership", "nothing", "population")
    for cls in (LiRA, RMIA, CalibratedLossAttack, ShadowModelAttack, LabelOnlyAttack):
        assert cls(cheap.target, shadow_models=cheap.shadows).fit_requires == "pool"
    assert MetaClassifierAttack(cheap.target).fit_requires == "membership"
    assert LabelOnlyAttack(cheap.target).fit_requires == "membership"
    assert ThresholdAttack(cheap.target).fit_requires == "membership"
    assert ThresholdAttack(cheap.target, threshold=1.0).fit_requires == "membership"
    # calibrated on the shadows' IN/OUT records, it needs nothing else
    calibrated = ThresholdAttack(cheap.target, shadow_models=cheap.shadows)
    assert calibrated.fit_requires == "nothing"
    assert clone(calibrated).fit_requires == "nothing"


@pytest.mark.parametrize("make", [
    lambda c: LiRA(c.target, shadow_models=c.shadows, fixed_variance=True),
    lambda c: RMIA(c.target, 2, shadow_models=c.shadows),
    lambda c: CalibratedLossAttack(c.target, n_shadow_models=2, random_state=0),
], ids=["lira", "rmia", "calibrated-own-shadows"])
def test_pool_attacks_are_fitted_on_the_pool(cheap, make):
    records = cheap.pool[:60]
    scores = fit_and_score(make(cheap), records, pool=cheap.pool)
    expected = make(cheap).fit(cheap.pool).decision_function(records)
    np.testing.assert_array_equal(scores, expected)
    # without a pool, the records are the pool
    np.testing.assert_array_equal(
        fit_and_score(make(cheap), cheap.pool),
        make(cheap).fit(cheap.pool).decision_function(cheap.pool))


def test_shadow_calibrated_threshold_is_fitted_without_data(cheap):
    attack = ThresholdAttack(cheap.target, shadow_models=cheap.shadows)
    scores = fit_and_score(attack, cheap.outside)  # no membership needed
    expected = ThresholdAttack(cheap.target, shadow_models=cheap.shadows).fit(
        ).decision_function(cheap.outside)
    np.testing.assert_array_equal(scores, expected)


def test_membership_attacks_are_cross_fitted(cheap):
    records, membership = cheap.pool, cheap.membership
    scores = fit_and_score(ThresholdAttack(cheap.target, per_class=True), records,
                           membership, random_state=3)
    # by hand: each half scored by an attack fitted on the other half
    expected = np.empty(len(records))
    cv = StratifiedKFold(2, shuffle=True, random_state=3)
    for fit_rows, score_rows in cv.split(records.X, membership):
        attack = ThresholdAttack(cheap.target, per_class=True).fit(
            records[fit_rows], membership[fit_rows])
        expected[score_rows] = attack.decision_function(records[score_rows])
    np.testing.assert_array_equal(scores, expected)
    with pytest.raises(ValueError, match="pass membership labels"):
        fit_and_score(MetaClassifierAttack(cheap.target), records)


def test_an_unknown_requirement_is_an_error(cheap):
    class Odd(ThresholdAttack):
        fit_requires = "labels"

    with pytest.raises(ValueError, match="fit_requires must be one of"):
        fit_and_score(Odd(cheap.target), cheap.pool, cheap.membership)
