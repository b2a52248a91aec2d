"""Ensembles of shadow (reference) models trained on random halves of a pool."""

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from joblib import cpu_count, effective_n_jobs
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from .. import signals
from .._record_index import RecordIndex
from ..utils import MAX_INT, check_records
from ._jobs import _check_results, _fit_shadows
from ._signal_cache import _SignalCache

__all__ = ["ShadowModels"]


def _stratified_half(y, rng):
    """A random half of the records, half of each class (odd counts alternate)."""
    half = np.zeros(len(y), dtype=bool)
    extra = int(rng.randint(2))
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        n_in = len(members) // 2 + (len(members) % 2) * extra
        extra ^= len(members) % 2
        half[members[:n_in]] = True
    return half


class ShadowModels(BaseEstimator):
    """Shadow models trained on random halves of a pool of records.

    Like :class:`~sklearn.ensemble.BaggingClassifier`, ``fit`` trains
    ``n_models`` clones of ``estimator``, each on its own subset of the
    records, but the subsets come in complementary pairs: models ``2j`` and
    ``2j + 1`` train on a random half of the records (half of each class)
    and on the other half. So every record is in the training set (IN) of
    exactly half of the models (of any even number of the first models,
    which lets studies use the first ``k`` shadows), as in the design of
    Carlini et al. (2022), and every model sees every class. With an odd
    ``n_models`` the last model has no partner. What is kept is what
    attacks need: every model's outputs (logits for skorch classifiers
    trained with cross-entropy, probabilities otherwise) on every record, as
    float32, and the IN/OUT matrix. One fitted ensemble serves any number of
    attacks.

    Parameters
    ----------
    estimator : estimator
        An unfitted classifier with ``fit`` and ``predict_proba``, typically
        ``clone(target)`` or :func:`~skmia.targets.make_target` with the
        target's recipe. It is cloned for every model; when it has a
        ``random_state`` parameter, each clone gets its model's seed.
    n_models : int, default=16
        Number of shadow models (at least 2).
    n_jobs : int, default=None
        Number of models trained in parallel through
        :class:`sklearn.utils.parallel.Parallel`; ``None`` means 1 unless in
        a :func:`joblib.parallel_config` context, -1 means all processors.
        Under ``joblib.parallel_config(backend="dask")`` the models train on a
        ``dask.distributed`` cluster. Also the number of threads that
        compute the models' signals (:meth:`signal`).
    random_state : int, RandomState instance or None, default=None
        Draws the IN/OUT matrix and one seed per model; each job seeds numpy
        and torch with its model's seed.
    memory : str, path or joblib.Memory, default=None
        Where to checkpoint each finished model's results. A rerun with the
        same estimator parameters, records, seed and queries reuses them (a
        killed run resumes where it stopped); anything else is a cache miss.
        Results are written atomically by :class:`joblib.Memory`.
    keep_models : bool, default=False
        Keep the fitted models in ``estimators_`` (they can be large).
    threads_per_model : int or None, default=1
        Threads each model may use (torch and BLAS). With a fixed number,
        results are bit-identical for any ``n_jobs`` and backend; ``None``
        gives each of the ``n_jobs`` workers its share of the cores, which
        is faster with ``n_jobs=1`` but changes floating-point rounding with
        ``n_jobs``. Parallel workers never oversubscribe the cores.
    queries : callable, default=None
        ``queries(X)`` returns a sequence of transformed copies of ``X``
        (e.g. flips and shifts) on which every model is queried; ``None``
        queries the inputs as they are.
    verbose : int, default=0
        Show a progress bar over models when positive.

    Attributes
    ----------
    keep_ : ndarray of shape (n_models, n_records), dtype=bool
        ``keep_[m, i]`` is True when record ``i`` was in model ``m``'s
        training set; rows ``2j`` and ``2j + 1`` are complements.
    seeds_ : ndarray of shape (n_models,)
        The seed of each model.
    outputs_ : ndarray of shape (n_models, n_records, n_queries, n_classes), \
            dtype=float32
        Each model's outputs on each record and query.
    output_kind_ : {"logits", "proba"}
        What ``outputs_`` holds.
    labels_ : ndarray of shape (n_records,)
        The records' labels as column indices of ``outputs_``.
    classes_ : ndarray of shape (n_classes,)
        The labels the shadows were trained on.
    estimators_ : list of estimators
        The fitted models, only with ``keep_models=True``.
    n_trained_, n_reused_ : int
        How many models this ``fit`` trained, and how many it loaded from
        ``memory``.

    References
    ----------
    .. [1] R. Shokri, M. Stronati, C. Song and V. Shmatikov, "Membership
       Inference Attacks Against Machine Learning Models", IEEE S&P 2017.
    .. [2] N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis and F. Tramer,
       "Membership Inference Attacks From First Principles", IEEE S&P 2022.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmia import Records
    >>> from skmia.datasets import load_digits_images
    >>> from skmia.shadow import ShadowModels
    >>> digits = load_digits_images()
    >>> records = Records(digits.data[:400].reshape(400, -1), digits.target[:400])
    >>> shadows = ShadowModels(LogisticRegression(max_iter=200), n_models=4,
    ...                        random_state=0).fit(records)
    >>> shadows.outputs_.shape
    (4, 400, 1, 10)
    >>> shadows.keep_.sum(axis=0).min(), shadows.keep_.sum(axis=0).max()
    (np.int64(2), np.int64(2))
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "n_models": [Interval(Integral, 2, None, closed="left")],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "keep_models": ["boolean"],
        "threads_per_model": [None, Interval(Integral, 1, None, closed="left")],
        "queries": [None, callable],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, n_models=16, *, n_jobs=None, random_state=None,
                 memory=None, keep_models=False, threads_per_model=1, queries=None,
                 verbose=0):
        self.estimator = estimator
        self.n_models = n_models
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.memory = memory
        self.keep_models = keep_models
        self.threads_per_model = threads_per_model
        self.queries = queries
        self.verbose = verbose

    def _check_pool(self, records):
        n = len(records)
        classes, counts = np.unique(records.y, return_counts=True)
        if n < 2 * len(classes) or counts.min() < 2:
            raise ValueError(
                f"The pool is too small to split in halves: {n} records, and "
                f"class {classes[np.argmin(counts)]} has {counts.min()} of them; "
                "each class needs at least 2 records so that it is both IN and "
                "OUT of some models."
            )
        return classes

    def _draw(self, y):
        # Each pair of models draws its half and seeds from its own stream,
        # so a larger ensemble with the same random_state extends a smaller
        # one (and reuses its cached models).
        base = check_random_state(self.random_state).randint(MAX_INT)
        seeds = np.empty(self.n_models, dtype=np.int64)
        keep = np.zeros((self.n_models, len(y)), dtype=bool)
        for m in range(0, self.n_models, 2):
            pair = np.random.RandomState(
                np.random.SeedSequence([base, m // 2]).generate_state(1)[0])
            pair_seeds = pair.randint(MAX_INT, size=2)
            half = _stratified_half(y, pair)
            seeds[m], keep[m] = pair_seeds[0], half
            if m + 1 < self.n_models:
                seeds[m + 1], keep[m + 1] = pair_seeds[1], ~half
        return seeds, keep

    def _threads(self, n_jobs):
        if self.threads_per_model is not None:
            return self.threads_per_model
        return max(1, cpu_count() // max(1, n_jobs))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, records, y=None):
        """Train the shadow models on random halves of ``records``.

        Parameters
        ----------
        records : Records
            The pool: records from the target's distribution.
        y : None
            Ignored.

        Returns
        -------
        self : ShadowModels
        """
        records = check_records(records)
        classes = self._check_pool(records)
        try:
            estimator = clone(self.estimator)
        except Exception as exc:
            raise TypeError(
                f"ShadowModels cannot clone the estimator "
                f"{type(self.estimator).__name__}: {exc}. Pass an unfitted "
                "scikit-learn-compatible estimator (get_params/set_params)."
            ) from exc
        seeds, keep = self._draw(records.y)
        n_jobs = min(effective_n_jobs(self.n_jobs), self.n_models)
        n_threads = self._threads(n_jobs)
        X = records.X
        if isinstance(X, np.ndarray):
            # a fresh C array: workers receive one (pickled), and torch picks
            # its convolution kernels from the strides, so n_jobs=1 must too
            X = np.array(X, order="C", copy=True)
        args = [
            (estimator, X, records.y, keep[m], int(seeds[m]), self.queries,
             n_threads, self.keep_models, m)
            for m in range(self.n_models)
        ]
        results, self.n_reused_ = _fit_shadows(
            args, memory=self.memory, n_jobs=n_jobs, progress=self._progress)
        self.n_trained_ = self.n_models - self.n_reused_
        self._collect(results, classes, records.y)
        self.keep_ = keep
        self.seeds_ = seeds
        self._pool_index = RecordIndex(records)
        self._signal_cache = _SignalCache(self)
        return self

    def _progress(self, results, total):
        if not self.verbose or not total:
            return results
        from tqdm.auto import tqdm

        return tqdm(results, total=total, desc="shadow models", unit="model")

    def _collect(self, results, classes, y):
        self.output_kind_ = _check_results(results, classes)
        self.outputs_ = np.stack([r["outputs"] for r in results])
        self.classes_ = classes
        self.labels_ = np.searchsorted(classes, y)
        if self.keep_models:
            self.estimators_ = [r["model"] for r in results]

    def head(self, n_models):
        """The fitted ensemble of the first ``n_models`` models, without retraining.

        Because models come in complementary pairs, an even ``n_models``
        keeps every record IN for exactly half of them. Useful to study how
        an attack improves with the number of shadows.

        Parameters
        ----------
        n_models : int
            Between 1 and ``self.n_models``.

        Returns
        -------
        ShadowModels
            A fitted copy sharing nothing mutable with ``self``.
        """
        check_is_fitted(self)
        if not 1 <= n_models <= self.n_models:
            raise ValueError(
                f"head() takes between 1 and {self.n_models} models, got {n_models}."
            )
        return self.select(np.arange(n_models))

    def select(self, indices):
        """The fitted ensemble of the models at ``indices``, without retraining.

        Parameters
        ----------
        indices : array-like of int
            Which models to keep (e.g. all but one, to let that one play the
            target in a leave-one-model-out evaluation).

        Returns
        -------
        ShadowModels
            A fitted copy with ``n_models = len(indices)``.
        """
        check_is_fitted(self)
        indices = np.asarray(indices, dtype=np.intp).reshape(-1)
        if not len(indices) or indices.min() < 0 or indices.max() >= self.n_models:
            raise ValueError(
                f"select() takes model indices in [0, {self.n_models - 1}], got "
                f"{indices.tolist()}."
            )
        subset = copy.copy(self)
        subset.n_models = len(indices)
        subset.keep_ = self.keep_[indices]
        subset.seeds_ = self.seeds_[indices]
        subset.outputs_ = self.outputs_[indices]
        # the subset reads the parent's kept signals, sliced, from a cache of its own
        subset._signal_cache = self._kept_signals().subset(indices, subset)
        if hasattr(self, "estimators_"):
            subset.estimators_ = [self.estimators_[i] for i in indices]
        return subset

    def signal(self, name):
        """A signal of every model on every pool record and query.

        Computed from ``outputs_`` and ``labels_`` by
        :func:`~skmia.signals.compute_signal` on first use, by ``n_jobs``
        threads, and kept, so that attacks sharing the ensemble compute it
        once (attacks read the shadows' signals through this method).
        :meth:`select` and :meth:`head` hand their ensembles the kept
        signals of their models. The kept signals belong to this ensemble
        object: they are not pickled, and a copy (:func:`copy.copy`, an
        unpickled ensemble) or an ensemble whose ``outputs_`` were replaced
        computes its own on demand.

        Parameters
        ----------
        name : str
            A key of :data:`skmia.signals.SIGNALS`: ``"loss"``,
            ``"confidence"``, ``"logit"``, ``"entropy"`` or
            ``"modified_entropy"``.

        Returns
        -------
        ndarray of shape (n_models, n_records, n_queries), dtype=float64
            Read-only, finite; not oriented (a loss is a loss).
        """
        check_is_fitted(self)
        if name not in signals.SIGNALS:
            raise ValueError(
                f"Unknown signal {name!r}; valid signals are {sorted(signals.SIGNALS)}."
            )
        return self._kept_signals().get(name, lambda: self._compute_signal(name))

    def _kept_signals(self):
        cache = getattr(self, "_signal_cache", None)
        if cache is None or not cache.serves(self):
            cache = self._signal_cache = _SignalCache(self)
        return cache

    def _compute_signal(self, name):
        values = np.empty(self.outputs_.shape[:3])

        def fill(m):  # one model at a time bounds the float64 copies
            values[m] = signals.compute_signal(name, self.labels_,
                                               **{self.output_kind_: self.outputs_[m]})

        # NumPy releases the GIL: n_jobs threads share the models
        n_threads = min(effective_n_jobs(self.n_jobs), cpu_count(), len(values))
        with ThreadPoolExecutor(max(1, n_threads)) as pool:
            list(pool.map(fill, range(len(values))))
        if not np.all(np.isfinite(values)):  # attacks rely on finite signals
            raise ValueError(
                f"The shadows' outputs give non-finite {name!r} values (NaN or "
                "infinite logits or probabilities in outputs_); no attack can "
                "use them."
            )
        return values

    def locate(self, records):
        """Positions of ``records`` in the pool the shadows were fitted on.

        Parameters
        ----------
        records : Records
            The records to look up.

        Returns
        -------
        ndarray of shape (n_records,)
            Index of each record in the pool (same input bytes and label;
            the first occurrence of a record the pool holds twice), or -1
            for records not in it.

        See Also
        --------
        skmia.RecordIndex : The lookup used, for any set of records.
        """
        check_is_fitted(self)
        return self._pool_index.find(check_records(records))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
