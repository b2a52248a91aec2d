"""OneRunAudit: insert canaries, train once, bound epsilon from below."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ..records import Records
from ..signals import SIGNALS, compute_signal
from ..utils import MAX_INT, check_records, query_target, to_numpy
from ._bound import candidate_guess_counts, one_run_bound

__all__ = ["OneRunAudit"]


class OneRunAudit(MetaEstimatorMixin, BaseEstimator):
    """Audit a training algorithm's privacy claim with one training run.

    The audit of Steinke, Nasr and Jagielski [1]_: ``fit(X, y)`` picks
    ``n_canaries`` records (the canaries), includes each one in the training
    set independently with probability 1/2, trains a clone of ``estimator``
    **once** on the other rows plus the included canaries, scores every
    canary with ``attack``, guesses "included" for the highest scores and
    "excluded" for the lowest, and turns the number of correct guesses into
    ``epsilon_lower_``, a lower bound on the epsilon of the training
    algorithm that holds with probability ``confidence``
    (:func:`~skmia.metrics.one_run_epsilon`). For an estimator with a
    privacy accountant, such as :class:`~skmia.defenses.DPNeuralNetClassifier`,
    ``epsilon_claimed_`` is the accountant's epsilon at the same delta, so
    the claim and what one run shows sit side by side. A sound claim always
    satisfies ``epsilon_lower_ <= epsilon_claimed_`` (up to the
    ``1 - confidence`` chance of an unlucky run).

    The bound is a *lower* bound, not an estimate: a small value means that
    this audit could not show more, not that training is private. Black-box
    canaries (records scored through the trained model's outputs) usually
    give bounds far below a DP-SGD accountant's epsilon; mislabelled
    canaries are the strongest black-box choice.

    Parameters
    ----------
    estimator : estimator
        The training algorithm to audit: an unfitted classifier with ``fit``
        and ``predict_proba`` (a skorch net from
        :func:`~skmia.targets.make_target`, a
        :class:`~skmia.defenses.DPNeuralNetClassifier`, any scikit-learn
        classifier). It is cloned and trained once. If it has a
        ``random_state`` parameter set to ``None``, the clone gets a seed
        drawn from ``random_state``.
    n_canaries : int, default=1000
        Number of canaries drawn from the rows of ``X`` (at most all of
        them). Ignored when ``canaries`` is a set of records.
    canaries : {"records", "mislabeled"} or Records, default="records"
        ``"records"``: the canaries are rows of ``X`` as they are.
        ``"mislabeled"``: rows of ``X`` whose label is replaced by another
        class drawn at random, the strongest black-box canary (a model can
        fit a wrong label only by memorising the record). A
        :class:`~skmia.Records`: these records are the canaries, as given;
        ``X`` and ``y`` are then all trained on.
    attack : None, str or attack estimator, default=None
        How canaries are scored (higher = more likely included). ``None``
        is the loss signal (Yeom et al.); a name of
        :data:`skmia.signals.SIGNALS` is that signal, oriented. An skmia
        attack (anything with ``fit``, ``decision_function`` and a
        ``target`` parameter) is cloned, given the trained model as its
        target, fitted on the audit's pool (every row of ``X`` plus the
        canaries as trained on) without membership labels, and its
        ``decision_function`` scores the canaries. Shadow-model attacks
        (:class:`~skmia.attacks.LiRA`, :class:`~skmia.attacks.RMIA`,
        :class:`~skmia.attacks.ShadowModelAttack`) train their own shadows
        this way; attacks that learn from membership labels are refused,
        since the canaries' inclusions must never reach the guesser.
    k_positive : int, default=None
        Number of "included" guesses (highest scores). ``None`` chooses it,
        see below.
    k_negative : int, default=None
        Number of "excluded" guesses (lowest scores). ``None`` chooses it.
    confidence : float, default=0.95
        Confidence level of ``epsilon_lower_``, in (0, 1).
    delta : float, default=None
        The delta of the audited (epsilon, delta) claim, in [0, 1).
        ``None`` uses the ``delta_`` of an estimator that claims a
        guarantee (the ``target_delta`` of a ``DPNeuralNetClassifier``) and
        ``0`` (pure epsilon-DP) for other estimators.
    random_state : int, RandomState instance or None, default=None
        Draws the canaries, their wrong labels, the inclusions and the seeds
        of the estimator and the attack (when theirs are ``None``). Pass an
        int for a reproducible audit. See :term:`Glossary <random_state>`.

    Attributes
    ----------
    estimator_ : estimator
        The trained clone of ``estimator``.
    epsilon_lower_ : float
        The lower bound on epsilon at ``confidence`` (and ``delta_``).
    epsilon_claimed_ : float or None
        The estimator's own epsilon at ``delta_``, from its
        ``get_epsilon(delta)`` method (:class:`~skmia.defenses.DPNeuralNetClassifier`'s
        accountant); ``inf`` when ``delta_`` is 0 (DP-SGD's Gaussian noise
        gives no pure-DP guarantee); ``None`` for estimators that claim
        nothing.
    delta_ : float
        The delta of both epsilons.
    canaries_ : Records
        The canaries as trained on (labels flipped for ``"mislabeled"``).
    canary_indices_ : ndarray of shape (n_canaries,) or None
        Rows of ``X`` that became canaries (``None`` for given canaries).
    included_ : ndarray of shape (n_canaries,), dtype=bool
        The fair coin flips: whether each canary was in the training set.
    scores_ : ndarray of shape (n_canaries,)
        The attack's scores of the canaries.
    guesses_ : ndarray of shape (n_canaries,)
        1 = guessed included, -1 = guessed excluded, 0 = abstained.
    k_positive_, k_negative_ : int
        The guess counts used.
    n_guesses_, n_correct_ : int
        Number of guesses and of correct ones.
    n_features_in_ : int
        Size of the first axis after the samples of ``X``.

    See Also
    --------
    skmia.metrics.one_run_epsilon : The bound for given counts.
    one_run_bound : The bound of given canary scores.
    skmia.metrics.empirical_epsilon : A bound from a ROC curve of many
        audited records.

    Notes
    -----
    **Choosing the guess counts.** A ``None`` count is not tuned on the
    inclusions without paying for it: the bound is the best over a grid of
    15 count pairs at most (1%, 5%, 10%, 25% and 50% of the canaries, as
    "included" guesses, "excluded" guesses or both), each evaluated at
    confidence ``1 - (1 - confidence) / n_pairs``; by the union bound the
    best of them still holds at ``confidence``. A held-out split of the
    canaries would be valid too, but it halves the guesses, which costs
    more (see :func:`one_run_bound`).

    **Assumptions.** The bound holds for the training algorithm as run here
    (the estimator's ``fit`` on the given rows plus the included canaries),
    with respect to adding or removing one record. The inclusions are fair,
    independent coin flips drawn before training, and the guesses depend
    only on the trained model and on records, never on the coin flips.

    References
    ----------
    .. [1] T. Steinke, M. Nasr and M. Jagielski, "Privacy Auditing with One
       (1) Training Run", NeurIPS 2023.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skmia.auditing import OneRunAudit
    >>> X, y = load_digits(return_X_y=True)
    >>> audit = OneRunAudit(DecisionTreeClassifier(), n_canaries=500,
    ...                     canaries="mislabeled", random_state=0).fit(X, y)
    >>> audit.n_correct_, audit.n_guesses_
    (250, 250)
    >>> round(audit.epsilon_lower_, 2), audit.epsilon_claimed_
    (3.77, None)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "n_canaries": [Interval(Integral, 1, None, closed="left")],
        "canaries": [StrOptions({"records", "mislabeled"}), Records],
        "attack": [None, StrOptions(set(SIGNALS)),
                   HasMethods(["fit", "decision_function"])],
        "k_positive": [None, Interval(Integral, 0, None, closed="left")],
        "k_negative": [None, Interval(Integral, 0, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "delta": [None, Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, n_canaries=1000, canaries="records", attack=None,
                 k_positive=None, k_negative=None, confidence=0.95, delta=None,
                 random_state=None):
        self.estimator = estimator
        self.n_canaries = n_canaries
        self.canaries = canaries
        self.attack = attack
        self.k_positive = k_positive
        self.k_negative = k_negative
        self.confidence = confidence
        self.delta = delta
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Insert the canaries, train once, score the canaries and bound epsilon.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Training inputs; the canaries are drawn from them unless
            ``canaries`` is a set of records.
        y : array-like of shape (n_samples,)
            Integer class labels.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : OneRunAudit
        """
        X, y = validate_data(self, X, y, allow_nd=True, dtype=None,
                             ensure_min_samples=2)
        check_classification_targets(y)
        rng = check_random_state(self.random_state)
        rest, canaries = self._draw_canaries(X, y, rng)
        m = len(canaries)
        candidate_guess_counts(m, self.k_positive, self.k_negative)  # fail early
        included = rng.random_sample(m) < 0.5
        estimator_seed, attack_seed = rng.randint(MAX_INT, size=2)

        X_train = np.concatenate([rest.X, canaries.X[included]])
        y_train = np.concatenate([rest.y, canaries.y[included]])
        estimator = _seeded(clone(self.estimator), estimator_seed)
        self.estimator_ = estimator.fit(X_train, y_train, **fit_params)
        pool = Records(np.concatenate([rest.X, canaries.X]),
                       np.concatenate([rest.y, canaries.y]))
        scores = self._score(canaries, pool, attack_seed)

        self.delta_ = self._delta()
        result = one_run_bound(scores, included, k_positive=self.k_positive,
                               k_negative=self.k_negative, delta=self.delta_,
                               confidence=self.confidence)
        self.canaries_, self.included_, self.scores_ = canaries, included, scores
        self.guesses_ = result.guesses
        self.k_positive_, self.k_negative_ = result.k_positive, result.k_negative
        self.n_guesses_, self.n_correct_ = result.n_guesses, result.n_correct
        self.epsilon_lower_ = result.epsilon
        self.epsilon_claimed_ = self._claimed_epsilon()
        return self

    def _draw_canaries(self, X, y, rng):
        """``(rest, canaries)``: the rows always trained on, and the canaries."""
        if isinstance(self.canaries, Records):
            given = check_records(self.canaries, name="canaries")
            canaries = Records(to_numpy(given.X), to_numpy(given.y))
            if canaries.X.shape[1:] != X.shape[1:]:
                raise ValueError(
                    f"The canaries have inputs of shape {canaries.X.shape[1:]} but "
                    f"X has rows of shape {X.shape[1:]}."
                )
            self.canary_indices_ = None
            return Records(X, y), canaries
        if self.n_canaries > len(X):
            raise ValueError(
                f"n_canaries={self.n_canaries} is larger than the data: X has "
                f"{len(X)} rows to draw canaries from."
            )
        rows = np.sort(rng.choice(len(X), size=self.n_canaries, replace=False))
        labels = y[rows]
        if self.canaries == "mislabeled":
            labels = _wrong_labels(labels, np.unique(y), rng)
        self.canary_indices_ = rows
        rest = np.setdiff1d(np.arange(len(X)), rows)
        return Records(X[rest], y[rest]), Records(X[rows], labels)

    def _score(self, canaries, pool, seed):
        """Membership scores of the canaries against ``estimator_``."""
        if self.attack is None or isinstance(self.attack, str):
            signal = "loss" if self.attack is None else self.attack
            outputs = query_target(self.estimator_, canaries)
            return compute_signal(signal, outputs.labels, oriented=True,
                                  **outputs.kwargs)
        attack = clone(self.attack)
        if "target" not in attack.get_params(deep=False):
            raise TypeError(
                f"attack={type(attack).__name__} has no target parameter; pass an "
                "skmia attack, a signal name or None."
            )
        attack = _seeded(attack.set_params(target=self.estimator_), seed)
        try:
            attack.fit(pool)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"OneRunAudit fits attack={type(attack).__name__} on its pool "
                "without membership labels (the canaries' inclusions must never "
                f"reach the guesser), and it failed: {exc} Use a shadow-model "
                "attack, a signal name, or None (the loss signal)."
            ) from exc
        scores = np.asarray(to_numpy(attack.decision_function(canaries)),
                            dtype=np.float64)
        if scores.shape != (len(canaries),) or not np.all(np.isfinite(scores)):
            raise ValueError(
                f"attack={type(attack).__name__} returned scores of shape "
                f"{scores.shape} (finite: {bool(np.all(np.isfinite(scores)))}); "
                f"expected {len(canaries)} finite scores."
            )
        return scores

    def _claims_privacy(self):
        return callable(getattr(self.estimator_, "get_epsilon", None))

    def _delta(self):
        if self.delta is not None:
            return float(self.delta)
        if self._claims_privacy():
            return float(getattr(self.estimator_, "delta_", 0.0))
        return 0.0

    def _claimed_epsilon(self):
        if not self._claims_privacy():
            return None
        if self.delta_ == 0:
            return math.inf
        return float(self.estimator_.get_epsilon(self.delta_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _seeded(estimator, seed):
    """``estimator`` with ``random_state=seed`` if it has one set to None."""
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=int(seed))
    return estimator


def _wrong_labels(labels, classes, rng):
    """Each label replaced by a different class of ``classes``, uniformly."""
    if len(classes) < 2:
        raise ValueError(
            'canaries="mislabeled" needs at least two classes in y to give '
            "each canary a wrong label."
        )
    position = np.searchsorted(classes, labels)
    shift = rng.randint(1, len(classes), size=len(labels))
    return classes[(position + shift) % len(classes)]
