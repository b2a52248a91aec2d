"""
========================================================
Shadow models: Shokri's attack and calibrated thresholds
========================================================

An attacker rarely knows which records a model was trained on, so it cannot
fit an attack on the target's own members. Shokri et al. (2017) get around
this with *shadow models*: networks trained with the target's recipe on data
the attacker owns, on training sets the attacker chose. For every shadow the
attacker knows which of its records were IN the training set and which were
OUT, and learns from them what membership looks like.

This example trains one :class:`~skmia.shadow.ShadowModels` ensemble and
lets it serve two attacks without retraining anything:

- :class:`~skmia.attacks.ShadowModelAttack`, Shokri et al.'s attack, a
  classifier trained on the shadows' outputs;
- :class:`~skmia.attacks.ThresholdAttack` with its loss threshold chosen on
  the shadows instead of on the target's (unknown) members.
"""

# %%
# The target and the attacker's data
# -----------------------------------
#
# :func:`~skmia.datasets.make_membership_split` draws three disjoint sets of
# scikit-learn's digits: 100 members that train the target, 600
# non-members, and an attacker pool of 200 records, twice the target's
# training set, so that each shadow trains on as many records as the target.
#
# The networks in this example are tiny and their batches small, so we run
# torch on a single thread: a second thread only adds synchronisation, and
# on a machine whose cores are busy with other work it can make training
# many times slower. :class:`~skmia.shadow.ShadowModels` already trains each
# shadow on one thread (``threads_per_model=1``); this line does the same for
# the target.
import numpy as np
import torch

from skmia.datasets import load_digits_images, make_membership_split

torch.set_num_threads(1)

digits = load_digits_images()
split = make_membership_split(
    digits.data, digits.target, n_target=100, n_target_out=600, n_pool=200,
    random_state=0,
)
print(f"members: {len(split.target_in)}, non-members: {len(split.target_out)}, "
      f"attacker pool: {len(split.pool)}")

# %%
# The target is a wide one-hidden-layer MLP trained for 100 epochs, which fits
# its 100 training digits perfectly.
from skmia.targets import make_target

target = make_target(
    "mlp", n_classes=10, in_features=64, module__hidden_sizes=(512,),
    max_epochs=100, random_state=0,
)
target.fit(split.target_in.X, split.target_in.y)
train_acc = np.mean(target.predict(split.target_in.X) == split.target_in.y)
test_acc = np.mean(target.predict(split.target_out.X) == split.target_out.y)
print(f"train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")

# %%
# One ensemble of shadow models
# -----------------------------
#
# :class:`~skmia.shadow.ShadowModels` clones an unfitted estimator for every
# shadow. Passing :func:`~sklearn.base.clone` of the target copies its
# training recipe (architecture, optimiser, epochs); the attacker is assumed
# to know it. The shadows come in complementary pairs: models ``2j`` and
# ``2j + 1`` train on a random half of the pool and on the other half, so
# every pool record is IN for exactly half of them. Each shadow gets its own
# seed, drawn from ``random_state``.
#
# What the ensemble keeps is what attacks need: the IN/OUT matrix ``keep_``
# and every shadow's outputs on every pool record (logits here, since the
# shadows are skorch networks trained with cross-entropy), not the networks.
from sklearn.base import clone

from skmia.shadow import ShadowModels

shadows = ShadowModels(clone(target), n_models=16, random_state=0)
shadows.fit(split.pool)
print("keep_:", shadows.keep_.shape, "- each record is IN for",
      np.unique(shadows.keep_.sum(axis=0)), "shadows")
print("outputs_:", shadows.outputs_.shape, shadows.output_kind_)

# %%
# The records to audit are the target's members and non-members.
# ``membership`` is the ground truth, used only to evaluate the attacks:
# neither attack below sees it.
from skmia import Records

records = Records(
    np.concatenate([split.target_in.X, split.target_out.X]),
    np.concatenate([split.target_in.y, split.target_out.y]),
)
membership = np.r_[np.ones(len(split.target_in)), np.zeros(len(split.target_out))]

# %%
# Shokri et al.'s attack
# ----------------------
#
# :class:`~skmia.attacks.ShadowModelAttack` turns every (shadow, pool record)
# pair into one training row: the features of the shadow's output on the
# record (by default its sorted probability vector) labelled IN or OUT. Here
# that is 16 x 200 = 3200 rows. An attack classifier (by default a scaled
# logistic regression; any scikit-learn classifier can be passed as
# ``attack_estimator``) learns membership from them, and is then applied to
# the target's outputs. With ``per_class=True`` one classifier is trained per
# class, as in the paper.
#
# Given a fitted ``shadow_models``, ``fit()`` needs no data: the attacks use
# the ensemble as it is and never refit it.
from skmia.attacks import ShadowModelAttack

shokri = ShadowModelAttack(target, shadow_models=shadows, random_state=0).fit()
shokri_per_class = ShadowModelAttack(
    target, shadow_models=shadows, per_class=True, random_state=0
).fit()
print("attack classifier trained on", shokri.n_training_rows_, "rows")
print("same ensemble:", shokri.shadow_models_ is shadows,
      shokri_per_class.shadow_models_ is shadows)

