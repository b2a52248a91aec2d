"""A classifier that remembers its members, so grid searches can score leakage."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..records import Records

__all__ = ["AuditedClassifier"]


class AuditedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier and keep a sample of its members for a privacy audit.

    ``fit(X, y)`` fits a clone of ``estimator`` on ``(X, y)``, which are
    then its members, and keeps ``n_members`` of them. ``predict``,
    ``predict_proba`` and ``score`` delegate to the fitted estimator, so
    utility scorers such as ``"accuracy"`` work as usual, while
    :func:`skmia.metrics.make_privacy_scorer` attacks the fitted estimator
    with ``attack``, using the kept members and the rows it is scored on
    (held out, hence non-members). In :class:`~sklearn.model_selection.GridSearchCV`
    every candidate and fold is then scored for both utility and leakage.

    Parameters
    ----------
    estimator : classifier
        The classifier to train and audit (a skorch net from
        :func:`~skmia.targets.make_target`, a
        :class:`~skmia.defenses.DPNeuralNetClassifier`, any scikit-learn
        classifier). Its defense hyperparameters are searched as
        ``estimator__<param>``.
    attack : attack estimator, default=None
        An unfitted attack whose target is filled in by the scorer; ``None``
        means ``ThresholdAttack(None, signal="loss")``. Attacks fitted from
        membership labels are cross-fitted on the audit records (2 folds);
        shadow-model attacks train their shadows from a clone of the fitted
        estimator's configuration on the audit records.
    n_members : int, default=500
        How many training rows to keep for the audit (all if fewer).
    random_state : int, RandomState instance or None, default=None
        Draws the kept members and, in the scorer, the non-member sample
        and the cross-fitting folds.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    members_ : Records
        The kept sample of training rows.
    classes_ : ndarray
        The fitted estimator's classes (integers: the attack needs labels
        that index the target's outputs; encode string labels first).
    n_features_in_ : int
        Number of features (first axis after the samples) seen in ``fit``.

    See Also
    --------
    skmia.metrics.make_privacy_scorer : Score an audited classifier's leakage.
    leakage_bounded_refit : Pick the most accurate candidate under a leakage bound.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmia.metrics import make_privacy_scorer
    >>> from skmia.model_selection import AuditedClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> search = GridSearchCV(
    ...     AuditedClassifier(RandomForestClassifier(random_state=0), random_state=0),
    ...     {"estimator__min_samples_leaf": [1, 8]}, cv=2,
    ...     scoring={"accuracy": "accuracy", "mia_auc": make_privacy_scorer("auc")},
    ...     refit="accuracy",
    ... ).fit(X[:600], y[:600])
    >>> sorted(search.cv_results_)[:2]
    ['mean_fit_time', 'mean_score_time']
    >>> bool(search.cv_results_["mean_test_mia_auc"][0] > 0.5)
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "attack": [None, HasMethods(["fit", "decision_function"])],
        "n_members": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, attack=None, *, n_members=500, random_state=None):
        self.estimator = estimator
        self.attack = attack
        self.n_members = n_members
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the estimator on ``(X, y)`` and keep a sample of them.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training inputs (the members).
        y : array-like of shape (n_samples,)
            Integer class labels.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : AuditedClassifier
        """
        X, y = validate_data(self, X, y, allow_nd=True, dtype=None,
                             ensure_min_samples=2)
        check_classification_targets(y)
        members = Records(X, y)  # integer labels: the attack needs them
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        rng = check_random_state(self.random_state)
        n_keep = min(self.n_members, len(members))
        keep = np.sort(rng.choice(len(members), size=n_keep, replace=False))
        self.members_ = members[keep]
        self.classes_ = np.asarray(getattr(self.estimator_, "classes_", np.unique(y)))
        return self

    def predict(self, X):
        """Predict with the fitted estimator."""
        check_is_fitted(self)
        X = validate_data(self, X, allow_nd=True, dtype=None, reset=False)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities from the fitted estimator."""
        check_is_fitted(self)
        X = validate_data(self, X, allow_nd=True, dtype=None, reset=False)
        return self.estimator_.predict_proba(X)

    def audit_set(self, X, y):
        """Balanced audit records: kept members and held-out rows ``(X, y)``.

        Parameters
        ----------
        X, y : array-like
            Rows the estimator was not trained on (non-members).

        Returns
        -------
        records : Records
            ``n`` members followed by ``n`` non-members, with ``n`` the
            smaller of the two sample sizes.
        membership : ndarray of shape (2 * n,)
        """
        check_is_fitted(self)
        non_members = Records(X, y)
        n = min(len(self.members_), len(non_members))
        rng = check_random_state(self.random_state)
        members = self.members_[np.sort(rng.choice(len(self.members_), n, replace=False))]
        non_members = non_members[np.sort(rng.choice(len(non_members), n, replace=False))]
        records = _concatenate(members, non_members)
        membership = np.r_[np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)]
        return records, membership

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _concatenate(a, b):
    if hasattr(a.X, "detach"):
        import torch

        X = torch.cat([a.X, b.X])
    else:
        X = np.concatenate([np.asarray(a.X), np.asarray(b.X)])
    return Records(X, np.concatenate([a.y, b.y]))
