"""
=============================================
Auditing a model that only returns labels
=============================================

Many deployed models answer with a label and nothing else: a support vector
machine without ``probability=True``, a web service returning a class name.
The attacks built on losses or confidences cannot query them, yet such a
model still leaks. Its training records sit further from its decision
boundary than records it never saw, and
:class:`~skmia.attacks.LabelOnlyAttack` (Choquette-Choo et al. 2021)
measures that distance with nothing but ``predict``.

This example trains an :class:`~sklearn.svm.SVC` on 300 of scikit-learn's
digits and compares four label-only methods: the gap attack (a correctly
labelled record is called a member), correctness on shifted copies of the
image, robustness to Gaussian noise, and the distance to the decision
boundary found by a search along random directions.
"""

# %%
# A target that exposes only labels
# ---------------------------------
#
# 300 digits are the members, the other 1,497 the non-members. The SVC
# labels 96% of the non-members correctly, so being labelled correctly says
# little about membership.
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from skmia.datasets import load_digits_images

digits = load_digits_images()
membership = np.zeros(len(digits.target), dtype=np.int64)
membership[np.random.RandomState(0).permutation(len(membership))[:300]] = 1


def flatten(X):
    return X.reshape(len(X), -1)


target = make_pipeline(FunctionTransformer(flatten), SVC())
target.fit(digits.data[membership == 1], digits.target[membership == 1])
print("has predict_proba:", hasattr(target, "predict_proba"))
for value, name in ((1, "members"), (0, "non-members")):
    accuracy = target.score(digits.data[membership == value],
                            digits.target[membership == value])
    print(f"accuracy on {name}: {accuracy:.3f}")

# %%
# Attacks that need probabilities say so
# --------------------------------------
from skmia.attacks import ThresholdAttack

try:
    ThresholdAttack(target, signal="loss").fit(digits.records, membership)
except TypeError as exc:
    print(exc)

# %%
# Four label-only methods
# -----------------------
#
# :func:`~skmia.attacks.fit_and_score` fits each attack on one half of the
# records (the threshold on its features, from their membership) and scores
# the other half, and the other way round. ``"noise"`` and ``"boundary"``
# spend at most ``n_queries=100`` queries per record; their noise is drawn
# from ``random_state``, so a rerun gives the same scores.
from skmia.attacks import LabelOnlyAttack, fit_and_score
from skmia.metrics import leakage_summary
from skmia.signals import AugmentationQueries

shifts = AugmentationQueries(flip=False, shifts=1)  # digits are not mirrored
scores = {}
for method in ("gap", "augmentation", "noise", "boundary"):
    attack = LabelOnlyAttack(target, method=method, augmentations=shifts, random_state=0)
    scores[method] = fit_and_score(attack, digits.records, membership, random_state=0)
    summary = leakage_summary(membership, scores[method], fprs=(0.05,), random_state=0)
    print(f"{method:>12}: AUC {summary.auc:.3f} "
          f"[{summary.auc_ci[0]:.3f}, {summary.auc_ci[1]:.3f}], "
          f"TPR at 5% FPR {summary.tpr_at_fpr['0.05']['tpr']:.3f}")

# %%
# The SVC was not trained on shifted digits, so their correctness tells
# little more than the gap. The distance to the boundary ranks the correctly
# labelled records, members and non-members alike, by how firmly they are
# labelled, and that separates them: its interval lies above the gap
# attack's.
import matplotlib.pyplot as plt

from skmia.plotting import MembershipRocDisplay

fig, ax = plt.subplots(figsize=(5, 5))
for method, values in scores.items():
    MembershipRocDisplay.from_predictions(membership, values, name=method, ax=ax)
ax.set_title("Label-only attacks on an SVC (digits)")
plt.show()
