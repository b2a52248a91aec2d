"""The shadow model attack of Shokri et al. (2017)."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval

from ..signals import check_feature_names, signal_features
from ..utils import model_outputs
from ._classifier_base import _ClassifierAttack, _default_classifier, _p_member
from ._docstring import _fill_doc
from ._shadow_base import _ShadowAttackMixin, check_shadow_models

__all__ = ["ShadowModelAttack"]


@_fill_doc
class ShadowModelAttack(_ShadowAttackMixin, _ClassifierAttack):
    """Membership inference with shadow models (Shokri et al. 2017).

    Shadow models mimic the target: each is a clone of the target's
    configuration (its training recipe) trained on a random half of the
    attacker's pool, so for every shadow the attacker knows which pool
    records were in its training set (IN) and which were not (OUT). An
    attack classifier learns IN/OUT from features of the shadows' outputs
    (by default the sorted probability vector) and is then applied to the
    target's outputs on the records under audit.

    Parameters
    ----------
    {target}
    n_shadow_models : int, default=16
        Number of shadow models to train (at least 2). Ignored when
        ``shadow_models`` is given.
    attack_estimator : classifier, default=None
        Any scikit-learn classifier or pipeline with ``predict_proba``,
        trained on ``(features of a shadow's output on a record, IN=1 or
        OUT=0)``, one row per shadow model and pool record. It is cloned.
        ``None`` means ``make_pipeline(StandardScaler(),
        LogisticRegression(max_iter=1000))``: on digits it was as accurate
        as gradient boosting and a random forest, and much faster.
    per_class : bool, default=False
        Train one clone of ``attack_estimator`` per class (the true label of
        the record), as in Shokri et al. A class without both IN and OUT
        shadow examples (e.g. absent from the records given to ``fit``)
        falls back to a classifier trained on all classes, with a warning;
        see ``fallback_classes_``.
    features : str or sequence of str, default=("sorted_proba",)
        Features of each output: ``"sorted_proba"`` (Shokri et al.),
        ``"proba"`` or any name in :data:`~skmia.signals.SIGNALS`; see
        :func:`~skmia.signals.signal_features`.
    {shadow_models}
    {n_jobs}
    random_state : int, RandomState instance or None, default=None
        Draws the shadows' IN/OUT halves and seeds, and seeds the attack
        classifier(s): every ``random_state`` parameter of
        ``attack_estimator`` (nested ones too) that is ``None`` is set to a
        seed drawn from it; seeds set explicitly are kept. The same draws
        are made whether or not ``shadow_models`` is given.
        See :term:`Glossary <random_state>`.
    {memory}
    {verbose}

    Attributes
    ----------
    {shadow_attributes}
    estimator_ : classifier or None
        The attack classifier trained on all classes; with
        ``per_class=True`` it is only trained (and not None) when a class
        falls back to it.
    estimators_ : list of classifiers
        With ``per_class=True``, the classifier used for each class of
        ``shadow_models_.classes_`` (``estimator_`` for fallback classes).
    fallback_classes_ : ndarray
        Labels whose records are scored by ``estimator_`` although
        ``per_class=True`` (empty otherwise).
    n_training_rows_ : int
        Number of (shadow model, record) pairs the attack classifier(s)
        learned from.

    See Also
    --------
    skmia.shadow.ShadowModels : The shadow ensemble, to share between attacks.
    MetaClassifierAttack : A classifier trained on records of known
        membership instead of shadows.
    skmia.signals.signal_features : The features.

    Notes
    -----
    **The pool.** Each shadow trains on half of the records given to
    ``fit``; shadows mimic the target best when that is about the size of
    the target's training set, so pass about twice as many records.

    **Precision and output kinds.** Shadow outputs are stored as float32,
    so the target's outputs are rounded to float32 too before features are
    computed: train and test features then have the same precision. The
    shadows may hold logits (skorch nets trained with cross-entropy) while
    the target is queried through ``predict_proba``, or the reverse:
    probability features are the softmax of logits, and signals are
    computed by :mod:`skmia.signals` from either kind, so both give the
    same features up to the rounding of probabilities near 0 and 1.

    **Augmented queries.** When ``shadow_models`` was fitted with
    ``queries=``, the target is queried on the same transformed copies and
    the features of all queries are concatenated.

    References
    ----------
    .. [1] R. Shokri, M. Stronati, C. Song and V. Shmatikov, "Membership
       Inference Attacks Against Machine Learning Models", IEEE S&P 2017.

    Examples
    --------
    {split_example}
    >>> from skmia.attacks import ShadowModelAttack
    >>> pool = split.pool[:400]  # twice the target's training set
    >>> attack = ShadowModelAttack(target, n_shadow_models=4, random_state=0)
    >>> attack.fit(pool).score(records, membership) > 0.8
    True

    One fitted ensemble serves several attacks without retraining:

    >>> shadows = attack.shadow_models_
    >>> per_class = ShadowModelAttack(target, shadow_models=shadows, per_class=True,
    ...                               random_state=0).fit(pool)
    >>> per_class.shadow_models_ is shadows
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "n_shadow_models": [Interval(Integral, 2, None, closed="left")],
        "attack_estimator": [None, HasMethods(["fit", "predict_proba"])],
        "per_class": ["boolean"],
        "features": [str, list, tuple],
        **_ShadowAttackMixin._parameter_constraints,
    }

    def __init__(self, target=None, n_shadow_models=16, *, attack_estimator=None,
                 per_class=False, features=("sorted_proba",), shadow_models=None,
                 n_jobs=None, random_state=None, memory=None, verbose=0):
        self.target = target
        self.n_shadow_models = n_shadow_models
        self.attack_estimator = attack_estimator
        self.per_class = per_class
        self.features = features
        self.shadow_models = shadow_models
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.memory = memory
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records=None, y=None):
        """Train (or take) the shadow models and the attack classifier.

        Parameters
        ----------
        records : Records or None
            The attacker's records. Without ``shadow_models``, the pool the
            shadows are trained on (required). With ``shadow_models``,
            records of the pool it was fitted on (found with
            :meth:`~skmia.shadow.ShadowModels.locate`; others are an error):
            the attack classifier learns from the shadows' outputs on these
            records only; ``None`` means the whole pool.
        y : None
            Ignored: the shadows provide the IN/OUT labels. Accepted so that
            :func:`~sklearn.model_selection.cross_val_score` and
            :class:`~sklearn.model_selection.GridSearchCV` can pass
            membership labels for scoring.

        Returns
        -------
        self : ShadowModelAttack
            The fitted attack.
        """
        features = check_feature_names(self.features)
        shadows, rng = self._fit_shadow_models(records, n_models=self.n_shadow_models)
        X, is_in, labels = self._training_set(shadows, self._pool_rows(records),
                                              features)
        self.n_training_rows_ = len(is_in)
        fallback = self._fit_classifiers(X, is_in, labels, rng)
        if fallback:
            warnings.warn(
                f"ShadowModelAttack(per_class=True): classes "
                f"{shadows.classes_[fallback].tolist()} have no IN or no OUT shadow "
                "examples among the records given to fit; their records are "
                "scored by the attack classifier trained on all classes.",
                UserWarning,
            )
        self.fallback_classes_ = shadows.classes_[fallback]
        self.classes_ = np.array([0, 1])
        return self

    def _fit_classifiers(self, X, is_in, labels, rng):
        """Fit ``estimator_`` (and ``estimators_``); return the fallback classes.

        With ``per_class``, classes without both IN and OUT rows fall back
        to ``estimator_``, which is only trained then.
        """
        template = (_default_classifier() if self.attack_estimator is None
                    else self.attack_estimator)
        fallback = []
        if self.per_class:
            self.estimators_ = [None] * len(self.shadow_models_.classes_)
            for c in range(len(self.estimators_)):
                in_class = labels == c
                if len(np.unique(is_in[in_class])) < 2:
                    fallback.append(c)
                    continue
                self.estimators_[c] = self._seed(clone(template), rng).fit(
                    X[in_class], is_in[in_class])
        self.estimator_ = None
        if not self.per_class or fallback:
            self.estimator_ = self._seed(clone(template), rng).fit(X, is_in)
        for c in fallback:
            self.estimators_[c] = self.estimator_
        return fallback

    @staticmethod
    def _training_set(shadows, rows, features):
        """Features of every (shadow, record) pair, IN/OUT labels, classes."""
        outputs = shadows.outputs_[:, rows]  # (n_models, n_rows, n_queries, n_classes)
        n_models, n_rows = outputs.shape[:2]
        labels = np.tile(shadows.labels_[rows], n_models)
        X = signal_features(
            labels, **{shadows.output_kind_: outputs.reshape(n_models * n_rows,
                                                             *outputs.shape[2:])},
            signals=features)
        is_in = shadows.keep_[:, rows].reshape(-1).astype(np.int64)
        return X, is_in, labels

    def _target_features(self, records):
        """Features of the target's outputs, and the records' class indices."""
        shadows = self.shadow_models_
        self._check_labels(records)
        kinds, outputs = set(), []
        for X in self._query_inputs(records.X):
            kind, out = model_outputs(self.target, X)
            kinds.add(kind)
            outputs.append(out)
        outputs = np.stack(outputs, axis=1)  # (n, n_queries, n_columns)
        if outputs.shape[-1] != len(shadows.classes_):
            raise ValueError(
                f"The target returns {outputs.shape[-1]} output columns but the "
                f"shadow models {len(shadows.classes_)} classes."
            )
        check_shadow_models(shadows, self.target, who=type(self).__name__)
        labels = np.searchsorted(shadows.classes_, records.y)
        # the shadows' outputs are float32: give the target's the same precision
        outputs = outputs.astype(np.float32)
        X = signal_features(labels, **{kinds.pop(): outputs},
                            signals=check_feature_names(self.features))
        return X, labels

    def _p_member(self, records):
        records = self._check_fitted_and_records(records)
        X, labels = self._target_features(records)
        if not self.per_class:
            return _p_member(self.estimator_, X)
        p = np.empty(len(labels))
        for c in np.unique(labels):
            in_class = labels == c
            p[in_class] = _p_member(self.estimators_[c], X[in_class])
        return p
