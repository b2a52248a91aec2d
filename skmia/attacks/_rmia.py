"""The robust membership inference attack (RMIA) of Zarifzadeh et al. (2024)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._docstring import _fill_doc
from ._rmia_scores import _TINY, _n_dominated, _offline_proba, _tune_offline_a
from ._shadow_base import _at_rows, _ReferenceAttack, _ShadowAttackMixin, shadow_signal

__all__ = ["RMIA"]


@_fill_doc
class RMIA(_ReferenceAttack):
    """The robust membership inference attack of Zarifzadeh et al. (2024).

    RMIA compares the record ``x`` with population records ``z`` through
    the likelihood ratio of each under the target ``theta`` relative to
    reference models:

    ``LR(x, z) = (Pr(x | theta) / Pr(x)) / (Pr(z | theta) / Pr(z))``

    where ``Pr(x | theta)`` is the target's probability of ``x``'s true
    label (averaged over augmentation queries, if the shadows have any) and
    ``Pr(x)`` the average of the same over reference models. The score of
    ``x`` is the fraction of population records it dominates,
    ``#{z : LR(x, z) >= gamma} / n_population``: a member should stand out
    against most of the population. It is computed by sorting the
    population's ratios and a bisection per record, in O(n + m) memory,
    never the ``n x m`` matrix of pairs.

    - **offline** (``online=False``, the default): ``Pr(x)`` is estimated
      from OUT reference models only (trained without ``x``), corrected by
      the paper's linear approximation
      ``Pr(x) = ((1 + a) Pr_OUT(x) + 1 - a) / 2`` for the missing IN models;
    - **online**: ``Pr(x)`` is the mean over reference models of which half
      were trained on ``x``.

    Parameters
    ----------
    {target}
    n_reference_models : int, default=4
        Number of reference models each record is compared with: offline,
        models trained without it (OUT); online, models half of which
        (rounded down) were trained on it (IN), so online needs at least 2.
        :class:`~skmia.shadow.ShadowModels` trains models in complementary
        pairs on halves of the pool, so each pool record is OUT for one
        model of each pair: offline, the attack trains
        ``2 * n_reference_models`` models (``n_reference_models`` pairs) and
        compares each record with the ``n_reference_models`` of them it is
        OUT of. With 1 reference model, 2 models train on complementary
        halves and each record is compared with the one that never saw it.
        Online, it trains ``n_reference_models`` models. With
        ``shadow_models``, each record uses its first OUT (and IN) models
        in model order, which for an ensemble of pairs are those of
        ``shadow_models.head(2 * n_reference_models)`` offline and
        ``shadow_models.head(n_reference_models)`` online (even
        ``n_reference_models``); the ensemble must have enough of them.
    gamma : float, default=1.0
        Threshold (> 0) on the pairwise likelihood ratio ``LR(x, z)``. For a
        fixed population the score is a non-decreasing function of the
        record's own ratio ``Pr(x|θ)/Pr(x)`` whatever ``gamma``, so ``gamma``
        changes the ranking only through ties: values above 1 leave more
        records with a score of 0 and lose resolution (on digits,
        ``gamma=2`` gave 21 distinct scores and AUC 0.66 vs 0.83 at
        ``gamma=1`` with 2 reference models). The paper's ``gamma=2`` suits
        models whose ratios spread widely; 1 is the lossless default.
    offline_a : float in [0, 1] or "auto", default=0.3
        The ``a`` of the offline approximation; 1 means no correction.
        ``"auto"`` tunes it on the shadows: each shadow model in turn plays
        the target, the others' OUT models are its references, and the
        ``a`` of ``0, 0.1, ..., 1`` with the best mean ROC AUC is kept (this
        needs at least 3 shadow models). Ignored online.
    online : bool, default=False
        Use IN and OUT reference models (online) or OUT ones only (offline).
    n_population : int, default=None
        Number of population records ``z``, drawn at random (without
        replacement, from ``random_state``) among the records passed to
        ``fit``; ``None`` uses all of them.
    {shadow_models}
    {n_jobs}
    random_state : int, RandomState instance or None, default=None
        Draws the seed of the shadow models the attack trains, then the
        population subset. The same draws are made whether or not
        ``shadow_models`` is given. See :term:`Glossary <random_state>`.
    {memory}
    {verbose}

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    shadow_models_ : ShadowModels
        The reference models: ``shadow_models`` itself when given, else
        those trained by ``fit``.
    offline_a_ : float or None
        The ``a`` used offline (tuned with ``offline_a="auto"``); ``None``
        online.
    reference_proba_ : ndarray of shape (n_pool,)
        ``Pr(x)`` of every pool record (after the offline approximation).
    population_indices_ : ndarray of shape (n_population,)
        Positions, in the records passed to ``fit``, of the population.
    population_ratios_ : ndarray of shape (n_population,)
        ``Pr(z | theta) / Pr(z)`` of the population records, sorted.

    See Also
    --------
    LiRA : Carlini et al.'s likelihood ratio attack.
    skmia.shadow.ShadowModels : The reference models, to share between attacks.

    Notes
    -----
    **The population.** The population records are the records passed to
    ``fit`` (the attacker's pool, or a random subset of ``n_population``
    of them), and their ``Pr(z)`` is estimated exactly like a scored
    record's. For a fixed population the score is a non-decreasing function
    of the record's own ratio ``Pr(x | theta) / Pr(x)``, so which records
    make up the population (even target members among them, as in a pool
    that contains the audited records) does not change how records are
    ranked, hence not the ROC curve, beyond ties: a small population only
    coarsens the score. It does set the decision threshold.

    **Choosing gamma.** A record scores only against population records
    whose ratio is at most ``1 / gamma`` of its own. Where the ratios are
    concentrated (well-fitted data, where every model is confident: on
    scikit-learn's digits with a wide MLP the ratios' interquartile range
    was 0.99-1.02), ``gamma=2`` leaves only the population's few hard
    records to dominate, the score takes few distinct values, and the
    ranking, hence the ROC curve, suffers (AUC 0.66 instead of 0.83 with
    ``gamma=1`` there). Choose ``gamma`` by the spread of
    ``population_ratios_``, or search it with
    :class:`~sklearn.model_selection.GridSearchCV` on shared shadows.

    **Scores.** :meth:`decision_function` returns the score minus 1/2, so
    that 0 is the boundary; :meth:`predict_proba` returns the score itself
    as P(member).

    **Probabilities.** ``Pr(x | theta)`` is computed by
    :func:`~skmia.signals.confidence` from logits where the model exposes
    them. Reference probabilities below the smallest positive float64 are
    floored there, so ratios stay finite.

    References
    ----------
    .. [1] S. Zarifzadeh, P. Liu, J. Ye, and R. Shokri, "Low-Cost High-Power
       Membership Inference Attacks", ICML 2024.

    Examples
    --------
    {pool_example}
    >>> from skmia.attacks import RMIA
    >>> rmia = RMIA(target, n_reference_models=2, random_state=0).fit(pool)
    >>> len(rmia.shadow_models_.keep_)  # each record is OUT of 2 of them
    4
    >>> rmia.score(pool, membership) > 0.7
    True
    >>> proba = rmia.predict_proba(pool)[:, 1]  # fraction of population dominated
    >>> bool(np.all((0 <= proba) & (proba <= 1)))
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "n_reference_models": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="neither")],
        "offline_a": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "online": ["boolean"],
        "n_population": [None, Interval(Integral, 1, None, closed="left")],
        **_ShadowAttackMixin._parameter_constraints,
    }

    def __init__(self, target=None, n_reference_models=4, *, gamma=1.0, offline_a=0.3,
                 online=False, n_population=None, shadow_models=None, n_jobs=None,
                 random_state=None, memory=None, verbose=0):
        self.target = target
        self.n_reference_models = n_reference_models
        self.gamma = gamma
        self.offline_a = offline_a
        self.online = online
        self.n_population = n_population
        self.shadow_models = shadow_models
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.memory = memory
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records=None, y=None):
        """Train (or take) the reference models and score the population.

        Parameters
        ----------
        records : Records
            The population. Without ``shadow_models``, also the pool the
            reference models are trained on, which should include the
            records you will score (each is then OUT, and online IN, for
            some reference models). With ``shadow_models``, records of its
            pool (or, offline, other records if the shadows kept their
            models).
        y : None
            Ignored. Accepted so that
            :func:`~sklearn.model_selection.cross_val_score` and
            :class:`~sklearn.model_selection.GridSearchCV` can pass
            membership labels for scoring.

        Returns
        -------
        self : RMIA
            The fitted attack.
        """
        k = self.n_reference_models
        if self.online and k < 2:
            raise ValueError(
                f"{type(self).__name__}(online=True) needs n_reference_models >= 2 "
                f"(half IN, half OUT); got {k}. Use online=False for a single "
                "reference model."
            )
        shadows, rng = self._fit_shadow_models(
            records, n_models=k if self.online else 2 * k)
        if records is None:
            raise ValueError(
                f"{type(self).__name__}.fit needs records (the population), also "
                "with shadow_models=: pass records of the shadows' pool."
            )
        rows = self._pool_rows(records, allow_unseen=True)
        selected = self._select_references(shadows.keep_)
        confidence = shadow_signal(shadows, "confidence")  # (n_models, n_pool)
        if self.online:
            self.offline_a_ = None
        elif self.offline_a == "auto":
            self.offline_a_ = _tune_offline_a(confidence, shadows.keep_, self.gamma,
                                              who=type(self).__name__)
        else:
            self.offline_a_ = float(self.offline_a)
        self.reference_proba_ = self._approximate(
            np.where(selected, confidence, 0.0).sum(axis=0) / k)
        population = self._draw_population(len(records), rng)
        self.population_indices_ = population
        self.population_ratios_ = np.sort(
            self._ratios(records[population], rows[population]))
        self.classes_ = np.array([0, 1])
        return self

    def _draw_population(self, n_records, rng):
        """Positions of the population among the ``n_records`` passed to ``fit``."""
        if self.n_population is None:
            return np.arange(n_records)
        if self.n_population > n_records:
            raise ValueError(
                f"n_population={self.n_population} exceeds the {n_records} records "
                "passed to fit."
            )
        return np.sort(rng.choice(n_records, self.n_population, replace=False))

    def _approximate(self, pr_references):
        if self.online:
            return pr_references
        return _offline_proba(pr_references, self.offline_a_)

    def _select_references(self, keep):
        """Which models are each pool record's references: (n_models, n_pool)."""
        k = self.n_reference_models
        n_models = keep.shape[0]
        out = ~keep
        need_out = k if not self.online else k - k // 2
        need_in = 0 if not self.online else k // 2
        n_in, n_out = keep.sum(axis=0).min(), out.sum(axis=0).min()
        if n_out < need_out or n_in < need_in:
            mode = "online" if self.online else "offline"
            need = (f"{need_in} IN and {need_out} OUT" if self.online
                    else f"{need_out} OUT")
            raise ValueError(
                f"{type(self).__name__}({mode}, n_reference_models={k}) compares "
                f"each record with {need} reference models, but in shadow_models "
                f"({n_models} models) some records are IN for {n_in} and OUT for "
                f"{n_out}. Use shadow models with at least "
                f"{k if self.online else 2 * k} models, or fewer reference models."
            )
        selected = out & (np.cumsum(out, axis=0) <= need_out)
        if need_in:
            selected |= keep & (np.cumsum(keep, axis=0) <= need_in)
        return selected

    def _reference_proba(self, records, rows):
        """``Pr(x)`` of records: looked up for pool records, else from kept models."""
        pr = _at_rows(self.reference_proba_, rows)
        if np.any(rows < 0):
            if self.online:
                self._refuse_outside_pool(rows, models="reference models")
            # outside the pool every model is OUT: use the first k of them
            values = self._unseen_values(records, "confidence", rows=rows)
            pr_out = values[:self.n_reference_models].mean(axis=2).mean(axis=0)
            pr[rows < 0] = self._approximate(pr_out)
        return pr

    def _ratios(self, records, rows):
        """``Pr(x | theta) / Pr(x)`` of each record."""
        p_target = self._target_signal(records, "confidence").mean(axis=1)
        return p_target / np.maximum(self._reference_proba(records, rows), _TINY)

    def _dominated_fraction(self, records):
        records, rows = self._locate(records)
        ratios = self._ratios(records, rows)
        counts = _n_dominated(ratios, self.population_ratios_, self.gamma)
        return counts / len(self.population_ratios_)

    def decision_function(self, records):
        """RMIA score of each record minus 1/2; higher means more likely a member.

        The score is the fraction of population records ``z`` with
        ``LR(x, z) >= gamma``; 0 (a score of 1/2) is the decision boundary.

        {unseen} Online RMIA needs IN reference models, so only pool
        records can be scored.

        {score_parameters}

        Returns
        -------
        scores : ndarray of shape (n_records,)
            In ``[-1/2, 1/2]``.
        """
        return self._dominated_fraction(records) - 0.5

    def predict_proba(self, records):
        """The RMIA score as P(member), and 1 minus it.

        Column 1 is the fraction of the population each record dominates
        (``LR(x, z) >= gamma``); ``predict`` returns 1 where it is at least
        1/2. It is RMIA's own score, not a calibrated posterior.

        {score_parameters}

        Returns
        -------
        proba : ndarray of shape (n_records, 2)
            Column 1 is the score, column 0 one minus it.
        """
        fraction = self._dominated_fraction(records)
        return np.column_stack([1.0 - fraction, fraction])
