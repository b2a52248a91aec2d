"""Shadow-model plumbing: the bases of the attacks that train or take shadows.

:class:`_ShadowAttackMixin` gives an attack its ``shadow_models``,
``n_jobs``, ``random_state``, ``memory`` and ``verbose`` parameters: it
takes a fitted :class:`~skmia.shadow.ShadowModels` or trains one on the
records passed to ``fit``. :class:`_ReferenceAttack` adds what the attacks
that compare the target with the shadows record by record share
(:class:`~skmia.attacks.LiRA`, :class:`~skmia.attacks.RMIA`,
:class:`~skmia.attacks.CalibratedLossAttack`).
"""

import os
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ..shadow import ShadowModels
from ..signals import compute_signal
from ..utils import (
    MAX_INT,
    check_records,
    check_target,
    labels_to_columns,
    model_outputs,
)
from ._base import BaseAttack


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
    _check_same_classes(shadow_models.classes_, target, who=who,
                        what="the shadow models were trained on classes")
    return shadow_models


def _check_same_classes(classes, target, *, who, what, advice=""):
    """The target's classes (where it says) must be ``classes``."""
    target_classes = getattr(target, "classes_", None)
    if target_classes is not None and not np.array_equal(
            np.asarray(target_classes), classes):
        raise ValueError(
            f"{who}: {what} {np.asarray(classes).tolist()} but the target predicts "
            f"classes {np.asarray(target_classes).tolist()}: shadow and target "
            f"outputs would not be comparable.{advice}"
        )


class _ShadowAttackMixin:
    """Shadow-model plumbing of the attacks that train or take a ShadowModels.

    Subclasses list ``**_ShadowAttackMixin._parameter_constraints`` among
    their own. Their ``fit`` calls :meth:`_fit_shadow_models` (which draws
    the shadows' seed first, whether or not ``shadow_models`` is given) and,
    where it needs the records' rows in the shadows' pool, :meth:`_pool_rows`.
    """

    _parameter_constraints = {
        "shadow_models": [None, ShadowModels],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }
    _frozen_params = ("target", "shadow_models")
    #: ``fit(pool)``: the records are the pool the shadows train on, not
    #: records of known membership (see :func:`~skmia.attacks.fit_and_score`).
    fit_requires = "pool"

    def _fit_shadow_models(self, records, *, n_models, queries=None):
        """Draw the shadows' seed, set ``shadow_models_``; return it and the rng.

        The seed is drawn first from ``check_random_state(random_state)``,
        even when ``shadow_models`` is given, so the draws the caller makes
        next from the returned generator are the same either way.
        """
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(MAX_INT))
        shadows = self._set_shadow_models(records, n_models=n_models, seed=seed,
                                          queries=queries)
        return shadows, rng

    def _set_shadow_models(self, records, *, n_models, seed, queries=None):
        """Check the target; set and return ``shadow_models_``.

        ``shadow_models`` itself when given (see :meth:`_take_shadow_models`),
        else ``n_models`` shadows trained on ``records`` from ``seed`` (see
        :meth:`_train_shadow_models`).
        """
        check_target(self.target, who=type(self).__name__)
        if self.shadow_models is None:
            self.shadow_models_ = self._train_shadow_models(
                records, n_models=n_models, seed=seed, queries=queries)
        else:
            self.shadow_models_ = self._take_shadow_models(queries=queries)
        return self.shadow_models_

    def _take_shadow_models(self, *, queries=None):
        """The given ``shadow_models``, checked against the target and ``queries``."""
        who = type(self).__name__
        shadows = check_shadow_models(self.shadow_models, self.target, who=who)
        if queries is not None and shadows.queries != queries:
            raise ValueError(
                f"{who}: augmentations={queries!r} but shadow_models was "
                f"fitted with queries={shadows.queries!r}. The target must be "
                "queried exactly as the shadows were: leave augmentations=None "
                "to use the shadows' queries, or fit the shadows with "
                "queries=augmentations."
            )
        return shadows

    def _train_shadow_models(self, records, *, n_models, seed, queries=None):
        """``n_models`` clones of the target trained on halves of ``records``."""
        who = type(self).__name__
        if records is None:
            raise ValueError(
                f"{who} trains its shadow models on the attacker's pool: call "
                "fit(records), or pass a fitted shadow_models=."
            )
        records = check_records(records)
        _check_same_classes(
            np.unique(records.y), self.target, who=who, what="the pool holds classes",
            advice=" Train the shadows on a pool holding every class of the "
                   "target, and only those.")
        return ShadowModels(
            self._clone_target(), n_models=n_models, n_jobs=self.n_jobs,
            random_state=seed, memory=self.memory, queries=queries,
            verbose=self.verbose,
        ).fit(records)

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

    def _pool_rows(self, records, *, allow_unseen=False):
        """Rows of the records passed to ``fit`` in the shadows' pool.

        All rows for ``records=None``; the records' own positions for
        shadows trained on them. Records outside the pool of given shadows
        are an error, or with ``allow_unseen`` get row -1.
        """
        if records is None:
            return np.arange(self.shadow_models_.keep_.shape[1])
        records = check_records(records)
        if self.shadow_models is None:
            return np.arange(len(records))
        rows = self.shadow_models_.locate(records)
        missing = rows < 0
        if not allow_unseen and np.any(missing):
            raise ValueError(
                f"{int(missing.sum())} of the {len(records)} records passed to "
                "fit are not in the pool shadow_models was fitted on; use "
                "records of that pool (or records=None for all of it), or fit "
                "new shadow models on a pool that holds them."
            )
        return rows

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


