"""The contract every attack follows (BaseAttack), and fitting any attack by it."""

from abc import abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ..utils import check_records, check_target

__all__ = ["BaseAttack", "fit_and_score"]

#: The values of ``BaseAttack.fit_requires``: what ``fit`` needs.
FIT_REQUIREMENTS = ("pool", "membership", "nothing", "population")


def check_membership(membership, records, *, require_both=True):
    """Validate 0/1 membership labels for ``records``."""
    membership = column_or_1d(membership, warn=True)
    check_consistent_length(records, membership)
    if membership.dtype == bool:
        membership = membership.astype(np.int64)
    values = np.unique(membership)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            "membership must hold 0 (non-member) and 1 (member); got values "
            f"{values[:10].tolist()}."
        )
    if require_both and len(values) < 2:
        raise ValueError(
            "membership must contain both members (1) and non-members (0) to fit "
            f"an attack; got only {values.tolist()}."
        )
    return membership.astype(np.int64)


class _FrozenParamsMixin:
    """Clone keeps the fitted objects of ``_frozen_params``, copies the rest.

    :func:`sklearn.base.clone` returns an unfitted estimator holding the
    *same* fitted target, as :class:`sklearn.frozen.FrozenEstimator` would, and
    ``get_params(deep=True)`` does not expose the frozen objects' parameters.
    """

    #: Parameters holding fitted objects that clone keeps rather than copies.
    _frozen_params = ("target",)

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        for name, value in params.items():
            if name not in self._frozen_params:
                params[name] = clone(value, safe=False)
        return type(self)(**params)

    def get_params(self, deep=True):
        """Get parameters; a fitted target's own parameters are not exposed.

        The target is audited as it is, so its parameters are not
        hyperparameters of the attack; the other nested estimators' are.
        """
        params = super().get_params(deep=False)
        if deep:
            for key, value in list(params.items()):
                if key in self._frozen_params:
                    continue
                if hasattr(value, "get_params") and not isinstance(value, type):
                    for sub_key, sub_value in value.get_params(deep=True).items():
                        params[f"{key}__{sub_key}"] = sub_value
        return params


class BaseAttack(_FrozenParamsMixin, ClassifierMixin, BaseEstimator):
    """Base class for attacks: an estimator whose positive class is "member".

    Subclasses take the fitted ``target`` as their first parameter and
    implement ``fit`` and ``decision_function`` (higher means more likely a
    member, 0 is the decision boundary). This class provides ``predict``,
    ``predict_proba``, ``score`` and the cloning rule: :func:`sklearn.base.clone`
    returns an unfitted attack that holds the *same* fitted target, as
    :class:`sklearn.frozen.FrozenEstimator` would, so grid searches and
    cross-validation never refit the model under audit.

    Subclasses also declare what their ``fit`` needs in ``fit_requires``,
    which :func:`fit_and_score` reads to fit any attack the right way:

    - ``"pool"``: ``fit(pool)``, records from the target's distribution
      that shadow models train on (their membership is not needed);
    - ``"membership"`` (the default): ``fit(records, membership)``, records
      of known membership;
    - ``"nothing"``: ``fit()``, for an attack whose parameters already
      hold all it learns from (a :class:`ThresholdAttack` given fitted
      ``shadow_models``).
    - ``"population"``: ``fit(population)``, records known *not* to be in
      the target's training set (:class:`QuantileRegressionAttack`); it
      also accepts ``fit(records, membership)`` and learns from the
      non-members there.

    It is a class attribute, or a property where it depends on the
    parameters.
    """

    #: What ``fit`` needs: ``"pool"``, ``"membership"`` or ``"nothing"``.
    fit_requires = "membership"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags

    def _check_target_and_records(self, records):
        check_target(self.target, who=type(self).__name__)
        return check_records(records)

    def _check_fitted_and_records(self, records):
        check_is_fitted(self)
        return self._check_target_and_records(records)

    @abstractmethod
    def decision_function(self, records):
        """Membership score of each record; higher means more likely a member."""

    def _proba_scale(self):
        return 1.0

    def predict_proba(self, records):
        """Probability of non-membership and membership of each record.

        It is a monotone squashing of :meth:`decision_function`
        (``expit(decision / scale)``, with ``scale`` the spread of the scores
        seen in ``fit``), so it ranks records exactly like the decision
        function and crosses 0.5 at the decision boundary. It is not a
        calibrated posterior.

        Returns
        -------
        ndarray of shape (n_records, 2)
            Column 1 is P(member).
        """
        from scipy.special import expit

        decision = self.decision_function(records)
        p_member = expit(decision / self._proba_scale())
        # keep predict() == (P(member) >= 0.5) exact where expit rounds to 0.5
        below = np.nextafter(0.5, 0.0)
        p_member = np.where(decision >= 0, np.maximum(p_member, 0.5),
                            np.minimum(p_member, below))
        return np.column_stack([1.0 - p_member, p_member])

    def predict(self, records):
        """1 for records predicted to be members, 0 otherwise."""
        return (self.decision_function(records) >= 0).astype(np.int64)

    def score(self, records, membership, sample_weight=None):
        """ROC AUC of :meth:`decision_function` against ``membership``.

        Membership inference is judged by how well scores rank members above
        non-members, so ``score`` is the area under the ROC curve, not the
        accuracy that :class:`~sklearn.base.ClassifierMixin` would return.
        """
        membership = check_membership(membership, records)
        return roc_auc_score(
            membership, self.decision_function(records), sample_weight=sample_weight
        )


def fit_and_score(attack, records, membership=None, *, pool=None, population=None,
                  random_state=None):
    """Fit ``attack`` the way its kind requires and score ``records``.

    How is declared by the attack's ``fit_requires`` (see
    :class:`BaseAttack`; an estimator without it counts as
    ``"membership"``):

    - ``"pool"`` (shadow-model attacks, LiRA, RMIA...): fitted on ``pool``
      (default: ``records``);
    - ``"nothing"`` (a threshold given fitted ``shadow_models``): fitted
      without data;
    - ``"population"`` (:class:`QuantileRegressionAttack`): fitted on
      ``population``, records known to be non-members of the target (never
      the shadows' pool, which holds the audited records); without it,
      cross-fitted on ``records`` like ``"membership"`` (each half's
      non-members fit the attack that scores the other half);
    - ``"membership"``: cross-fitted on ``records`` (2 stratified folds:
      each half is scored by an attack fitted on the other half), so no
      record is scored by an attack that saw its label.

    Returns
    -------
    ndarray of shape (n_records,)
        The attack's decision scores.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    requires = getattr(attack, "fit_requires", "membership")
    if requires not in FIT_REQUIREMENTS:
        raise ValueError(
            f"{type(attack).__name__}.fit_requires must be one of "
            f"{list(FIT_REQUIREMENTS)}; got {requires!r}."
        )
    if requires == "pool":
        return attack.fit(records if pool is None else pool).decision_function(records)
    if requires == "nothing":
        return attack.fit().decision_function(records)
    if requires == "population" and population is not None:
        return attack.fit(population).decision_function(records)
    if membership is None:
        raise ValueError(
            f"{type(attack).__name__} learns from records of known membership; "
            "pass membership labels"
            + (" (or population=, records known not to be members)."
               if requires == "population" else ".")
        )
    cv = StratifiedKFold(2, shuffle=True, random_state=random_state)
    return cross_val_predict(attack, records, membership, cv=cv,
                             method="decision_function")
