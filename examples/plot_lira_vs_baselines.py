"""
=================================================
LiRA, RMIA and the baselines from one shadow set
=================================================

Attacks that compare the target with reference models *record by record*
are much stronger than attacks with one threshold for all records. A low
loss is weak evidence of membership for a digit that every model classifies
correctly, and strong evidence for an unusual one. This example audits one
target with six attacks, all served by a single
:class:`~skmia.shadow.ShadowModels` ensemble:

- the loss threshold of Yeom et al. (2018), calibrated on the shadows;
- the shadow-model attack of Shokri et al. (2017);
- the difficulty-calibrated loss of Watson et al. (2022);
- LiRA, the likelihood ratio attack of Carlini et al. (2022), online and
  offline;
- RMIA, the attack of Zarifzadeh et al. (2024).

and compares them where it matters, at low false positive rates.
"""

# %%
# The setting of Carlini et al.
# -----------------------------
#
# The attacker's pool contains the records it audits: 1000 digits, half of
# which (drawn at random) train the target. Each shadow model trains on a
# random half of the same 1000 records, so every record is IN for half of
# the shadows and OUT for the other half, and per-record attacks can learn
# how a model behaves on that very record with and without it.
#
# The networks are tiny MLPs with small batches, so torch runs on one
# thread (as every shadow does, see ``threads_per_model`` of
# :class:`~skmia.shadow.ShadowModels`): a second thread adds more
# synchronisation than work, and on a machine whose cores are shared it can
# make training many times slower.
import numpy as np
import torch

from skmia import Records
from skmia.datasets import load_digits_images, make_membership_split

torch.set_num_threads(1)

digits = load_digits_images()
split = make_membership_split(
    digits.data, digits.target, n_target=500, n_target_out=500,
    random_state=0,
)
records = Records(
    np.concatenate([split.target_in.X, split.target_out.X]),
    np.concatenate([split.target_in.y, split.target_out.y]),
)
membership = np.r_[np.ones(500), np.zeros(500)]
print(f"{len(records)} audited records, {int(membership.sum())} of them members")

# %%
# The target is a one-hidden-layer MLP; the shadows copy its recipe through
# :func:`~sklearn.base.clone`. Sixteen shadows is few by the standard of
# Carlini et al. (who use 64 to 256) but enough to show the ranking of the
# attacks; :ref:`sphx_glr_auto_examples_plot_shadow_count.py` studies the
# number of shadows.
import time

from sklearn.base import clone

from skmia.shadow import ShadowModels
from skmia.targets import make_target

target = make_target(
    "mlp", n_classes=10, in_features=64, module__hidden_sizes=(512,),
    max_epochs=50, random_state=0,
)
target.fit(split.target_in.X, split.target_in.y)
test_acc = np.mean(target.predict(split.target_out.X) == split.target_out.y)
print(f"target: test accuracy {test_acc:.3f}")

start = time.perf_counter()
shadows = ShadowModels(clone(target), n_models=16, random_state=0).fit(records)
print(f"16 shadow models trained in {time.perf_counter() - start:.0f} s")

# %%
# Six attacks, one ensemble
# -------------------------
#
# Every attack takes the fitted ensemble as ``shadow_models=`` and uses it as
# it is. The per-record attacks are fitted on the pool (``fit(records)``):
# they look up each record's shadows, never its membership.
#
# - **Loss threshold** (Yeom et al.): one threshold on the target's loss for
#   all records, chosen to separate the shadows' IN from their OUT losses.
# - **Shokri et al.**: a logistic regression learns IN/OUT from the shadows'
#   sorted probability vectors, then classifies the target's.
# - **Calibrated loss** (Watson et al.): the record's mean loss under its
#   OUT shadows minus the target's loss on it, i.e. how much better the
#   target fits the record than models that never saw it.
# - **LiRA** (Carlini et al.): the logit-scaled confidence
#   ``phi = log p_y - log(1 - p_y)`` of a record is close to Gaussian over
#   models trained with it and over models trained without it. *Online*, the
#   score is the log-likelihood ratio of the target's ``phi`` under the two
#   Gaussians; *offline*, only the OUT Gaussian is used (a one-sided test),
#   so the attack needs no shadow trained on the record. With 16 shadows,
#   each record has 8 IN and 8 OUT values, too few for a reliable variance
#   per record, so we use one variance per side for all records
#   (``fixed_variance=True``), as Carlini et al. recommend with few shadows.
# - **RMIA** (Zarifzadeh et al.): the ratio of the target's probability of
#   the true label to the reference models' is compared with the same ratio
#   on population records; the score is the fraction of the population the
#   record dominates. Offline, each record is compared with its 8 OUT
#   shadows.
from skmia.attacks import (
    LiRA,
    RMIA,
    CalibratedLossAttack,
    ShadowModelAttack,
    ThresholdAttack,
)

