"""Attacks that learn membership with a classifier on signal features."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ..signals import check_feature_names, signal_feature_names, signal_features
from ..utils import check_records, check_target, query_target
from ._base import _FrozenParamsMixin, check_membership
from ._classifier_base import (
    _ClassifierAttack,
    _default_classifier,
    _member_column,
    _p_member,
)
from ._docstring import _fill_doc

__all__ = ["MetaClassifierAttack", "SignalTransformer"]

DEFAULT_SIGNALS = ("loss", "confidence", "entropy", "modified_entropy")


@_fill_doc
class SignalTransformer(_FrozenParamsMixin, TransformerMixin, BaseEstimator):
    """Signal features of records, from a fitted target: a transformer.

    ``transform(records)`` queries the target on the records and returns
    :func:`~skmia.signals.signal_features` of its outputs, one row per
    record. It is the first step of :class:`MetaClassifierAttack` and can
    start any scikit-learn :class:`~sklearn.pipeline.Pipeline` that learns
    membership, e.g. ``make_pipeline(SignalTransformer(target),
    StandardScaler(), LogisticRegression())`` fitted with
    ``fit(records, membership)``. Like the attacks, it holds the target
    frozen: :func:`~sklearn.base.clone` keeps the same fitted target, so
    cross-validation and grid searches never refit it.

    Parameters
    ----------
    {target}
    signals : str or sequence of str, \
            default=("loss", "confidence", "entropy", "modified_entropy")
        The features, in column order: ``"sorted_proba"``, ``"proba"`` or
        any name in :data:`~skmia.signals.SIGNALS`; see
        :func:`~skmia.signals.signal_features`.
    {top_k}

    Attributes
    ----------
    n_target_classes_ : int
        Number of the target's output columns (classes), seen in ``fit``.
    n_features_out_ : int
        Number of columns ``transform`` returns.

    See Also
    --------
    skmia.signals.signal_features : The features, from model outputs.
    MetaClassifierAttack : This transformer followed by a classifier.

    Examples
    --------
    {split_example}
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmia.attacks import SignalTransformer
    >>> SignalTransformer(target).fit(records).get_feature_names_out()
    array(['loss', 'confidence', 'entropy', 'modified_entropy'], dtype=object)
    >>> pipe = make_pipeline(SignalTransformer(target), LogisticRegression())
    >>> cross_val_score(pipe, records, membership, scoring="roc_auc").mean() > 0.8
    np.True_
    """

    _parameter_constraints = {
        "target": "no_validation",
        "signals": [str, list, tuple],
        "top_k": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, target=None, signals=DEFAULT_SIGNALS, *, top_k=None):
        self.target = target
        self.signals = signals
        self.top_k = top_k

    def _features(self, records):
        """Features of ``records`` and the number of the target's output columns."""
        outputs = query_target(self.target, records)
        features = signal_features(outputs.labels, **outputs.kwargs,
                                   signals=self.signals, top_k=self.top_k)
        return features, outputs.n_columns

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, records, y=None):
        """Check the target and return the features of ``records``.

        Parameters
        ----------
        records : Records
            Records to query the target on.
        y : None
            Ignored (membership labels are for the next pipeline steps).

        Returns
        -------
        features : ndarray of shape (n_records, n_features_out)
            The features of each record, see
            :func:`~skmia.signals.signal_features`.
        """
        check_target(self.target, who=type(self).__name__)
        records = check_records(records)
        check_feature_names(self.signals)
        features, self.n_target_classes_ = self._features(records)
        self.n_features_out_ = features.shape[1]
        return features

    def fit(self, records, y=None):
        """Check the target and the features.

        Parameters
        ----------
        records : Records
            Records to query the target on.
        y : None
            Ignored.

        Returns
        -------
        self : SignalTransformer
            The fitted transformer.
        """
        self.fit_transform(records, y)
        return self

    def transform(self, records):
        """Signal features of ``records`` from the target's outputs.

        Parameters
        ----------
        records : Records
            Records to query the target on.

        Returns
        -------
        features : ndarray of shape (n_records, n_features_out), dtype=float64
            The features of each record, see
            :func:`~skmia.signals.signal_features`.
        """
        check_is_fitted(self)
        check_target(self.target, who=type(self).__name__)
        features, n_columns = self._features(check_records(records))
        if n_columns != self.n_target_classes_:
            raise ValueError(
                f"The target now returns {n_columns} output columns, but "
                f"{self.n_target_classes_} at fit; was it refitted?"
            )
        return features

    def get_feature_names_out(self, input_features=None):
        """Get output feature names, e.g. ``sorted_proba_0`` or ``loss``.

        Parameters
        ----------
        input_features : None
            Ignored (the input is records, not named columns).

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`.
        """
        check_is_fitted(self)
        return signal_feature_names(self.signals, self.n_target_classes_,
                                    top_k=self.top_k)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


