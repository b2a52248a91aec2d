"""Pooled rows: every shadow model in turn plays the target of the same recipe.

One target of the embedded default has a few hundred non-members, too few
for a TPR at 1% FPR. The shadows are trained exactly like the target, so
:func:`~skmia.model_selection.leave_one_model_out` lets each of them play the
target in turn and pools the scores: the rows describe "models trained this
way", with thousands of non-members.
"""

import logging
import time
import warnings

import numpy as np

from ._attacks import needs_shadows

__all__ = ["pool_attacks"]

logger = logging.getLogger("skmia")

#: At most this many models play the target in turn (the first ones; the
#: rest are shadows only): enough non-members on digits, a bounded cost for
#: a large ensemble of large models.
MAX_TURNS = 16


def pool_attacks(attacks, shadows, pool, *, metrics, seed):
    """Leave-one-model-out rows of every attack that learns from shadows.

    Parameters
    ----------
    attacks : list of dict
        From ``build_attacks`` (unfitted).
    shadows : ShadowModels
        Fitted with ``keep_models=True`` on ``pool``; at least 4 models.
    pool : Records
        The shadows' pool: every record is scored in every turn.
    metrics : dict
        The ``metrics`` config section (FPRs, confidence, bootstraps).
    seed : int
        Seeds the attacks and the bootstrap.

    Returns
    -------
    rows : list of dict
        ``attack`` (the label) and the pooled
        :func:`~skmia.metrics.leakage_summary` row; attacks without shadows
        (a meta-classifier, a user threshold) have no pooled row, nor an
        attack the ensemble less two models cannot fit (logged).
        At most :data:`MAX_TURNS` models play the target.
    curves : dict
        Label -> ``(membership, scores)`` pooled over the turns.
    seconds : float
        Wall time.
    """
    from ..model_selection import leave_one_model_out

    start = time.perf_counter()
    rows, curves = [], {}
    if shadows is None or shadows.n_models < 4:
        return rows, curves, time.perf_counter() - start
    n_turns = min(shadows.n_models, MAX_TURNS)
    for item in attacks:
        if not needs_shadows(item["attack"]):
            continue
        n_shadow = item["n_shadow_models"]
        if n_shadow is not None:
            n_shadow = min(n_shadow, shadows.n_models - 2)
        try:
            with warnings.catch_warnings():
                # a refused TPR is in the row, with its note: no warning twice
                warnings.simplefilter("ignore", UserWarning)
                result = leave_one_model_out(
                    item["attack"], shadows, pool,
                    n_targets=n_turns, n_shadow_models=n_shadow,
                    fprs=metrics["fprs"], confidence=metrics["confidence"],
                    n_bootstraps=metrics["n_bootstraps"], random_state=seed)
        except ValueError as exc:
            # e.g. LiRA's variance from too few shadows once two are left out
            logger.warning(f"no pooled row for {item['label']}: {exc}")
            continue
        rows.append({"attack": item["label"], **result.summary})
        curves[item["label"]] = (result.membership, np.asarray(result.scores))
    return rows, curves, time.perf_counter() - start
