"""Metrics of membership leakage.

Every metric takes ``membership`` (``1`` = member, ``0`` = non-member) and
continuous attack ``scores`` (higher = more likely a member), in the order of
:mod:`sklearn.metrics` (``y_true``, ``y_score``), and is built on
:func:`sklearn.metrics.roc_curve`. :func:`one_run_epsilon` instead takes the
counts of a one-run audit (correct guesses, guesses, canaries).
"""

from ._bootstrap import bootstrap_ci, roc_auc_ci, tpr_at_fpr_ci
from ._epsilon import empirical_epsilon
from ._gap import generalization_gap_vs_leakage
from ._one_run import one_run_epsilon
from ._roc import membership_advantage, tpr_at_fpr
from ._scorer import make_privacy_scorer
from ._summary import leakage_summary
from ._validation import check_membership_scores

__all__ = [
    "bootstrap_ci",
    "check_membership_scores",
    "empirical_epsilon",
    "generalization_gap_vs_leakage",
    "leakage_summary",
    "make_privacy_scorer",
    "membership_advantage",
    "one_run_epsilon",
    "roc_auc_ci",
    "tpr_at_fpr",
    "tpr_at_fpr_ci",
]