@_fill_doc
class MetaClassifierAttack(_ClassifierAttack):
    """A scikit-learn classifier that learns membership from signal features.

    The attacker knows the membership of some records (for instance, a
    sample of the training set and records from the same distribution that
    the target never saw). Each record is described by signal features of
    the target's output on it (loss, confidence, entropy...; see
    :func:`~skmia.signals.signal_features`), and ``estimator`` learns
    membership from them. It generalises a threshold attack: several
    signals are combined, and any classifier or pipeline can be used.

    ``fit(records, membership)`` is ``SignalTransformer(target, signals,
    top_k)`` followed by ``clone(estimator)``: the attack equals
    ``make_pipeline(SignalTransformer(target, signals), estimator)``, with
    the attack conventions (``decision_function`` centred on 0, ROC AUC
    ``score``).

    Parameters
    ----------
    {target}
    estimator : classifier, default=None
        Any scikit-learn classifier or pipeline with ``predict_proba``,
        learning membership (0/1) from the features. It is cloned in
        ``fit``. ``None`` means ``make_pipeline(StandardScaler(),
        LogisticRegression(max_iter=1000))``.
    signals : str or sequence of str, \
            default=("loss", "confidence", "entropy", "modified_entropy")
        The features: ``"sorted_proba"``, ``"proba"`` or any name in
        :data:`~skmia.signals.SIGNALS`; see
        :func:`~skmia.signals.signal_features`.
    {top_k}
    {estimator_random_state}

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: non-member, member.
    signal_transformer_ : SignalTransformer
        The fitted feature step.
    estimator_ : classifier
        The fitted clone of ``estimator``.

    See Also
    --------
    SignalTransformer : The feature step, for your own pipelines.
    ThresholdAttack : A threshold on a single signal.
    ShadowModelAttack : Learns membership from shadow models instead of
        known members.

    References
    ----------
    .. [1] L. Song and P. Mittal, "Systematic Evaluation of Privacy Risks of
       Machine Learning Models", USENIX Security 2021.
    .. [2] A. Salem, Y. Zhang, M. Humbert, P. Berrang, M. Fritz and
       M. Backes, "ML-Leaks: Model and Data Independent Membership Inference
       Attacks and Defenses on Machine Learning Models", NDSS 2019.

    Examples
    --------
    {split_example}
    >>> from sklearn.model_selection import cross_val_score
    >>> from skmia.attacks import MetaClassifierAttack
    >>> attack = MetaClassifierAttack(target, signals=("loss", "entropy"))
    >>> cross_val_score(attack, records, membership).mean() > 0.8
    np.True_
    """

    _parameter_constraints = {
        **SignalTransformer._parameter_constraints,  # target, signals, top_k
        "estimator": [None, HasMethods(["fit", "predict_proba"])],
        "random_state": ["random_state"],
    }

    def __init__(self, target=None, estimator=None, *, signals=DEFAULT_SIGNALS,
                 top_k=None, random_state=None):
        self.target = target
        self.estimator = estimator
        self.signals = signals
        self.top_k = top_k
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records, membership=None):
        """Learn membership from the features of records of known membership.

        Parameters
        ----------
        records : Records
            Records whose membership the attacker knows.
        membership : array-like of shape (n_records,)
            1 for records in the target's training set, 0 otherwise.

        Returns
        -------
        self : MetaClassifierAttack
            The fitted attack.
        """
        records = self._check_target_and_records(records)
        if membership is None:
            raise ValueError(
                "MetaClassifierAttack learns from records of known membership: "
                "call fit(records, membership)."
            )
        membership = check_membership(membership, records)
        rng = check_random_state(self.random_state)
        transformer = SignalTransformer(self.target, self.signals, top_k=self.top_k)
        features = transformer.fit_transform(records)
        estimator = _default_classifier() if self.estimator is None else self.estimator
        self.estimator_ = self._seed(clone(estimator), rng).fit(features, membership)
        _member_column(self.estimator_)
        self.signal_transformer_ = transformer
        self.classes_ = np.array([0, 1])
        return self

    def _p_member(self, records):
        records = self._check_fitted_and_records(records)
        return _p_member(self.estimator_, self.signal_transformer_.transform(records))
