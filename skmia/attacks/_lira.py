"""The likelihood ratio attack (LiRA) of Carlini et al. (2022)."""

from numbers import Integral

import numpy as np
from scipy.stats import norm
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval

from ._docstring import _fill_doc
from ._shadow_base import _at_rows, _ReferenceAttack, _ShadowAttackMixin, shadow_signal

__all__ = ["LiRA"]

_F32_EPS = float(np.finfo(np.float32).eps)


def _std_floor(mean):
    """Smallest standard deviation used: a few float32 ulps of the mean.

    Shadow outputs are float32, so shadows that agree to float32 precision
    (e.g. saturated probabilities) give a zero sample variance; flooring it
    keeps the Gaussian densities finite.
    """
    return 8 * _F32_EPS * np.maximum(1.0, np.abs(mean))


def _gaussian_fit(values, mask, *, fixed, side, who):
    """Per-record, per-query means and standard deviations of one side.

    ``values`` (n_models, n_records, n_queries), ``mask`` (n_models,
    n_records) selects the side's models of each record. Means are sample
    means. The variance is the unbiased (ddof=1) sample variance of each
    record, or with ``fixed`` the pooled within-record variance
    ``sum_i sum_m (phi - mean_i)**2 / sum_i (n_i - 1)`` over every record
    and query; where no record has 2 models of the side, that is undefined
    and ``fixed`` uses the spread of all the side's scores across records
    (:func:`_across_records_std`). A record without a model of the side
    gets a NaN mean, which :func:`_refuse_unknown` refuses to score.
    """
    count = mask.sum(axis=0)[:, None].astype(np.float64)  # (n_records, 1)
    # masked sums as products with 0/1 weights (ShadowModels.signal checks
    # that signals are finite, so 0 * value is 0): one pass
    # and no temporary each, about twice as fast as np.where
    weights = mask.astype(np.float64)
    with np.errstate(invalid="ignore"):  # no model of the side: NaN, refused
        mean = np.einsum("mnq,mn->nq", values, weights) / count  # when scored
    sq_dev = values - mean
    np.square(sq_dev, out=sq_dev)
    sq_dev = np.einsum("mnq,mn->nq", sq_dev, weights)
    if fixed:
        dof = float(np.sum(np.maximum(count - 1, 0)) * values.shape[2])
        pooled = (float(np.sqrt(np.nansum(sq_dev) / dof)) if dof > 0
                  else _across_records_std(values, mask))
        std = np.full_like(mean, pooled)
    else:
        if count.min() < 2:
            raise ValueError(
                f"{who}: a per-record {side} variance needs at least 2 {side} "
                f"shadow models for every record, but some records have "
                f"{int(count.min())}. Use fixed_variance=True (one variance "
                "estimated from all records) or more shadow models (at least 4, "
                "an even number)."
            )
        pooled = None
        std = np.sqrt(sq_dev / (count - 1))
    return mean, np.maximum(std, _std_floor(mean)), pooled


def _refuse_unknown(mean, side, who):
    """Refuse to score pool records that no shadow model saw on ``side``."""
    unknown = np.isnan(mean).any(axis=1)
    if np.any(unknown):
        raise ValueError(
            f"{who}: {int(unknown.sum())} of the {len(mean)} records scored have "
            f"no {side} shadow model, so their {side} distribution is unknown; use "
            "shadow models in complementary pairs (an even number), where every "
            "record is IN for one model of each pair and OUT for the other."
        )


def _across_records_std(values, mask):
    """Standard deviation of all of one side's scores, across records and queries.

    The fixed variance when every record has a single model of the side
    (e.g. one shadow model): a within-record variance cannot be estimated,
    and this spread, which includes the differences between the records'
    means, is the one Carlini et al.'s reference code uses.
    """
    if not np.any(mask):
        raise ValueError("LiRA: no shadow model on this side for any record; "
                         "fit the shadows on the records' pool.")
    return float(np.std(values[mask], dtype=np.float64))