attacks = {
    "loss threshold": ThresholdAttack(target, signal="loss", shadow_models=shadows),
    "Shokri et al.": ShadowModelAttack(target, shadow_models=shadows, random_state=0),
    "calibrated loss": CalibratedLossAttack(target, shadow_models=shadows),
    "LiRA online": LiRA(target, fixed_variance=True, shadow_models=shadows),
    "LiRA offline": LiRA(target, online=False, fixed_variance=True,
                         shadow_models=shadows),
    "RMIA offline": RMIA(target, n_reference_models=8, shadow_models=shadows,
                         random_state=0),
}
for attack in attacks.values():
    attack.fit(records)

# %%
# Results
# -------
#
# For each attack: the ROC AUC and the TPR at 2% FPR, both with 95%
# bootstrap intervals (:func:`~skmia.metrics.roc_auc_ci`,
# :func:`~skmia.metrics.tpr_at_fpr_ci`). With 500 non-members, 2% FPR allows
# 10 false positives, the fewest a TPR should rest on (skmia's reports and
# :func:`~skmia.model_selection.leave_one_model_out` refuse lower FPRs);
# :ref:`sphx_glr_auto_examples_plot_shadow_count.py` pools several targets to
# read the TPR at 1% FPR.
from skmia.metrics import roc_auc_ci, tpr_at_fpr, tpr_at_fpr_ci

scores = {name: attack.decision_function(records) for name, attack in attacks.items()}
print(f"{'attack':<16} {'AUC [95% CI]':>22} {'TPR@2%FPR [95% CI]':>24}")
for name, s in scores.items():
    auc = attacks[name].score(records, membership)
    auc_low, auc_high = roc_auc_ci(membership, s, random_state=0)
    tpr = tpr_at_fpr(membership, s, fpr=0.02)
    tpr_low, tpr_high = tpr_at_fpr_ci(membership, s, fpr=0.02, random_state=0)
    print(f"{name:<16} {auc:.3f} [{auc_low:.3f}, {auc_high:.3f}] "
          f"{tpr:>9.3f} [{tpr_low:.3f}, {tpr_high:.3f}]")

# %%
# The two attacks with one rule for every record, the loss threshold and
# Shokri's classifier, barely beat a random guess (an AUC of 0.51): this
# target generalises well (96% test accuracy), and its members' losses are
# hardly lower than its non-members'. The per-record attacks reach an AUC
# of 0.59 to 0.62 and find four to six times as many members at 2% FPR
# (0.08 to 0.10 against 0.01 to 0.02). Online LiRA has the highest AUC, as
# it has the most information (it knows how the record behaves in models
# trained *with* it, too), but with one target of 500 non-members the four
# per-record attacks are within each other's intervals;
# :ref:`sphx_glr_auto_examples_plot_shadow_count.py` separates them better
# by pooling several targets.
#
# The log-log ROC curves show the same: below 10% FPR the per-record
# attacks stay well above the dashed diagonal (a random guess), the other
# two stay close to it.
import matplotlib.pyplot as plt

from skmia.plotting import MembershipRocDisplay

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for name, s in scores.items():
    MembershipRocDisplay.from_predictions(membership, s, name=name, ax=ax)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
ax.set_title("Six attacks, one ensemble of 16 shadows (MLP on 500 digits)")
plt.show()

# %%
# What the per-record attacks see
# -------------------------------
#
# LiRA's fitted Gaussians explain its advantage. Each record has its own OUT
# mean ``mean_out_``: the typical ``phi`` of a model that never saw it. The
# OUT means of different records spread over more than ten units of ``phi``
# (easy digits are classified confidently even by models that never saw
# them, unusual ones are not), while training on a record raises its ``phi``
# by less than one unit (``mean_in_ - mean_out_``), about as much as ``phi``
# varies from one shadow to the next (the pooled standard deviations in the
# title). A single threshold on the target's ``phi`` or loss therefore mostly
# measures how easy a record is; comparing each record with its own OUT
# distribution removes that, and leaves the effect of training on it.
online = attacks["LiRA online"]
shift = online.mean_in_[:, 0] - online.mean_out_[:, 0]
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.hist(online.mean_out_[:, 0], bins=40, alpha=0.7, label="OUT mean of each record")
ax.hist(shift, bins=40, alpha=0.7, label="IN mean - OUT mean of each record")
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel("logit-scaled confidence phi")
ax.set_ylabel("records")
ax.legend()
ax.set_title(f"Per-record Gaussians of LiRA (pooled std: OUT "
             f"{online.pooled_std_out_:.2f}, IN {online.pooled_std_in_:.2f})")
plt.show()
