"""Carlini's and Zarifzadeh's orderings at 1% FPR, pooled over targets.

A single target on digits has a few hundred non-members, so its TPR at 1%
FPR counts one or two members. Here each of 8 models of a 10-model ensemble
plays the target in turn (:func:`~skmia.model_selection.leave_one_model_out`:
the others but its complementary partner are the shadows, 4 IN and 4 OUT
per record) and the scores are pooled: 4000 non-members, so 1% FPR allows
40 false positives.
"""

import numpy as np
import pytest

from skmia.attacks import RMIA, LiRA, ThresholdAttack
from skmia.model_selection import leave_one_model_out

from ._fixtures import digits_ensemble


def evaluate(ensemble, name, attack):
    result = leave_one_model_out(attack, ensemble.shadows, ensemble.pool,
                                 n_targets=8, fprs=(0.01,), n_bootstraps=300,
                                 random_state=0)
    print(f"{name:<24} AUC {result.auc:.3f} "
          f"[{result.auc_ci[0]:.3f}, {result.auc_ci[1]:.3f}]  TPR@1%FPR "
          f"{result.tpr_at_fpr[0.01]:.4f} [{result.tpr_at_fpr_ci[0.01][0]:.4f}, "
          f"{result.tpr_at_fpr_ci[0.01][1]:.4f}]")
    return result


def check_orderings(ensemble):
    loss = evaluate(ensemble, "loss threshold", ThresholdAttack(None, "loss"))
    online = evaluate(ensemble, "LiRA online, fixed var", LiRA(None, fixed_variance=True))
    offline = evaluate(ensemble, "LiRA offline, fixed var", LiRA(
        None, online=False, fixed_variance=True))
    rmia = evaluate(ensemble, "RMIA, 2 references", RMIA(
        None, n_reference_models=2, random_state=0))
    assert len(loss.membership) == 8000 and np.sum(loss.membership == 0) == 4000

    # Carlini et al.: online LiRA above the loss attack, intervals apart
    assert online.auc_ci[0] > loss.auc_ci[1]
    assert online.tpr_at_fpr_ci[0.01][0] > loss.tpr_at_fpr_ci[0.01][1]
    # Zarifzadeh et al.: RMIA with 2 reference models (2 OUT models per
    # record) at least offline LiRA with all 4 OUT models: above it in AUC,
    # and in TPR at 1% FPR at least within 0.005 (20 of the 4000 members;
    # on seed 1 RMIA leads by 4 members only, and float rounding differs
    # between CPUs)
    assert rmia.auc > offline.auc
    assert rmia.tpr_at_fpr[0.01] >= offline.tpr_at_fpr[0.01] - 0.005


def test_orderings_at_one_percent_fpr():
    """Seed 0: AUC loss 0.535, LiRA online 0.621, offline 0.612, RMIA 0.634;
    TPR@1%FPR 0.010, 0.054, 0.053, 0.057 (run with ``pytest -s``)."""
    check_orderings(digits_ensemble(0))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_orderings_at_one_percent_fpr_on_other_seeds(seed):
    check_orderings(digits_ensemble(seed))
