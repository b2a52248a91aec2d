"""Quantile-regression membership inference (Bertran et al. 2023): no shadows."""

import sys
import time
from numbers import Real

import numpy as np
from scipy.stats import norm
from sklearn.base import _fit_context, clone, is_regressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..signals import hinge, logit_confidence
from ..utils import MAX_INT, query_target, to_numpy
from ._base import BaseAttack, check_membership
from ._classifier_base import _seed_estimator
from ._docstring import _fill_doc

__all__ = ["QuantileRegressionAttack"]

_SCORES = {"hinge": hinge, "logit": logit_confidence}
#: Smallest predicted scale, as a share of the fitting scores' spread: keeps
#: standardised scores finite where a regressor predicts no spread at all.
_SCALE_FLOOR = 1e-3
#: Largest score magnitude measurable from float64 probabilities: a margin
#: ``log(p / q)`` beyond ``log(1 / eps)`` needs a probability below ``eps``
#: beside one that rounds to 1. Scores from ``predict_proba`` are clipped to
#: it, so a probability of exactly 0 or 1 (trees) does not give a 700-unit
#: outlier that would dominate the regression.
_PROBA_SCORE_BOUND = float(-np.log(np.finfo(np.float64).eps))
#: Mean absolute deviation of a Gaussian over its standard deviation.
_ABS_DEV_PER_STD = np.sqrt(2 / np.pi)


def _is_torch_target(target):
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(target, skorch.NeuralNet)


def _features(X, labels, n_classes):
    """Rows of a scikit-learn regressor: the flattened input, then the one-hot label."""
    X = to_numpy(X)
    one_hot = np.eye(n_classes, dtype=np.float64)[labels]
    return np.hstack([X.reshape(len(X), -1).astype(np.float64), one_hot])


