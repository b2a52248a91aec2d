"""Scorers of leakage for grid searches over defenses."""

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from ._roc import membership_advantage, tpr_at_fpr

__all__ = ["make_privacy_scorer"]

_METRICS = ("auc", "tpr_at_fpr", "advantage")


class _PrivacyScorer:
    """Callable ``scorer(audited, X_test, y_test) -> leakage``."""

    def __init__(self, metric, fpr):
        self.metric = metric
        self.fpr = fpr

    def __repr__(self):
        extra = f", fpr={self.fpr}" if self.metric == "tpr_at_fpr" else ""
        return f"make_privacy_scorer({self.metric!r}{extra})"

    def _metric(self, membership, scores):
        if self.metric == "auc":
            return roc_auc_score(membership, scores)
        if self.metric == "tpr_at_fpr":
            return tpr_at_fpr(membership, scores, fpr=self.fpr)
        return membership_advantage(membership, scores)

    def __call__(self, estimator, X, y, sample_weight=None):
        if not callable(getattr(estimator, "audit_set", None)):
            raise TypeError(
                "make_privacy_scorer scores an skmia.model_selection.AuditedClassifier "
                f"(it needs the estimator's members); got {type(estimator).__name__}. "
                "Wrap the classifier: AuditedClassifier(estimator)."
            )
        if sample_weight is not None:
            raise ValueError("Privacy scorers do not support sample_weight.")
        records, membership = estimator.audit_set(X, y)
        scores = attack_scores(estimator, records, membership)
        return float(self._metric(membership, scores))


def attack_scores(audited, records, membership):
    """Scores of ``audited.attack`` against ``audited.estimator_`` on the audit set.

    See :func:`skmia.attacks.fit_and_score`: attacks fitted from membership
    labels are cross-fitted; shadow-model attacks train their shadows on
    the audit records (each record IN for half of them) from a clone of the
    fitted estimator's configuration.
    """
    from ..attacks import ThresholdAttack, fit_and_score

    attack = audited.attack
    attack = ThresholdAttack(signal="loss") if attack is None else clone(attack)
    attack.set_params(target=audited.estimator_)
    return fit_and_score(attack, records, membership,
                         random_state=_seed(audited.random_state))


def _seed(random_state):
    from sklearn.utils import check_random_state

    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    return check_random_state(random_state).randint(np.iinfo(np.int32).max)


def make_privacy_scorer(metric="auc", *, fpr=0.01):
    """Make a scorer of membership leakage for :class:`~sklearn.model_selection.GridSearchCV`.

    The scorer takes an :class:`~skmia.model_selection.AuditedClassifier`
    and held-out rows ``(X, y)`` — the rows a grid search scores on, which
    the candidate was not trained on — and attacks the fitted candidate
    with the audited classifier's ``attack``: its kept members against as
    many of the held-out rows. It returns the leakage, **higher meaning
    more leakage** (so it is not negated: in ``cv_results_`` the numbers
    are the plain AUC, TPR or advantage). Use it in a scoring dict together
    with a utility scorer and pick candidates with
    :class:`~skmia.model_selection.leakage_bounded_refit`.

    Parameters
    ----------
    metric : {"auc", "tpr_at_fpr", "advantage"}, default="auc"
        ROC AUC of the attack, its TPR at ``fpr``, or the membership
        advantage (max TPR - FPR).
    fpr : float, default=0.01
        The false positive rate for ``metric="tpr_at_fpr"``.

    Returns
    -------
    scorer : callable
        ``scorer(audited_classifier, X, y) -> float``.

    Examples
    --------
    >>> from skmia.metrics import make_privacy_scorer
    >>> make_privacy_scorer("tpr_at_fpr", fpr=0.05)
    make_privacy_scorer('tpr_at_fpr', fpr=0.05)
    """
    if metric not in _METRICS:
        raise ValueError(f"Unknown privacy metric {metric!r}; choose one of {_METRICS}.")
    if not 0 < fpr < 1:
        raise ValueError(f"fpr must be in (0, 1); got {fpr!r}.")
    return _PrivacyScorer(metric, fpr)
