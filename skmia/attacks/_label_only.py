"""Label-only membership inference: attacks that see only the target's ``predict``."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..shadow import ShadowModels
from ..signals import AugmentationQueries
from ..utils import MAX_INT, check_records, check_target, to_numpy
from ._base import BaseAttack, check_membership
from ._classifier_base import _decision_from_p, _p_member, _seed_estimator
from ._docstring import _fill_doc
from ._label_queries import (
    N_BISECTIONS,
    augmentation_features,
    boundary_features,
    gap_features,
    noise_features,
)
from ._shadow_base import check_shadow_models
from ._threshold import _best_threshold, _spread

__all__ = ["LabelOnlyAttack"]

METHODS = ("gap", "augmentation", "noise", "boundary")


@_fill_doc
class LabelOnlyAttack(BaseAttack):
    """Membership inference from the target's predicted labels only.

    The attack calls nothing but ``target.predict``, so it audits models
    that expose no probabilities (an :class:`~sklearn.svm.SVC` without
    ``probability=True``, a served model returning labels). It measures how
    firmly the target labels each record correctly, which is firmer on its
    training records (Choquette-Choo et al. 2021):

    - ``"gap"``: whether the record is labelled correctly (the gap attack
      of Yeom et al. 2018, the baseline): 1 query;
    - ``"augmentation"``: whether each flipped and shifted copy of an image
      is labelled correctly (``augmentations``);
    - ``"noise"``: the fraction of copies with Gaussian noise labelled
      correctly, at each of ``noise_scales`` (the variant for tabular data);
    - ``"boundary"``: the distance to the decision boundary, the smallest
      noise step along random Gaussian directions at which the label
      changes (found by bracketing at ``noise_scales`` then bisection),
      positive for records labelled correctly and negative for the others.

    Noise is drawn per feature with the standard deviation of that feature
    among the records passed to ``fit`` (``input_scale_``), times the scale.
    The features of a record are thresholded on their mean (the count of
    correct queries, or the distance), or fed to an attack classifier
    (``estimator``), learnt from records of known membership
    (``fit(records, membership)``) or from shadow models, whose membership
    is known by construction (``shadow_models=``).

    Parameters
    ----------
    target : fitted classifier
        The model under audit: any fitted object with ``predict`` (a
        scikit-learn classifier, a skorch net, a wrapper around a served
        model). It is never refitted, and :func:`~sklearn.base.clone`
        keeps it.
    method : {"gap", "augmentation", "noise", "boundary"}, default="gap"
        How the target is queried (see above).
    augmentations : callable, default=None
        For ``method="augmentation"``: returns the list of query copies of a
        batch of images, ``X`` itself first; ``None`` means
        :class:`~skmia.signals.AugmentationQueries` ``()`` (the mirror image
        and shifts of up to one pixel: 18 queries).
    noise_scales : array-like of float, default=(0.25, 0.5, 1.0, 2.0, 4.0)
        For ``"noise"``: the noise levels, in units of each feature's
        standard deviation. For ``"boundary"``: the bracketing steps of the
        search (its largest one caps the distance). All must be positive.
    n_queries : int, default=100
        Query budget per record for ``"noise"`` and ``"boundary"``.
        ``"noise"`` draws ``n_queries // len(noise_scales)`` noisy copies
        per scale. ``"boundary"`` asks one query for the unperturbed label
        and searches ``(n_queries - 1) // (len(noise_scales) + 8)``
        directions, each with at most ``len(noise_scales)`` bracketing
        queries and 8 bisections. ``queries_per_record_`` gives the count.
    estimator : classifier, default=None
        An unfitted scikit-learn classifier with ``predict_proba`` learning
        membership from the per-query features (the ``"augmentation"`` and
        ``"noise"`` methods have several); ``None`` thresholds their mean.
    shadow_models : ShadowModels, default=None
        A fitted :class:`~skmia.shadow.ShadowModels` trained like the
        target: the threshold or classifier is learnt from the shadows'
        features on the records passed to ``fit`` (which must be in the
        shadows' pool), labelled IN or OUT for each shadow. Methods other
        than ``"gap"`` query the shadows' models, which they must have kept
        (``keep_models=True``). Used as is, never refitted, and
        :func:`~sklearn.base.clone` keeps it.
    n_jobs : int, default=None
        Number of query batches sent to the target at once (threads).
        Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise and the directions (drawn per query batch, so
        scoring the same records in the same order gives the same scores)
        and every unset ``random_state`` of ``estimator``. Pass an int for
        reproducible results. See :term:`Glossary <random_state>`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    input_scale_ : ndarray
        Standard deviation of each input feature among the records passed
        to ``fit`` (the shape of one input), the unit of the noise.
    queries_per_record_ : int
        The most queries of the target the method makes per record.
    seed_ : int
        The seed of the noise and directions, drawn from ``random_state``.
    threshold_ : float
        The threshold on the features' mean (without ``estimator``).
    estimator_ : classifier
        The fitted attack classifier (with ``estimator``).

    See Also
    --------
    ThresholdAttack : Thresholds on signals of the target's probabilities.
    skmia.signals.AugmentationQueries : The flips and shifts queried.

    Notes
    -----
    Cost: the features of ``fit`` and of :meth:`decision_function` each
    query the target ``queries_per_record_`` times per record, in batches of
    all records (the Python loops run over queries, never over records).
    With the defaults, ``"boundary"`` makes at most 92 queries per record:
    on 1,000 Fashion-MNIST images and a SmallCNN target, 92,000 queries took
    38 to 49 s on 2 busy CPU cores (``benchmarks/bench_label_only.py``).
    Draws depend on the records' positions in the batch: scoring the same
    records in the same order gives the same scores.

    References
    ----------
    .. [1] C. A. Choquette-Choo, F. Tramer, N. Carlini and N. Papernot,
       "Label-Only Membership Inference Attacks", ICML 2021.
    .. [2] S. Yeom, I. Giacomelli, M. Fredrikson and S. Jha, "Privacy Risk in
       Machine Learning: Analyzing the Connection to Overfitting", CSF 2018.

    Examples
    --------
    {split_example}

    The attack needs only labels, so it also audits an
    :class:`~sklearn.svm.SVC` without ``predict_proba`` trained on the same
    records:

    >>> from sklearn.svm import SVC
    >>> from skmia.attacks import LabelOnlyAttack
    >>> svc = SVC(C=10).fit(split.target_in.X, split.target_in.y)
    >>> attack = LabelOnlyAttack(svc, method="boundary", random_state=0)
    >>> bool(attack.fit(records, membership).score(records, membership) > 0.55)
    True
    """

    _parameter_constraints = {
        "target": "no_validation",
        "method": [StrOptions(set(METHODS))],
        "augmentations": [None, callable],
        "noise_scales": ["array-like"],
        "n_queries": [Interval(Integral, 1, None, closed="left")],
        "estimator": [None, HasMethods(["fit", "predict_proba"])],
        "shadow_models": [None, ShadowModels],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
    }
    _frozen_params = ("target", "shadow_models")

    def __init__(self, target=None, *, method="gap", augmentations=None,
                 noise_scales=(0.25, 0.5, 1.0, 2.0, 4.0), n_queries=100,
                 estimator=None, shadow_models=None, n_jobs=None, random_state=None):
        self.target = target
        self.method = method
        self.augmentations = augmentations
        self.noise_scales = noise_scales
        self.n_queries = n_queries
        self.estimator = estimator
        self.shadow_models = shadow_models
        self.n_jobs = n_jobs
        self.random_state = random_state

    @property
    def fit_requires(self):
        """``"membership"``, or ``"pool"`` (records of the shadows' pool) with shadows.

        See :class:`BaseAttack`.
        """
        return "membership" if self.shadow_models is None else "pool"

    def _check_target_and_records(self, records):
        check_target(self.target, who=type(self).__name__, needs="predict")
        records = check_records(records)
        classes = getattr(self.target, "classes_", None)
        if classes is not None:
            unknown = ~np.isin(records.y, np.asarray(classes))
            if np.any(unknown):
                raise ValueError(
                    f"Labels {np.unique(records.y[unknown])[:10].tolist()} are not "
                    f"among the target's classes {np.asarray(classes).tolist()[:20]}."
                )
        if self.method == "augmentation" and np.ndim(records.X) < 3:
            raise ValueError(
                "method='augmentation' queries flipped and shifted copies of "
                "images (n, channels, height, width), but the records' inputs "
                f"have shape {np.shape(records.X)}; for tabular data use "
                "method='noise' (or 'boundary')."
            )
        return records

    def _scales(self):
        scales = np.asarray(self.noise_scales, dtype=np.float64)
        if scales.ndim != 1 or len(scales) == 0 or not np.all(np.isfinite(scales)) \
                or np.any(scales <= 0):
            raise ValueError(
                "noise_scales must be a non-empty list of positive numbers "
                "(noise levels in feature standard deviations); got "
                f"{self.noise_scales!r}."
            )
        return scales

    def _augmentations(self):
        if self.augmentations is None:
            return AugmentationQueries()
        return self.augmentations

    def _budget(self, records):
        """Queries per record: noise draws or directions, and the total."""
        if self.method == "gap":
            return None, 1
        if self.method == "augmentation":
            return None, len(self._augmentations()(records.X[:1]))
        n_scales = len(self._scales())
        per_unit = n_scales if self.method == "noise" else n_scales + N_BISECTIONS
        units = (self.n_queries - (self.method == "boundary")) // per_unit
        if units < 1:
            raise ValueError(
                f"n_queries={self.n_queries} is too small for method="
                f"{self.method!r} with {n_scales} noise_scales: it needs at least "
                f"{per_unit + (self.method == 'boundary')} queries per record."
            )
        return units, units * per_unit + (self.method == "boundary")

    def _features(self, model, records):
        """The method's per-record features of ``model``: (n_records, n_features)."""
        X, y = records.X, np.asarray(records.y)
        if self.method == "gap":
            return gap_features(model, X, y)
        if self.method == "augmentation":
            return augmentation_features(model, X, y, self._augmentations(),
                                         n_jobs=self.n_jobs)
        common = dict(seed=self.seed_, input_scale=self.input_scale_,
                      n_jobs=self.n_jobs)
        if self.method == "noise":
            return noise_features(model, X, y, self._scales(),
                                  n_draws=self._units_, **common)
        return boundary_features(model, X, y, self._scales(),
                                 n_directions=self._units_, **common)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, records, membership=None):
        """Learn the threshold or the attack classifier.

        Parameters
        ----------
        records : Records
            Without ``shadow_models``: records of known membership. With
            ``shadow_models``: records of the shadows' pool.
        membership : array-like of shape (n_records,), default=None
            1 for records in the target's training set, 0 otherwise.
            Required without ``shadow_models``, ignored with it.

        Returns
        -------
        self : LabelOnlyAttack
        """
        records = self._check_target_and_records(records)
        rng = check_random_state(self.random_state)
        self.seed_ = int(rng.randint(MAX_INT))
        self._units_, self.queries_per_record_ = self._budget(records)
        inputs = np.asarray(to_numpy(records.X), dtype=np.float64)
        self.input_scale_ = inputs.std(axis=0).astype(np.float32)
        if self.shadow_models is None:
            if membership is None:
                raise ValueError(
                    "LabelOnlyAttack learns from records of known membership: "
                    "call fit(records, membership), or pass shadow_models=."
                )
            membership = check_membership(membership, records)
            features = self._features(self.target, records)
        else:
            features, membership = self._shadow_features(records)
        self._learn(features, membership, rng)
        self.classes_ = np.array([0, 1])
        return self

    def _shadow_features(self, records):
        """Features of every shadow on ``records``, and IN/OUT labels: stacked."""
        who = type(self).__name__
        shadows = check_shadow_models(self.shadow_models, self.target, who=who)
        rows = shadows.locate(records)
        if np.any(rows < 0):
            raise ValueError(
                f"{who}: {int(np.sum(rows < 0))} of the {len(records)} records "
                "passed to fit are not in the pool shadow_models was fitted on."
            )
        models = getattr(shadows, "estimators_", None)
        if models is not None:
            features = [self._features(model, records) for model in models]
        elif self.method == "gap":  # query 0 of the kept outputs is the record itself
            predicted = shadows.classes_[shadows.outputs_[:, rows, 0].argmax(axis=-1)]
            correct = predicted == np.asarray(records.y)
            features = list(correct[..., None].astype(np.float64))
        else:
            raise ValueError(
                f"{who}: method={self.method!r} queries the shadow models, but "
                "shadow_models did not keep them; fit it with keep_models=True."
            )
        return np.concatenate(features), shadows.keep_[:, rows].ravel().astype(np.int64)

    def _learn(self, features, membership, rng):
        if self.estimator is None:
            score = features.mean(axis=1)
            self.threshold_ = float(_best_threshold(membership, score))
            self.scale_ = _spread(score)
        else:
            estimator = _seed_estimator(clone(self.estimator), rng)
            self.estimator_ = estimator.fit(features, membership)

    def decision_function(self, records):
        """Membership score of each record; positive means member.

        The features' mean minus ``threshold_``, or with ``estimator`` the
        logit of its probability of membership (clipped to ``|score| <=
        36.7``).

        {score_parameters}

        {decision_returns}
        """
        records = self._check_fitted_and_records(records)
        features = self._features(self.target, records)
        if self.estimator is None:
            return features.mean(axis=1) - self.threshold_
        return _decision_from_p(_p_member(self.estimator_, features))

    def _proba_scale(self):
        return self.scale_ if self.estimator is None else 1.0
