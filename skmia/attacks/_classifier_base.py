"""The base of the attacks whose score is a fitted classifier's P(member).

:class:`~skmia.attacks.MetaClassifierAttack` learns membership from records
of known membership, :class:`~skmia.attacks.ShadowModelAttack` from shadow
models; both score records with a scikit-learn classifier, seeded and
checked here.
"""

from abc import abstractmethod

import numpy as np
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..utils import MAX_INT
from ._base import BaseAttack
from ._docstring import _fill_doc

# P(member) is clipped to [eps, 1 - eps] before its logit, so decision
# scores are finite: |decision| <= logit(1 - 2**-53), about 36.7.
_P_CLIP = np.finfo(np.float64).epsneg


def _default_classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _seed_estimator(estimator, rng):
    """Set every unset ``random_state`` of ``estimator`` (nested too) from ``rng``.

    Keys are visited in sorted order so the same ``rng`` gives the same
    seeds. Like ``sklearn.ensemble._base._set_random_states`` but seeds that
    the user set explicitly are kept.
    """
    params = estimator.get_params(deep=True)
    seeds = {}
    for key in sorted(params):
        if key == "random_state" or key.endswith("__random_state"):
            seed = int(rng.randint(MAX_INT))
            if params[key] is None:
                seeds[key] = seed
    if seeds:
        estimator.set_params(**seeds)
    return estimator


def _member_column(estimator):
    classes = np.asarray(getattr(estimator, "classes_", [0, 1]))
    where = np.flatnonzero(classes == 1)
    if len(where) != 1:
        raise ValueError(
            f"The attack classifier {type(estimator).__name__} was fitted with "
            f"classes {classes.tolist()}, not [0, 1] (non-member, member)."
        )
    return where[0]


def _p_member(estimator, X):
    """The fitted classifier's probability that each row is a member."""
    return np.asarray(estimator.predict_proba(X), dtype=np.float64)[
        :, _member_column(estimator)]


def _decision_from_p(p_member):
    """``logit(p)`` with ``p`` clipped, exactly >= 0 where ``p >= 0.5``."""
    decision = logit(np.clip(p_member, _P_CLIP, 1.0 - _P_CLIP))
    below = np.nextafter(0.0, -1.0)
    return np.where(p_member >= 0.5, np.maximum(decision, 0.0),
                    np.minimum(decision, below))


@_fill_doc
class _ClassifierAttack(BaseAttack):
    """An attack whose score is a fitted classifier's probability of membership.

    Subclasses implement ``_p_member(records)``; this base turns it into
    ``decision_function`` (its clipped logit) and ``predict_proba``.
    """

    @abstractmethod
    def _p_member(self, records):
        """P(member) of each record according to the fitted attack classifier."""

    def decision_function(self, records):
        """Membership score of each record; higher means more likely a member.

        The attack classifier's probability of membership ``p``, as
        ``log(p / (1 - p))`` with ``p`` clipped to ``[2**-53, 1 - 2**-53]``
        (so ``|score| <= 36.7``): 0 is the decision boundary, and the
        scores rank records exactly like :meth:`predict_proba` (up to ties
        where ``p`` is within ``2**-53`` of 0 or 1).

        {score_parameters}

        {decision_returns}
        """
        return _decision_from_p(self._p_member(records))

    def predict_proba(self, records):
        """Probability of non-membership and membership of each record.

        Unlike ``BaseAttack.predict_proba``, these are the attack
        classifier's own probabilities, not a squashed score, so they are
        as calibrated as that classifier is. ``predict`` returns 1 exactly
        where column 1 is at least 0.5.

        {score_parameters}

        Returns
        -------
        proba : ndarray of shape (n_records, 2)
            Column 1 is P(member).
        """
        p_member = self._p_member(records)
        return np.column_stack([1.0 - p_member, p_member])

    def _seed(self, estimator, rng):
        return _seed_estimator(estimator, rng)
