import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

from skmia import Records
from skmia.attacks import ShadowModelAttack, ThresholdAttack
from skmia.metrics import empirical_epsilon, membership_advantage
from skmia.model_selection import leave_one_model_out
from skmia.shadow import ShadowModels


@pytest.fixture(scope="module")
def pool():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return Records(X[:300], y[:300])


@pytest.fixture(scope="module")
def shadows(pool):
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    return ShadowModels(forest, n_models=4, random_state=0, keep_models=True).fit(pool)


def test_each_model_plays_the_target_in_turn(pool, shadows):
    with pytest.warns(UserWarning, match="Not reporting TPR at FPR=0.001"):
        result = leave_one_model_out(ThresholdAttack(signal="loss"), shadows, pool,
                                     fprs=(0.001, 0.05), n_bootstraps=100, random_state=0)
    assert result.membership.shape == (4 * 300,)
    np.testing.assert_array_equal(result.membership[:300], shadows.keep_[0])
    np.testing.assert_array_equal(result.target_index, np.repeat(np.arange(4), 300))
    assert result.auc == pytest.approx(roc_auc_score(result.membership, result.scores))
    assert result.auc > 0.7  # fully grown forests leak
    assert result.auc_ci[0] <= result.auc <= result.auc_ci[1]
    assert result.tpr_at_fpr[0.001] is None and result.tpr_at_fpr_ci[0.001] is None
    assert 0 < result.tpr_at_fpr[0.05] <= 1
    # the whole leakage row of the pooled scores comes with it
    summary = result.summary
    assert summary.auc == result.auc and tuple(summary.auc_ci) == result.auc_ci
    assert summary.tpr_at_fpr["0.05"]["tpr"] == result.tpr_at_fpr[0.05]
    assert "10000 non-members" in summary.tpr_at_fpr["0.001"]["note"]
    assert summary.advantage == membership_advantage(result.membership, result.scores)
    assert summary.epsilon_lower_bound == empirical_epsilon(result.membership,
                                                            result.scores)
    # turn 1: a loss threshold calibrated on the models other than 1 and its
    # complementary partner 0
    others = shadows.select([2, 3])
    attack = ThresholdAttack(shadows.estimators_[1], shadow_models=others).fit()
    np.testing.assert_allclose(result.scores[300:600], attack.decision_function(pool))


def test_pool_attacks_and_n_targets(pool, shadows):
    result = leave_one_model_out(ShadowModelAttack(random_state=0), shadows, pool,
                                 n_targets=2, fprs=(0.1,), n_bootstraps=50, random_state=0)
    assert result.per_target_auc.shape == (2,)
    assert np.all(result.per_target_auc > 0.6)


def test_n_shadow_models_takes_the_first_of_the_others(pool):
    forest = RandomForestClassifier(n_estimators=10, random_state=0)
    six = ShadowModels(forest, n_models=6, random_state=0, keep_models=True).fit(pool)
    result = leave_one_model_out(ThresholdAttack(signal="loss"), six, pool, n_targets=3,
                                 n_shadow_models=2, fprs=(), n_bootstraps=20,
                                 random_state=0)
    # target 2 (partner 3): shadows 0 and 1; target 0 (partner 1): 2 and 3
    for t, first_two in [(0, [2, 3]), (2, [0, 1])]:
        attack = ThresholdAttack(six.estimators_[t], shadow_models=six.select(first_two))
        np.testing.assert_allclose(result.scores[300 * t:300 * (t + 1)],
                                   attack.fit().decision_function(pool))
    everyone = leave_one_model_out(ThresholdAttack(signal="loss"), six, pool,
                                   n_targets=1, fprs=(), n_bootstraps=20)
    attack = ThresholdAttack(six.estimators_[0], shadow_models=six.select([2, 3, 4, 5]))
    np.testing.assert_allclose(everyone.scores, attack.fit().decision_function(pool))
    for bad in (0, 5, 2.0):
        with pytest.raises(ValueError, match=r"an integer in \[1, 4\]"):
            leave_one_model_out(ThresholdAttack(), six, pool, n_shadow_models=bad)


def test_errors(pool, shadows):
    lean = ShadowModels(RandomForestClassifier(n_estimators=5), n_models=4,
                        random_state=0).fit(pool)
    with pytest.raises(ValueError, match="keep_models=True"):
        leave_one_model_out(ThresholdAttack(), lean, pool)
    with pytest.raises(ValueError, match="not in the shadows' pool"):
        leave_one_model_out(ThresholdAttack(), shadows, Records(pool.X + 1.0, pool.y))
    with pytest.raises(ValueError, match="n_targets"):
        leave_one_model_out(ThresholdAttack(), shadows, pool, n_targets=5)
