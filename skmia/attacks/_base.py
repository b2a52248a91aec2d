"""Base classes, shared docstrings and shadow-model plumbing of the attacks."""

import os
from abc import abstractmethod
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ..shadow import ShadowModels
from ..utils import MAX_INT, check_records, check_target

__all__ = ["BaseAttack", "fit_and_score"]

_shared_docs = {
    "target": """target : fitted classifier
        The model under audit: any fitted object with ``predict_proba``
        (a scikit-learn classifier, a skorch net). For skorch classifiers
        trained with cross-entropy the logits are read directly. It is never
        refitted, and :func:`~sklearn.base.clone` keeps it.""",
    "top_k": """top_k : int, default=None
        Keep only the ``top_k`` largest probabilities of the
        ``"sorted_proba"`` feature (Shokri et al. used 3); ``None`` keeps
        all of them. Other features are unaffected.""",
    "estimator_random_state": """random_state : int, RandomState instance or None, \
            default=None
        Seeds the attack classifier(s): every ``random_state`` parameter of
        the classifier (nested ones too, e.g. in a
        :class:`~sklearn.pipeline.Pipeline`) that is ``None`` is set to a
        seed drawn from this in ``fit``; seeds set explicitly are kept.
        Pass an int for reproducible results.
        See :term:`Glossary <random_state>`.""",
    "decision": """The attack classifier's probability of membership ``p``, as
        ``log(p / (1 - p))`` with ``p`` clipped to ``[2**-53, 1 - 2**-53]``
        (so ``|score| <= 36.7``): 0 is the decision boundary, and the
        scores rank records exactly like :meth:`predict_proba` (up to ties
        where ``p`` is within ``2**-53`` of 0 or 1).""",
    "predict_proba": """Unlike ``BaseAttack.predict_proba``, these are the attack
        classifier's own probabilities, not a squashed score, so they are
        as calibrated as that classifier is. ``predict`` returns 1 exactly
        where column 1 is at least 0.5.""",
    "shadow_models": """shadow_models : ShadowModels, default=None
        A fitted :class:`~skmia.shadow.ShadowModels` trained like the target,
        to use as is so that one ensemble serves many attacks: it is neither
        cloned nor refitted, and :func:`~sklearn.base.clone` of the attack
        keeps it; see :meth:`fit` for the records its pool must hold.
        ``None`` trains shadows on the records passed to ``fit``.""",
    "n_jobs": """n_jobs : int, default=None
        Number of shadow models trained in parallel; see
        :class:`~skmia.shadow.ShadowModels`. Results do not depend on it.
        Ignored with ``shadow_models``.""",
    "random_state": """random_state : int, RandomState instance or None, \
            default=None
        Draws the seed of the shadow models the attack trains (their IN/OUT
        halves and training seeds). The same draws are made whether or not
        ``shadow_models`` is given. See :term:`Glossary <random_state>`.""",
    "memory": """memory : str, path or joblib.Memory, default=None
        Where the shadow models checkpoint their results, so a rerun reuses
        them; see :class:`~skmia.shadow.ShadowModels`. Ignored with
        ``shadow_models``.""",
    "verbose": """verbose : int, default=0
        Show a progress bar over shadow models when positive.""",
    "shadow_attributes": """classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    shadow_models_ : ShadowModels
        The shadows: ``shadow_models`` itself when given, else those trained
        by ``fit``.""",
    "fit_records": """records : Records or None
            Without ``shadow_models``: the pool, records from the target's
            distribution that include the records you will score (as in
            Carlini et al.); the shadows are trained on random halves of it,
            so each record is IN for half of them. With ``shadow_models``:
            ``None``, or records of its pool (checked with
            :meth:`~skmia.shadow.ShadowModels.locate`).
        y : None
            Ignored: the shadows provide the IN/OUT labels. Accepted so that
            :func:`~sklearn.model_selection.cross_val_score` and
            :class:`~sklearn.model_selection.GridSearchCV` can pass
            membership labels for scoring (use ``shadow_models=`` fitted on
            all the records there, so that every fold's records are in the
            shadows' pool).""",
    "unseen": """Records must be in the shadows' pool (same input bytes and
        label, see :meth:`~skmia.shadow.ShadowModels.locate`), where each is
        IN for some shadows and OUT for others. Records outside the pool are
        OUT for every shadow: they can be scored only by attacks that need
        no IN shadows (offline), and only when the shadows kept their models
        (``ShadowModels(keep_models=True)``), which are then queried on
        them; otherwise they are an error.""",
}