@_fill_doc
class QuantileRegressionAttack(BaseAttack):
    """Membership inference by quantile regression, without shadow models.

    Bertran et al. (2023): the attacker fits **one** regression model on
    public records that are *not* members of the target, to predict, for any
    record ``(x, y)``, the distribution of the target's score on such a
    record: the hinge score ``z_y - max_{y' != y} z_{y'}``
    (:func:`~skmia.signals.hinge`) or the logit-scaled confidence
    (:func:`~skmia.signals.logit_confidence`). A record whose score is
    unusually high *for that record* is called a member:

    - ``loss="gaussian"`` (the paper's choice): the regressor predicts a
      mean ``mu`` and a scale ``sigma`` per record, trained with the
      Gaussian likelihood; the decision is ``(score - mu) / sigma - z``
      with ``z`` the standard normal's ``1 - alpha`` quantile, i.e. the
      score's standardised distance above its predicted ``1 - alpha``
      quantile. Records are ranked by ``(score - mu) / sigma``, so one fit
      serves every false-positive rate; ``alpha`` only places ``predict``'s
      boundary. With ``fixed_variance=True``, ``sigma`` is one scale for
      every record (see the parameter).
    - ``loss="pinball"``: the regressor predicts the ``1 - alpha`` quantile
      ``q`` directly (pinball loss); the decision is ``(score - q) / s``
      with ``s`` the spread of ``score - q`` on the fitting records.

    On non-members like the fitting records, about a fraction ``alpha`` is
    predicted to be members. Exactly one model is trained; the target is
    only queried.

    The default regressor: for a skorch target, a skorch
    :class:`~skorch.NeuralNetRegressor` of the target's own module class
    with ``n_outputs`` outputs per class (2 for the Gaussian head, mean and
    log-scale; 1 for the pinball head), the record's label selecting its
    class's outputs, trained with the target's optimizer, learning rate,
    batch size, device and at most its ``max_epochs`` on in-memory tensors,
    stopping early on a seeded 10% of the fitting records (best weights
    kept). For any other target, a
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.

    Parameters
    ----------
    {target}
    estimator : regressor, default=None
        A scikit-learn regressor to use instead of the default. It is fitted
        on the flattened inputs followed by a one-hot encoding of the label.
        With ``loss="gaussian"`` a clone predicts the score (its own loss,
        e.g. squared error) and a second clone the absolute deviation from
        that prediction (``sigma = mean absolute deviation * sqrt(pi / 2)``,
        exact for a Gaussian); with ``loss="pinball"`` it must have a
        ``quantile`` parameter (and ``loss="quantile"`` where it has a
        ``loss``), which is set to ``1 - alpha``.
    loss : {"gaussian", "pinball"}, default="gaussian"
        What the regressor predicts: a Gaussian (mean, scale) of the score,
        or its ``1 - alpha`` quantile.
    alpha : float in (0, 1), default=0.01
        The false-positive rate aimed at: the predicted ``1 - alpha``
        quantile is the decision boundary.
    fixed_variance : bool, default=False
        With ``loss="gaussian"``: standardise every record's score by one
        scale, the root-mean-square residual ``score - mu`` of the fitting
        records (``residual_scale_``), instead of the record's predicted
        ``sigma``; records are then ranked by ``score - mu``. LiRA's
        ``fixed_variance`` for the same reason: a per-record scale learnt
        from few non-members is noisy, and the noise costs most at low
        false-positive rates (``benchmarks/bench_no_shadows.py`` measures
        both). The fitted model is the same either way, so the parameter
        can be changed after ``fit``. Ignored with ``loss="pinball"``, whose
        decision always uses one spread.
    signal : {"hinge", "logit"}, default="hinge"
        The target's per-record score whose distribution is learned.
    random_state : int, RandomState instance or None, default=None
        Seeds the regressor: torch's initialisation, batch order and
        held-out split for the default network; every unset
        ``random_state`` of a scikit-learn regressor (nested ones too).
        See :term:`Glossary <random_state>`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    estimator_ : regressor
        The fitted regressor (for a scikit-learn regressor with the Gaussian
        head, the one predicting the mean).
    scale_estimator_ : regressor or None
        The fitted regressor of the absolute deviation (a scikit-learn
        regressor with the Gaussian head), else ``None``.
    n_classes_ : int
        Output columns of the target.
    n_models_trained_ : int
        1: the attack trains one model (for a scikit-learn regressor with
        the Gaussian head, in two passes: mean, then deviation).
    fit_time_ : float
        Seconds spent training the regressor.
    n_fit_records_ : int
        Non-member records it was fitted on.
    score_center_ : float or None
        Mean of the fitting scores, which the default network learns
        centred and scaled by ``score_spread_``; ``None`` for a
        scikit-learn regressor, which learns the scores as they are.
    score_spread_ : float
        Standard deviation of the fitting scores (predicted scales are
        floored at ``1e-3`` times it).
    pinball_spread_ : float or None
        With ``loss="pinball"``, the standard deviation of ``score - q`` on
        the fitting records, the unit of the decision; else ``None``.
    residual_scale_ : float or None
        With ``loss="gaussian"``, the root-mean-square of ``score - mu`` on
        the fitting records (floored like the predicted scales), the scale
        used with ``fixed_variance=True``; else ``None``.

    See Also
    --------
    LiRA : The shadow-model attack it is compared with.
    skmia.signals.hinge : The default score.

    References
    ----------
    .. [1] M. Bertran, S. Tang, A. Roth, M. Kearns, J. Morgenstern and
       Z. S. Wu, "Scalable Membership Inference Attacks via Quantile
       Regression", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skmia import Records
    >>> from skmia.attacks import QuantileRegressionAttack
    >>> from skmia.datasets import load_digits_images, make_membership_split
    >>> digits = load_digits_images()
    >>> X = digits.data.reshape(len(digits.data), -1)
    >>> split = make_membership_split(X, digits.target, n_target=400, random_state=0)
    >>> target = RandomForestClassifier(random_state=0).fit(
    ...     split.target_in.X, split.target_in.y)
    >>> attack = QuantileRegressionAttack(target, random_state=0).fit(split.pool)
    >>> records = Records(np.concatenate([split.target_in.X, split.target_out.X]),
    ...                   np.concatenate([split.target_in.y, split.target_out.y]))
    >>> membership = np.r_[np.ones(400), np.zeros(400)]
    >>> bool(attack.score(records, membership) > 0.7), attack.n_models_trained_
    (True, 1)
    """

    _parameter_constraints = {
        "target": "no_validation",
        "estimator": [None, HasMethods(["fit", "predict"])],
        "loss": [StrOptions({"gaussian", "pinball"})],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "fixed_variance": ["boolean"],
        "signal": [StrOptions(set(_SCORES))],
        "random_state": ["random_state"],
    }
    #: ``fit(population)``: records known to be non-members of the target
    #: (see :func:`~skmia.attacks.fit_and_score`).
    fit_requires = "population"

    def __init__(self, target=None, *, estimator=None, loss="gaussian", alpha=0.01,
                 fixed_variance=False, signal="hinge", random_state=None):
        self.target = target
        self.estimator = estimator
        self.loss = loss
        self.alpha = alpha
        self.fixed_variance = fixed_variance
        self.signal = signal
        self.random_state = random_state

    def _scores(self, records, *, who):
        """The target's score of each record, its labels as columns, n columns."""
        try:
            outputs = query_target(self.target, records)
        except ValueError as exc:
            raise ValueError(f"QuantileRegressionAttack: {who}: {exc}") from exc
        values = _SCORES[self.signal](outputs.labels, **outputs.kwargs)
        if outputs.kind == "proba":
            values = np.clip(values, -_PROBA_SCORE_BOUND, _PROBA_SCORE_BOUND)
        return values, outputs.labels, outputs.n_columns

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records, y=None):
        """Fit the regressor on records that are not members of the target.

        Parameters
        ----------
        records : Records
            Public records from the target's distribution that were not in
            its training set (the paper's public non-member data).
        y : array-like of shape (n_records,), default=None
            Membership labels (1 member, 0 non-member), if known: only the
            non-members are used. ``None`` means all records are
            non-members. Accepting labels lets
            :func:`~sklearn.model_selection.cross_val_score` and
            :class:`~sklearn.model_selection.GridSearchCV` run on records
            of known membership: each training fold's non-members fit the
            regressor, and the test fold is scored.

        Returns
        -------
        self : QuantileRegressionAttack
        """
        records = self._check_target_and_records(records)
        if y is not None:
            membership = check_membership(y, records, require_both=False)
            if not np.any(membership == 0):
                raise ValueError(
                    "QuantileRegressionAttack is fitted on non-members, but "
                    "every record passed to fit is labelled a member (y == 1)."
                )
            records = records[np.flatnonzero(membership == 0)]
        scores, labels, self.n_classes_ = self._scores(
            records, who="the records passed to fit")
        if self.estimator is not None and not is_regressor(self.estimator):
            raise TypeError(
                "QuantileRegressionAttack: estimator must be a scikit-learn "
                f"regressor; got {type(self.estimator).__name__}, which is not "
                "(sklearn.base.is_regressor is False)."
            )
        seed = int(check_random_state(self.random_state).randint(MAX_INT))
        start = time.perf_counter()
        if self.estimator is None and _is_torch_target(self.target):
            self._fit_net(records.X, labels, scores, seed)
        else:
            self._fit_sklearn(records.X, labels, scores, seed)
        self.fit_time_ = time.perf_counter() - start
        self.n_models_trained_ = 1
        self.n_fit_records_ = len(records)
        self.classes_ = np.array([0, 1])
        return self

    def _fit_net(self, X, labels, scores, seed):
        from ._quantile_net import build_label_head_net, fit_label_head_net

        # the network learns the standardised score: same optimum, better steps
        self.score_center_ = float(np.mean(scores))
        self.score_spread_ = float(np.std(scores)) or 1.0
        net = build_label_head_net(self.target, n_classes=self.n_classes_,
                                   loss=self.loss, quantile=1 - self.alpha, seed=seed)
        standardised = (scores - self.score_center_) / self.score_spread_
        self.estimator_ = fit_label_head_net(net, X, labels, standardised, seed=seed)
        self.scale_estimator_ = None
        self._set_residual_scales(X, labels, scores)

    def _fit_sklearn(self, X, labels, scores, seed):
        rng = np.random.RandomState(seed)
        features = _features(X, labels, self.n_classes_)
        self.score_center_ = None  # scores are regressed as they are
        self.score_spread_ = float(np.std(scores)) or 1.0
        estimator = self._sklearn_estimator()
        self.estimator_ = _seed_estimator(clone(estimator), rng).fit(features, scores)
        self.scale_estimator_ = None
        if self.loss == "gaussian":
            deviation = np.abs(scores - self.estimator_.predict(features))
            self.scale_estimator_ = _seed_estimator(clone(estimator), rng).fit(
                features, deviation)
        self._set_residual_scales(X, labels, scores)

    def _sklearn_estimator(self):
        if self.estimator is None:
            estimator = HistGradientBoostingRegressor()
        else:
            estimator = self.estimator
        if self.loss == "gaussian":
            return estimator
        params = estimator.get_params(deep=False)
        if "quantile" not in params:
            raise ValueError(
                "QuantileRegressionAttack: loss='pinball' needs a regressor with "
                "a quantile loss (a `quantile` parameter, e.g. "
                "HistGradientBoostingRegressor or QuantileRegressor); estimator "
                f"{type(estimator).__name__} has none. Use loss='gaussian'."
            )
        quantile = {"quantile": 1 - self.alpha}
        if "loss" in params:
            quantile["loss"] = "quantile"
        return clone(estimator).set_params(**quantile)

    def _set_residual_scales(self, X, labels, scores):
        """One scale of the residuals on the fitting records, per head.

        ``pinball_spread_``: the standard deviation of ``score - q``;
        ``residual_scale_``: the root-mean-square of ``score - mu``.
        """
        residual = scores - self._predict(X, labels)[0]
        self.pinball_spread_ = self.residual_scale_ = None
        if self.loss == "pinball":
            self.pinball_spread_ = float(np.std(residual)) or 1.0
        else:
            self.residual_scale_ = max(float(np.sqrt(np.mean(residual ** 2))),
                                       _SCALE_FLOOR * self.score_spread_)

    def _predict(self, X, labels):
        """Predicted ``(mu, sigma)`` (Gaussian) or ``(quantile, None)`` (pinball)."""
        floor = _SCALE_FLOOR * self.score_spread_
        if self.score_center_ is None:  # a scikit-learn regressor
            features = _features(X, labels, self.n_classes_)
            center = np.asarray(self.estimator_.predict(features), dtype=np.float64)
            if self.scale_estimator_ is None:
                return center, None
            deviation = np.asarray(self.scale_estimator_.predict(features),
                                   dtype=np.float64)
            return center, np.maximum(deviation / _ABS_DEV_PER_STD, floor)
        from ._quantile_net import label_head_outputs

        n_outputs = 2 if self.loss == "gaussian" else 1
        outputs = label_head_outputs(self.estimator_, X, labels, n_outputs)
        center = self.score_center_ + self.score_spread_ * outputs[:, 0]
        if n_outputs == 1:
            return center, None
        return center, np.maximum(self.score_spread_ * np.exp(outputs[:, 1]), floor)

    def decision_function(self, records):
        """Standardised distance of each record's score above its predicted quantile.

        ``(score - mu) / sigma - z`` with the Gaussian head (``z`` the
        standard normal's ``1 - alpha`` quantile), ``(score - q) / s`` with
        the pinball head (see the class description); with
        ``fixed_variance=True`` the Gaussian head's ``sigma`` is
        ``residual_scale_`` for every record. Positive means member.

        Parameters
        ----------
        records : Records

        Returns
        -------
        ndarray of shape (n_records,)
        """
        records = self._check_fitted_and_records(records)
        scores, labels, n_columns = self._scores(records, who="the records scored")
        if n_columns != self.n_classes_:
            raise ValueError(
                f"The target now returns {n_columns} output columns; the attack "
                f"was fitted with {self.n_classes_}."
            )
        center, scale = self._predict(records.X, labels)
        if scale is None:
            return (scores - center) / self.pinball_spread_
        if self.fixed_variance:
            scale = self.residual_scale_
        return (scores - center) / scale - norm.ppf(1 - self.alpha)
