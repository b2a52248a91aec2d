"""Threshold attacks on a single signal (loss, confidence, entropy...)."""

from numbers import Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import roc_curve
from sklearn.utils._param_validation import StrOptions

from ..signals import SIGNALS, compute_signal
from ..utils import check_records, check_target, query_target
from ._base import BaseAttack, check_membership
from ._docstring import _fill_doc
from ._shadow_base import check_shadow_models, shadow_signal

__all__ = ["ThresholdAttack"]


def _spread(values):
    """Standard deviation of the signal (1 where it is constant)."""
    scale = float(np.std(values))
    return scale if scale > 0 else 1.0


def _best_threshold(membership, scores):
    """Threshold on ``scores`` maximising TPR - FPR (ties: the highest)."""
    fpr, tpr, thresholds = roc_curve(membership, scores)
    best = np.argmax(tpr - fpr)
    threshold = thresholds[best]
    if not np.isfinite(threshold):  # roc_curve's leading +inf: predict nobody
        threshold = np.nextafter(scores.max(), np.inf)
    return threshold


@_fill_doc
class ThresholdAttack(BaseAttack):
    """Membership inference by thresholding one per-record signal.

    A record is called a member when its signal is on the member side of a
    threshold: loss below it (Yeom et al. 2018), confidence or logit-scaled
    confidence above it, entropy or modified entropy below it (Song & Mittal
    2021). The threshold is global or one per class, and is either chosen
    from records whose membership is known (``fit(records, membership)``,
    maximising TPR - FPR), from shadow models whose membership is known by
    construction (``shadow_models=``, the calibration of Shokri et al. and
    Song & Mittal), or given by the user (``threshold=``).

    Parameters
    ----------
    {target}
    signal : {"loss", "confidence", "logit", "entropy", "modified_entropy"}, \
            default="loss"
        The per-record signal, see :mod:`skmia.signals`.
    per_class : bool, default=False
        Learn one threshold per class (classes without both members and
        non-members among the fitting records fall back to the global one).
    threshold : float or array-like of shape (n_classes,), default=None
        A threshold in the signal's own units (e.g. a loss value), global or
        one per class of the target. When given, ``fit`` needs no membership
        labels and ignores any that are passed.
    shadow_models : ShadowModels, default=None
        A fitted :class:`~skmia.shadow.ShadowModels` trained like the
        target: the threshold(s) are those that best separate each shadow's
        IN records from its OUT records (pooled over models; per class with
        ``per_class=True``). It is used as is, never refitted, and
        :func:`~sklearn.base.clone` keeps it. ``fit`` then needs no records
        or membership labels. Ignored when ``threshold`` is given.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    threshold_ : float
        The global threshold in signal units.
    class_thresholds_ : ndarray of shape (n_target_classes,)
        The threshold used for each of the target's classes (all equal to
        ``threshold_`` unless ``per_class=True`` or per-class thresholds were
        given).
    scale_ : float
        Spread (standard deviation) of the signal on the fitting records,
        used by :meth:`predict_proba`.

    See Also
    --------
    skmia.signals : The signals this attack thresholds.

    References
    ----------
    .. [1] S. Yeom, I. Giacomelli, M. Fredrikson and S. Jha, "Privacy Risk in
       Machine Learning: Analyzing the Connection to Overfitting", CSF 2018.
    .. [2] L. Song and P. Mittal, "Systematic Evaluation of Privacy Risks of
       Machine Learning Models", USENIX Security 2021.

    Examples
    --------
    {split_example}
    >>> from skmia.attacks import ThresholdAttack
    >>> attack = ThresholdAttack(target, signal="loss").fit(records, membership)
    >>> bool(attack.score(records, membership) > 0.8)
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "signal": [StrOptions(set(SIGNALS))],
        "per_class": ["boolean"],
        "threshold": [None, Real, "array-like"],
        "shadow_models": "no_validation",
    }
    _frozen_params = ("target", "shadow_models")

    def __init__(self, target=None, signal="loss", *, per_class=False, threshold=None,
                 shadow_models=None):
        self.target = target
        self.signal = signal
        self.per_class = per_class
        self.threshold = threshold
        self.shadow_models = shadow_models

    @property
    def fit_requires(self):
        """What ``fit`` needs: ``"membership"``, ``"nothing"`` with shadow models.

        See :class:`BaseAttack`. The IN and OUT records of the shadows
        calibrate the threshold, so :func:`fit_and_score` fits the attack
        without data.
        """
        return "membership" if self.shadow_models is None else "nothing"

    def _signal(self, records):
        """The signal, labels (as columns) and output columns: one query."""
        outputs = query_target(self.target, records)
        values = compute_signal(self.signal, outputs.labels, **outputs.kwargs)
        return values, outputs.labels, outputs.n_columns

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, records=None, membership=None):
        """Set the threshold(s).

        Parameters
        ----------
        records : Records, default=None
            Records to calibrate on, with ``membership``. Not needed when
            ``threshold`` or ``shadow_models`` is given.
        membership : array-like of shape (n_records,), default=None
            1 for records in the target's training set, 0 otherwise.
            Required unless ``threshold`` or ``shadow_models`` is given.

        Returns
        -------
        self : ThresholdAttack
        """
        check_target(self.target, who=type(self).__name__)
        if records is not None:
            records = check_records(records)
        if self.threshold is not None:
            fitted = self._given_thresholds(records)
        elif self.shadow_models is not None:
            fitted = self._shadow_thresholds()
        else:
            fitted = self._membership_thresholds(records, membership)
        self.threshold_, self.class_thresholds_, self.scale_ = fitted
        self.classes_ = np.array([0, 1])
        return self

    def _given_thresholds(self, records):
        """``threshold`` as a global and per-class threshold; the records' spread."""
        if records is not None:
            values, _, n_columns = self._signal(records)
            scale = _spread(values)
        else:
            n_columns, scale = self._n_target_classes(), 1.0
        threshold = np.asarray(self.threshold, dtype=np.float64)
        if threshold.ndim == 0:
            global_threshold = float(threshold)
            class_thresholds = np.full(n_columns, global_threshold)
        elif threshold.shape == (n_columns,):
            if not self.per_class:
                raise ValueError(
                    "threshold has one value per class; set per_class=True "
                    "to use class-dependent thresholds."
                )
            class_thresholds = threshold
            global_threshold = float(np.median(threshold))
        else:
            raise ValueError(
                f"threshold must be a number or hold one value per class "
                f"({n_columns}); got shape {threshold.shape}."
            )
        if not np.all(np.isfinite(class_thresholds)):
            raise ValueError("threshold must be finite.")
        return global_threshold, class_thresholds, scale

    def _shadow_thresholds(self):
        """Thresholds separating the shadows' IN records from their OUT ones."""
        shadows = check_shadow_models(
            self.shadow_models, self.target, who=type(self).__name__)
        values = shadow_signal(shadows, self.signal)
        labels = np.broadcast_to(shadows.labels_, values.shape).ravel()
        return self._best_thresholds(values.ravel(), labels, shadows.keep_.ravel(),
                                     n_columns=len(shadows.classes_))

    def _membership_thresholds(self, records, membership):
        """Thresholds separating the members among ``records`` from the others."""
        if records is None or membership is None:
            raise ValueError(
                "ThresholdAttack needs membership labels to choose its "
                "threshold: call fit(records, membership), or pass "
                "threshold= or shadow_models=."
            )
        membership = check_membership(membership, records)
        values, labels, n_columns = self._signal(records)
        return self._best_thresholds(values, labels, membership, n_columns=n_columns)

    def _n_target_classes(self):
        classes = getattr(self.target, "classes_", None)
        if classes is None:
            raise ValueError(
                "Pass records to fit: the target has no classes_ to tell how "
                "many classes it has."
            )
        return len(classes)

    def _best_thresholds(self, values, labels, membership, *, n_columns):
        """Global and per-class thresholds maximising TPR - FPR; the spread."""
        sign = SIGNALS[self.signal][1]
        oriented = sign * values
        global_threshold = float(sign * _best_threshold(membership, oriented))
        class_thresholds = np.full(n_columns, global_threshold)
        if self.per_class:
            for c in range(n_columns):
                in_class = labels == c
                if len(np.unique(membership[in_class])) == 2:
                    class_thresholds[c] = sign * _best_threshold(
                        membership[in_class], oriented[in_class]
                    )
        return global_threshold, class_thresholds, _spread(values)

    def decision_function(self, records):
        """Signed distance of each record's signal from its threshold.

        Positive means member. For a global threshold this is a shift of the
        oriented signal, so its ROC AUC is the signal's own.

        {score_parameters}

        {decision_returns}
        """
        records = self._check_fitted_and_records(records)
        values, labels, _ = self._signal(records)
        if labels.size and labels.max() >= len(self.class_thresholds_):
            raise ValueError(
                "These records have labels the attack was not fitted with."
            )
        sign = SIGNALS[self.signal][1]
        return sign * (values - self.class_thresholds_[labels])

    def _proba_scale(self):
        return self.scale_