def _fill_doc(obj):
    """Replace ``{key}`` placeholders of ``_shared_docs`` in a docstring."""
    doc = obj.__doc__
    for key, text in _shared_docs.items():
        doc = doc.replace("{" + key + "}", text)
    obj.__doc__ = doc
    return obj


def shadow_signal(shadow_models, signal, *, per_query=False):
    """``signal`` of every shadow model on every pool record.

    Returns an array of shape (n_models, n_records), averaged over queries,
    or (n_models, n_records, n_queries) with ``per_query=True`` (read-only,
    shared: see :meth:`~skmia.shadow.ShadowModels.signal`).
    """
    values = shadow_models.signal(signal)
    return values if per_query else values.mean(axis=2)


def check_shadow_models(shadow_models, target, *, who):
    """Check that ``shadow_models`` is a fitted ensemble matching ``target``."""
    if not isinstance(shadow_models, ShadowModels):
        raise TypeError(
            f"{who}: shadow_models must be a skmia.shadow.ShadowModels, got "
            f"{type(shadow_models).__name__}."
        )
    try:
        check_is_fitted(shadow_models)
    except NotFittedError as exc:
        raise NotFittedError(
            f"{who}: shadow_models must be a fitted ShadowModels, but the one "
            "passed is not fitted; call shadow_models.fit(pool) first."
        ) from exc
    classes = getattr(target, "classes_", None)
    if classes is not None and not np.array_equal(
        np.asarray(classes), shadow_models.classes_
    ):
        raise ValueError(
            f"{who}: the shadow models were trained on classes "
            f"{shadow_models.classes_.tolist()} but the target predicts classes "
            f"{np.asarray(classes).tolist()}: shadow and target outputs would "
            "not be comparable."
        )
    return shadow_models


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
    """

    #: True for attacks whose ``fit`` takes the attacker's pool (and trains
    #: shadows on it) rather than records with membership labels.
    _fit_on_pool = False

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


class _ShadowAttackMixin:
    """Shadow-model plumbing of the attacks that train or take a ShadowModels.

    Subclasses list ``n_shadow_models``-like parameters of their own and
    ``**_ShadowAttackMixin._parameter_constraints``, and call
    :meth:`_fit_shadows` at the start of ``fit``.
    """

    _parameter_constraints = {
        "shadow_models": [None, ShadowModels],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }
    _frozen_params = ("target", "shadow_models")
    #: ``skmia.metrics.make_privacy_scorer`` calls ``fit(records)``: the
    #: records are the pool, not records of known membership.
    _fit_on_pool = True

    def _clone_target(self):
        try:
            return clone(self.target)
        except Exception as exc:
            raise TypeError(
                f"{type(self).__name__} trains its shadows from clone(target), but "
                f"{type(self.target).__name__} cannot be cloned: {exc}. Fit a "
                "skmia.shadow.ShadowModels on an estimator with the target's "
                "training recipe and pass it as shadow_models=."
            ) from exc

    def _fit_shadows(self, records, *, n_models, queries=None, need_records=False,
                     allow_unseen=False):
        """Check the target, set ``shadow_models_``; return records, rows, rng.

        ``rng`` is ``check_random_state(random_state)`` after drawing the
        shadows' seed (drawn whether or not ``shadow_models`` is given).
        ``rows`` are the records' rows in the shadows' pool, all of them when
        ``records`` is None; records outside the pool are an error unless
        ``allow_unseen`` (then their rows are -1). With ``need_records`` a
        missing ``records`` is an error even with ``shadow_models``.
        """
        who = type(self).__name__
        check_target(self.target, who=who)
        rng = check_random_state(self.random_state)
        shadow_seed = int(rng.randint(MAX_INT))
        if self.shadow_models is not None:
            shadows = check_shadow_models(self.shadow_models, self.target, who=who)
            if queries is not None and shadows.queries != queries:
                raise ValueError(
                    f"{who}: augmentations={queries!r} but shadow_models was "
                    f"fitted with queries={shadows.queries!r}. The target must be "
                    "queried exactly as the shadows were: leave augmentations=None "
                    "to use the shadows' queries, or fit the shadows with "
                    "queries=augmentations."
                )
            if records is None:
                if need_records:
                    raise ValueError(
                        f"{who}.fit needs records (the population), also with "
                        "shadow_models=: pass records of the shadows' pool."
                    )
                self.shadow_models_ = shadows
                return None, np.arange(shadows.keep_.shape[1]), rng
            records = check_records(records)
            rows = shadows.locate(records)
            missing = rows < 0
            if not allow_unseen and np.any(missing):
                raise ValueError(
                    f"{int(missing.sum())} of the {len(records)} records passed to "
                    "fit are not in the pool shadow_models was fitted on; use "
                    "records of that pool (or records=None for all of it), or fit "
                    "new shadow models on a pool that holds them."
                )
            self.shadow_models_ = shadows
            return records, rows, rng
        if records is None:
            raise ValueError(
                f"{who} trains its shadow models on the attacker's pool: call "
                "fit(records), or pass a fitted shadow_models=."
            )
        records = check_records(records)
        classes = getattr(self.target, "classes_", None)
        pool_classes = np.unique(records.y)
        if classes is not None and not np.array_equal(np.asarray(classes), pool_classes):
            raise ValueError(
                f"{who}: the pool holds classes {pool_classes.tolist()} but the "
                f"target predicts classes {np.asarray(classes).tolist()}: shadow "
                "and target outputs would not be comparable. Train the shadows on "
                "a pool holding every class of the target, and only those."
            )
        self.shadow_models_ = ShadowModels(
            self._clone_target(), n_models=n_models, n_jobs=self.n_jobs,
            random_state=shadow_seed, memory=self.memory, queries=queries,
            verbose=self.verbose,
        ).fit(records)
        return records, np.arange(len(records)), rng

    def _query_inputs(self, X):
        """The copies of ``X`` the shadows were queried on (``[X]`` without queries)."""
        queries = self.shadow_models_.queries
        inputs = [X] if queries is None else list(queries(X))
        n_queries = self.shadow_models_.outputs_.shape[2]
        if len(inputs) != n_queries:
            raise ValueError(
                f"The shadows' queries now return {len(inputs)} copies but the "
                f"shadows were queried on {n_queries}: the queries object changed "
                "after the shadows were fitted."
            )
        return inputs

    def _check_labels(self, records):
        classes = self.shadow_models_.classes_
        unseen = ~np.isin(records.y, classes)
        if np.any(unseen):
            raise ValueError(
                f"Labels {np.unique(records.y[unseen])[:10].tolist()} were never "
                f"seen by the shadow models (trained on classes {classes.tolist()}); "
                "the attack cannot score these records."
            )


def fit_and_score(attack, records, membership=None, *, pool=None, random_state=None):
    """Fit ``attack`` the way its kind requires and score ``records``.

    - attacks fitted on the attacker's pool (shadow-model attacks, LiRA,
      RMIA...) are fitted on ``pool`` (default: ``records``);
    - attacks given fitted ``shadow_models`` that need nothing else (a
      shadow-calibrated threshold) are fitted without data;
    - attacks that learn from known membership are cross-fitted on
      ``records`` (2 stratified folds: each half is scored by an attack
      fitted on the other half), so no record is scored by an attack that
      saw its label.

    Returns
    -------
    ndarray of shape (n_records,)
        The attack's decision scores.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if getattr(attack, "_fit_on_pool", False):
        return attack.fit(records if pool is None else pool).decision_function(records)
    if getattr(attack, "shadow_models", None) is not None:
        return attack.fit().decision_function(records)
    if membership is None:
        raise ValueError(
            f"{type(attack).__name__} learns from records of known membership; "
            "pass membership labels."
        )
    cv = StratifiedKFold(2, shuffle=True, random_state=random_state)
    return cross_val_predict(attack, records, membership, cv=cv,
                             method="decision_function")