@_fill_doc
class LiRA(_ReferenceAttack):
    """The likelihood ratio attack of Carlini et al. (2022), online and offline.

    A record's logit-scaled confidence ``phi = log p_y - log(1 - p_y)`` is
    close to Gaussian over models trained with it (IN) and over models
    trained without it (OUT). LiRA fits these Gaussians per record from
    shadow models trained like the target on random halves of a pool, then
    asks which one better explains the target's ``phi``:

    - **online** (``online=True``): the score is the log-likelihood ratio
      ``log N(phi; mu_in, sigma_in) - log N(phi; mu_out, sigma_out)``
      (Carlini et al., Eq. 3 and Algorithm 1);
    - **offline** (``online=False``): only OUT shadows are needed; the
      one-sided test of Eq. 4, ``Lambda = Pr[Z < phi]`` with
      ``Z ~ N(mu_out, sigma_out)``, i.e. the target is unusually confident on
      the record. The score is its log-odds ``log Lambda - log(1 - Lambda)``
      (``norm.logcdf(z) - norm.logsf(z)``, ``z = (phi - mu_out) / sigma_out``),
      which ranks records exactly like ``Lambda`` but does not saturate
      where ``Lambda`` rounds to 1.

    With augmentation queries, ``phi`` is computed on every query, each query
    gets its own Gaussians, and the score is the mean over queries of the
    per-query scores (the paper's independent-queries approximation, up to
    a factor ``1 / n_queries``). Higher means more likely a member; 0 is the
    decision boundary (equal likelihoods online; ``phi = mu_out`` offline).

    Parameters
    ----------
    {target}
    n_shadow_models : int, default=16
        Number of shadow models to train (at least 2). Per-record variances
        need at least 2 IN (online) and 2 OUT models for every record: 4 or
        more, an even number (with an even number every record is IN for
        exactly half of them). Ignored with ``shadow_models``.
    online : bool, default=True
        Use IN and OUT shadows (online) or OUT shadows only (offline).
    fixed_variance : bool, default=False
        Use one variance per side (IN, OUT) for every record and query, the
        pooled within-record variance of that side's own shadow ``phi``
        (recommended with few shadows, Carlini et al. Sec. VI-A), or, where
        no record has 2 models of the side (1 or 2 shadows), the spread of
        all the side's ``phi`` across records. ``False`` estimates each
        record's variance (ddof=1) from its own shadows.
    augmentations : callable, default=None
        Query copies of the inputs, e.g.
        :class:`~skmia.signals.AugmentationQueries`: the shadows and the
        target are queried on ``augmentations(X)``. With ``shadow_models``
        the shadows' own ``queries`` are used; ``augmentations``, if not
        ``None``, must equal them (an error otherwise).
    {shadow_models}
    {n_jobs}
    {random_state}
    {memory}
    {verbose}

    Attributes
    ----------
    {shadow_attributes}
    mean_in_, std_in_ : ndarray of shape (n_pool, n_queries) or None
        The IN Gaussian of each pool record and query (``None`` offline);
        NaN for a record no shadow trained on.
    mean_out_, std_out_ : ndarray of shape (n_pool, n_queries)
        The OUT Gaussian of each pool record and query; NaN for a record
        every shadow trained on.
    pooled_std_in_, pooled_std_out_ : float or None
        With ``fixed_variance=True``, the standard deviation used for every
        record on each side (``pooled_std_in_`` is ``None`` offline);
        ``None`` otherwise.

    See Also
    --------
    RMIA : Zarifzadeh et al.'s attack, strong with few reference models.
    CalibratedLossAttack : The target's loss calibrated by OUT shadows.
    skmia.shadow.ShadowModels : The shadow ensemble, to share between attacks.
    skmia.signals.logit_confidence : The signal ``phi``.
    skmia.signals.AugmentationQueries : Flip and shift queries.

    Notes
    -----
    **Means and variances.** Gaussian parameters are maximum-likelihood
    means and unbiased (ddof=1) variances. Carlini et al.'s reference code
    uses medians for the means, and with ``fixed_variance`` the standard
    deviation of *all* IN scores (across records, so it includes the
    spread of the means) for both sides; here each side's variance is
    estimated from that side's own scores, pooled within records. Where no
    record has two models of a side (one or two shadow models), a pooled
    within-record variance is undefined, and that side's standard deviation
    is the spread of all its scores across records, as in the reference
    code (which takes it from the IN scores online, from the OUT scores
    offline). Scoring a record needs at least one OUT model of it (and one
    IN model online): records without one are refused.
    Standard deviations are floored at ``8 * eps_float32 * max(1, |mean|)``
    so that identical shadow outputs give finite scores.

    **Signal.** ``phi`` is computed by
    :func:`~skmia.signals.logit_confidence`, from logits where the model
    exposes them (skorch classifiers trained with cross-entropy), so it
    stays finite where ``p_y`` rounds to 1. The target's outputs are kept
    in float64; the shadows' are the float32 stored by
    :class:`~skmia.shadow.ShadowModels`.

    **Probabilities.** :meth:`predict_proba` is ``expit(score)``: with a
    single query, online, the posterior probability of membership under
    the two Gaussians and equal priors; offline, ``Lambda`` itself.

    **The pool.** As in the paper, the records you score are part of the
    pool the shadows are trained on (pass the audit records, or a superset,
    to ``fit``), so that each has IN and OUT shadows. Each shadow trains on
    half of the pool: the pool should be about twice the size of the
    target's training set.

    References
    ----------
    .. [1] N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis and F. Tramer,
       "Membership Inference Attacks From First Principles", IEEE S&P 2022.

    Examples
    --------
    {pool_example}
    >>> from skmia.attacks import LiRA
    >>> lira = LiRA(target, n_shadow_models=8, random_state=0).fit(pool)
    >>> lira.score(pool, membership) > 0.7
    True

    The same shadows serve the offline attack, without retraining:

    >>> offline = LiRA(target, online=False, fixed_variance=True,
    ...                shadow_models=lira.shadow_models_).fit(pool)
    >>> offline.score(pool, membership) > 0.6
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "n_shadow_models": [Interval(Integral, 2, None, closed="left")],
        "online": ["boolean"],
        "fixed_variance": ["boolean"],
        "augmentations": [None, callable],
        **_ShadowAttackMixin._parameter_constraints,
    }

    def __init__(self, target=None, n_shadow_models=16, *, online=True,
                 fixed_variance=False, augmentations=None, shadow_models=None,
                 n_jobs=None, random_state=None, memory=None, verbose=0):
        self.target = target
        self.n_shadow_models = n_shadow_models
        self.online = online
        self.fixed_variance = fixed_variance
        self.augmentations = augmentations
        self.shadow_models = shadow_models
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.memory = memory
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records=None, y=None):
        """Train (or take) the shadows and fit each pool record's Gaussians.

        Parameters
        ----------
        {fit_records}

        Returns
        -------
        self : LiRA
            The fitted attack.
        """
        shadows, _ = self._fit_shadow_models(records, n_models=self.n_shadow_models,
                                             queries=self.augmentations)
        self._pool_rows(records)  # the records must be in the shadows' pool
        phi = shadow_signal(shadows, "logit", per_query=True)
        keep = shadows.keep_
        who = type(self).__name__
        self.mean_out_, self.std_out_, self.pooled_std_out_ = _gaussian_fit(
            phi, ~keep, fixed=self.fixed_variance, side="OUT", who=who)
        if self.online:
            self.mean_in_, self.std_in_, self.pooled_std_in_ = _gaussian_fit(
                phi, keep, fixed=self.fixed_variance, side="IN", who=who)
        else:
            self.mean_in_ = self.std_in_ = self.pooled_std_in_ = None
        self.classes_ = np.array([0, 1])
        return self

    def _out_gaussians_of_unseen(self, records, rows):
        """OUT Gaussians of records outside the pool, from the kept models."""
        values = self._unseen_values(records, "logit", rows=rows)
        all_out = np.ones(values.shape[:2], dtype=bool)
        if self.fixed_variance:
            mean = values.mean(axis=0)
            return mean, np.maximum(np.full_like(mean, self.pooled_std_out_),
                                    _std_floor(mean))
        mean, std, _ = _gaussian_fit(values, all_out, fixed=False, side="OUT",
                                     who=type(self).__name__)
        return mean, std

    def decision_function(self, records):
        """LiRA score of each record; higher means more likely a member.

        Online: the mean over queries of ``log N(phi; mu_in, sigma_in) -
        log N(phi; mu_out, sigma_out)``, a log-likelihood ratio (0: equally
        likely IN and OUT). Offline: the mean over queries of
        ``log Lambda - log(1 - Lambda)`` with ``Lambda = Phi((phi -
        mu_out) / sigma_out)`` (0: ``phi`` at the OUT mean).

        {unseen} Online LiRA needs IN shadows, so only pool records can be
        scored.

        {score_parameters}

        {decision_returns}
        """
        records, rows = self._locate(records)
        if self.online:
            self._refuse_outside_pool(rows, models="shadows")
        phi = self._target_signal(records, "logit")
        mean_out = _at_rows(self.mean_out_, rows)
        std_out = _at_rows(self.std_out_, rows)
        unseen = rows < 0
        if np.any(unseen):
            mean_out[unseen], std_out[unseen] = self._out_gaussians_of_unseen(
                records, rows)
        who = type(self).__name__
        _refuse_unknown(mean_out, "OUT", who)
        if self.online:
            mean_in, std_in = self.mean_in_[rows], self.std_in_[rows]
            _refuse_unknown(mean_in, "IN", who)
            per_query = (norm.logpdf(phi, mean_in, std_in)
                         - norm.logpdf(phi, mean_out, std_out))
        else:
            z = (phi - mean_out) / std_out
            per_query = norm.logcdf(z) - norm.logsf(z)
        return per_query.mean(axis=1)
