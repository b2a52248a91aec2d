"""Difficulty-calibrated loss attack of Watson et al. (2022)."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval

from ._docstring import _fill_doc
from ._shadow_base import _at_rows, _ReferenceAttack, _ShadowAttackMixin, shadow_signal

__all__ = ["CalibratedLossAttack"]


@_fill_doc
class CalibratedLossAttack(_ReferenceAttack):
    """The target's loss calibrated by each record's difficulty (Watson et al. 2022).

    A low loss is weak evidence of membership when the record is easy: any
    model trained on the distribution gets it right. Watson et al. calibrate
    the loss by the record's difficulty, the loss that reference models
    trained *without* it reach on it. The score of record ``x`` is

    ``mean over OUT shadows of loss(x) - loss of the target on x``

    (in nats, averaged over augmentation queries if the shadows have any):
    positive when the target fits ``x`` better than models that never saw
    it, i.e. higher means more likely a member, and 0 is the boundary. It
    is a log-likelihood ratio of the true label between the target and an
    average OUT model, so :meth:`predict_proba` returns ``expit(score)``.

    Parameters
    ----------
    {target}
    n_shadow_models : int, default=16
        Number of shadow models to train (at least 2); each pool record is
        OUT for ``n_shadow_models - n_shadow_models // 2`` of them. Ignored
        with ``shadow_models``.
    {shadow_models}
    {n_jobs}
    {random_state}
    {memory}
    {verbose}

    Attributes
    ----------
    {shadow_attributes}
    reference_loss_ : ndarray of shape (n_pool,)
        Mean loss of each pool record's OUT shadows: its difficulty.

    See Also
    --------
    ThresholdAttack : The uncalibrated loss attack (Yeom et al.).
    LiRA : Calibrates with a Gaussian per record instead of a mean.
    skmia.signals.loss : The signal.

    Notes
    -----
    Watson et al. calibrate with a threshold chosen on reference models;
    here the threshold is 0 (the target fits the record exactly as well as
    an average OUT model), and a threshold of your own can be read off the
    ROC curve of :meth:`decision_function`. The loss is
    :func:`~skmia.signals.loss`, from logits where the model exposes them.

    References
    ----------
    .. [1] L. Watson, C. Guo, G. Cormode and A. Sablayrolles, "On the
       Importance of Difficulty Calibration in Membership Inference
       Attacks", ICLR 2022.

    Examples
    --------
    {pool_example}
    >>> from skmia.attacks import CalibratedLossAttack
    >>> attack = CalibratedLossAttack(target, n_shadow_models=4, random_state=0)
    >>> attack.fit(pool).score(pool, membership) > 0.7
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "n_shadow_models": [Interval(Integral, 2, None, closed="left")],
        **_ShadowAttackMixin._parameter_constraints,
    }

    def __init__(self, target=None, n_shadow_models=16, *, shadow_models=None,
                 n_jobs=None, random_state=None, memory=None, verbose=0):
        self.target = target
        self.n_shadow_models = n_shadow_models
        self.shadow_models = shadow_models
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.memory = memory
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records=None, y=None):
        """Train (or take) the shadows and each pool record's OUT loss.

        Parameters
        ----------
        {fit_records}

        Returns
        -------
        self : CalibratedLossAttack
            The fitted attack.
        """
        shadows, _ = self._fit_shadow_models(records, n_models=self.n_shadow_models)
        self._pool_rows(records)  # the records must be in the shadows' pool
        out = ~shadows.keep_
        losses = shadow_signal(shadows, "loss")  # (n_models, n_pool)
        self.reference_loss_ = np.where(out, losses, 0.0).sum(axis=0) / out.sum(axis=0)
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, records):
        """Calibrated loss of each record; higher means more likely a member.

        The mean OUT-shadow loss of the record minus the target's loss on it
        (nats); 0 is the decision boundary.

        {unseen}

        {score_parameters}

        {decision_returns}
        """
        records, rows = self._locate(records)
        reference = _at_rows(self.reference_loss_, rows)
        if np.any(rows < 0):
            values = self._unseen_values(records, "loss", rows=rows)
            reference[rows < 0] = values.mean(axis=2).mean(axis=0)
        target_loss = self._target_signal(records, "loss").mean(axis=1)
        return reference - target_loss