# %%
# A threshold calibrated on the shadows
# -------------------------------------
#
# A loss threshold needs no classifier, but it needs a value, and the best
# value depends on how well the target fits its data. With
# ``shadow_models=``, :class:`~skmia.attacks.ThresholdAttack` picks the
# threshold that best separates the shadows' IN losses from their OUT losses
# (maximising TPR - FPR over all shadows and pool records), the calibration
# of Song & Mittal (2021). The same 16 shadows serve this attack too.
#
# For comparison we also fit the threshold on the audited records
# themselves, with their membership labels: the threshold an insider who
# knows the training set would pick, which the attacker cannot.
from skmia.attacks import ThresholdAttack

calibrated = ThresholdAttack(target, signal="loss", shadow_models=shadows).fit()
calibrated_per_class = ThresholdAttack(
    target, signal="loss", per_class=True, shadow_models=shadows
).fit()
insider = ThresholdAttack(target, signal="loss").fit(records, membership)

for name, attack in [("shadows", calibrated), ("insider", insider)]:
    member = attack.predict(records)
    print(f"threshold from {name:>7}: loss < {attack.threshold_:.3f}  "
          f"TPR {member[membership == 1].mean():.2f}  "
          f"FPR {member[membership == 0].mean():.2f}")

# %%
# The shadows' threshold (a loss of 0.163) is about twice the insider's
# (0.088), so it calls more records members, with both a higher TPR and a
# higher FPR. Its TPR - FPR on the audited records, 0.27, is close to the
# insider's 0.32, the best any single threshold achieves here: the optimum is
# flat, and the shadows find a point near it without knowing a single member.
# Both thresholds flag most records as members because on this target the
# members' losses are smaller than the non-members' on average, but the two
# distributions overlap.
#
# Comparing the attacks
# ---------------------
#
# The ROC AUC summarises each attack; the TPR at a 1% false positive rate
# says whether it can single out members with confidence (with 600
# non-members, 1% FPR allows 6 false positives). Both loss thresholds below
# are the shadows'. The insider's is left out: with one global threshold,
# the ROC curve of the loss attack does not depend on the threshold's value,
# so it is the curve of the shadow-calibrated attack.
from skmia.metrics import roc_auc_ci, tpr_at_fpr

attacks = {
    "loss threshold": calibrated,
    "loss threshold, per class": calibrated_per_class,
    "Shokri et al.": shokri,
    "Shokri et al., per class": shokri_per_class,
}
print(f"{'attack':<26} {'AUC [95% CI]':>22} {'TPR@1%FPR':>10}")
for name, attack in attacks.items():
    scores = attack.decision_function(records)
    low, high = roc_auc_ci(membership, scores, random_state=0)
    tpr = tpr_at_fpr(membership, scores, fpr=0.01)
    print(f"{name:<26} {attack.score(records, membership):.3f} "
          f"[{low:.3f}, {high:.3f}] {tpr:>10.3f}")

# %%
# All four attacks find the target leaky (an AUC of 0.5 is a random guess),
# and none singles out members with confidence: at 1% FPR they find at most
# one of the 100 members. The per-class variants do better here: the digits
# differ in difficulty, and a loss that is small for a hard digit is
# stronger evidence of membership than the same loss for an easy one.
#
# On log-log axes (:class:`~skmia.plotting.MembershipRocDisplay`) the
# low-FPR region where an attack becomes a privacy threat is visible; the
# dashed diagonal is a random guess.
import matplotlib.pyplot as plt

from skmia.plotting import MembershipRocDisplay

fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for name, attack in attacks.items():
    MembershipRocDisplay.from_estimator(attack, records, membership, name=name, ax=ax)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
ax.set_title("Four attacks from one ensemble of 16 shadow models")
plt.show()

# %%
# Attacks share the ensemble, and so do their clones
# --------------------------------------------------
#
# Like the target, a fitted ``shadow_models`` is data to the attack, not a
# hyperparameter: :func:`~sklearn.base.clone` keeps the very same object.
# So cross-validation and grid searches over an attack's own
# hyperparameters never retrain a shadow. Here an auditor who knows the
# membership of the audited records compares signals and per-class
# thresholds by cross-validated AUC: every candidate takes its threshold(s)
# from the shadows (``fit`` ignores the records when ``shadow_models`` is
# given) and is scored on held-out folds of the audited records.
from sklearn.model_selection import GridSearchCV

print("clone keeps the ensemble:", clone(calibrated).shadow_models is shadows)

search = GridSearchCV(
    ThresholdAttack(target, shadow_models=shadows),
    {"signal": ["loss", "entropy", "modified_entropy"], "per_class": [False, True]},
    scoring="roc_auc",
    cv=3,
).fit(records, membership)
for params, auc in zip(search.cv_results_["params"],
                       search.cv_results_["mean_test_score"]):
    print(f"{params['signal']:<17} per_class={params['per_class']!s:<5} "
          f"mean AUC {auc:.3f}")

# %%
# Per-class thresholds win for every signal, as above. The modified entropy,
# which uses the label like the loss but also how the rest of the
# probability is spread, is the best of the per-class candidates here by a
# small margin. Every one of the 18 fits (6 candidates x 3 folds) reused the
# same 16 shadows.