def _at_rows(pool_values, rows):
    """Per-pool-record ``pool_values`` at ``rows``; NaN where a row is -1."""
    seen = rows >= 0
    at_rows = np.full((len(rows),) + pool_values.shape[1:], np.nan)
    at_rows[seen] = pool_values[rows[seen]]
    return at_rows


class _ReferenceAttack(_ShadowAttackMixin, BaseAttack):
    """An attack comparing the target with reference (shadow) models per record.

    Subclasses set ``_parameter_constraints`` and implement ``fit`` and
    ``decision_function``; this base locates the scored records in the
    shadows' pool and queries the target and the kept shadow models on the
    shadows' queries.
    """

    def _locate(self, records):
        """Check the attack is fitted; the records, their rows in the pool (or -1)."""
        records = self._check_fitted_and_records(records)
        return records, self.shadow_models_.locate(records)

    def _refuse_outside_pool(self, rows, *, models):
        """Online attacks need IN ``models`` for every record: all in the pool."""
        outside = rows < 0
        if np.any(outside):
            raise ValueError(
                f"{int(outside.sum())} of the {len(rows)} records are not in the "
                f"pool the {models} were fitted on, so none was trained on them: "
                f"online {type(self).__name__} needs IN {models}. Fit the attack "
                "(or its shadow_models) on a pool that contains the records you "
                "score, or use online=False with shadows that kept their models."
            )

    def _target_signal(self, records, signal):
        """The target's ``signal`` on ``records``, per query: (n, n_queries)."""
        self._check_labels(records)
        values = []
        for X in self._query_inputs(records.X):
            kind, outputs = model_outputs(self.target, X)
            if outputs.shape[1] != len(self.shadow_models_.classes_):
                raise ValueError(
                    f"The target returns {outputs.shape[1]} output columns but the "
                    f"shadow models {len(self.shadow_models_.classes_)} classes."
                )
            labels = labels_to_columns(self.target, records.y, outputs.shape[1])
            values.append(compute_signal(signal, labels, **{kind: outputs}))
        return np.stack(values, axis=1)

    def _unseen_values(self, records, signal, *, rows):
        """``signal`` of the kept shadow models on records outside their pool.

        Returns (n_models, n_unseen, n_queries) for the records with
        ``rows == -1``, or raises a clear error if the models were not kept.
        """
        shadows = self.shadow_models_
        unseen = records[rows < 0]
        if getattr(shadows, "estimators_", None) is None:
            raise ValueError(
                f"{len(unseen)} of the {len(records)} records are not in the pool "
                "the shadow models were fitted on, and the shadows did not keep "
                "their models to query them. Score records of the pool, or fit "
                "the shadows with ShadowModels(..., keep_models=True)."
            )
        self._check_labels(unseen)
        labels = np.searchsorted(shadows.classes_, unseen.y)
        inputs = self._query_inputs(unseen.X)
        values = np.empty((len(shadows.estimators_), len(unseen), len(inputs)))
        for m, model in enumerate(shadows.estimators_):
            kinds, outputs = set(), []
            for X in inputs:
                kind, out = model_outputs(model, X)
                kinds.add(kind)
                # stored shadow outputs are float32: give these the same precision
                outputs.append(out.astype(np.float32))
            values[m] = compute_signal(signal, labels, **{
                kinds.pop(): np.stack(outputs, axis=1)})
        return values
