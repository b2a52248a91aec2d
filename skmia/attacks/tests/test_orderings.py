"""Carlini's and Zarifzadeh's orderings at 1% FPR, pooled over targets.

A single target on digits has a few hundred non-members, so its TPR at 1%
FPR counts one or two members. Here each of 8 models of a 10-model ensemble
plays the target in turn (:func:`~skmia.model_selection.leave_one_model_out`:
the others but its complementary partner are the shadows, 4 IN and 4 OUT
per record) and the scores are pooled: 4000 non-members, so 1% FPR allows
40 false positives.

Where the margins come from: ``pytest -s -m "slow or not slow"`` on this
file prints the figures below (seed 0's match those its first version
recorded in ``test_orderings_at_one_percent_fpr``; all were measured at
25f28a7, on 2 CPU cores with ``OMP_NUM_THREADS=1``, and again, the same,
after the attacks were reshaped).
Intervals come from 300 stratified bootstrap resamples of the 8000 pooled
scores; online and offline LiRA use fixed variances::

    AUC [interval]   seed 0              seed 1              seed 2
    loss threshold   0.535 [.523 .546]   0.536 [.523 .549]   0.538 [.526 .550]
    LiRA online      0.621 [.610 .635]   0.619 [.606 .630]   0.619 [.607 .631]
    LiRA offline     0.612 [.600 .623]   0.617 [.603 .627]   0.623 [.613 .636]
    RMIA 2 refs      0.634 [.621 .645]   0.642 [.631 .654]   0.642 [.632 .653]

    TPR at 1% FPR    seed 0                 seed 1                 seed 2
    loss threshold   0.0103 [.0046 .0155]   0.0090 [.0057 .0138]   0.0100 [.0057 .0139]
    LiRA online      0.0537 [.0452 .0643]   0.0678 [.0569 .0798]   0.0535 [.0451 .0717]
    LiRA offline     0.0530 [.0394 .0611]   0.0655 [.0551 .0793]   0.0495 [.0380 .0630]
    RMIA 2 refs      0.0565 [.0464 .0694]   0.0665 [.0536 .0826]   0.0563 [.0434 .0676]
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

    # Carlini et al.: online LiRA above the loss attack, intervals apart.
    # No slack: the AUC intervals are at least 0.057 apart (seeds 1 and 2),
    # the TPR ones at least 0.0297 (seed 0: 0.0452 vs 0.0155), far more
    # than rounding differences between CPUs move them.
    assert online.auc_ci[0] > loss.auc_ci[1]
    assert online.tpr_at_fpr_ci[0.01][0] > loss.tpr_at_fpr_ci[0.01][1]
    # Zarifzadeh et al.: RMIA with 2 reference models (2 OUT models per
    # record) at least offline LiRA with all 4 OUT models. In AUC strictly
    # above it: the smallest lead is 0.019 (seed 2), about 1.5 interval
    # half-widths. In TPR at 1% FPR within 0.005, i.e. 20 of the 4000
    # members: RMIA leads by 14 members on seed 0 but by 4 only on seed 1
    # (0.0665 vs 0.0655), and float rounding that differs between CPUs can
    # move a few members across the 1% threshold; 0.005 stays well inside
    # both intervals (half-widths 0.011 to 0.015), so a real reversal
    # would still fail.
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
