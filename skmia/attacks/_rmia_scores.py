"""RMIA's arithmetic as plain functions: ``Pr(x)`` offline, domination, tuning ``a``."""

import numpy as np
from sklearn.metrics import roc_auc_score

_TINY = np.finfo(np.float64).tiny

#: Values of ``a`` tried by ``offline_a="auto"``.
_A_GRID = np.round(np.linspace(0.0, 1.0, 11), 10)


def _offline_proba(pr_out, a):
    """Zarifzadeh et al.'s approximation ``Pr(x) = ((1+a) Pr_OUT(x) + 1-a) / 2``."""
    return 0.5 * ((1.0 + a) * pr_out + (1.0 - a))


def _n_dominated(ratio_x, sorted_ratio_z, gamma):
    """``#{z : ratio_x / ratio_z >= gamma}`` for each x, without the n x m matrix.

    ``sorted_ratio_z`` is sorted ascending and non-negative, so the
    predicate (evaluated exactly as written, with the same float division a
    brute-force comparison would do) holds on a prefix of it: correctly
    rounded division is monotone in the divisor. A vectorised bisection
    finds each prefix's length in ``ceil(log2(m + 1))`` passes over the x's:
    O(n log m) time, O(n + m) memory.
    """
    n, m = len(ratio_x), len(sorted_ratio_z)
    lo = np.zeros(n, dtype=np.intp)
    hi = np.full(n, m, dtype=np.intp)
    active = np.flatnonzero(lo < hi)
    while active.size:
        mid = (lo[active] + hi[active]) // 2
        with np.errstate(divide="ignore", invalid="ignore"):
            holds = ratio_x[active] / sorted_ratio_z[mid] >= gamma
        lo[active] = np.where(holds, mid + 1, lo[active])
        hi[active] = np.where(holds, hi[active], mid)
        active = active[lo[active] < hi[active]]
    return lo


def _tune_offline_a(confidence, keep, gamma, *, who):
    """The ``a`` of ``_A_GRID`` with the best mean AUC, each shadow as the target.

    ``confidence`` and ``keep`` are the shadows' (n_models, n_pool)
    true-class probabilities and IN/OUT matrix; in each model's turn, the
    other models that are OUT for a record are its references.
    """
    n_models = keep.shape[0]
    aucs = []
    for t in range(n_models):
        others = np.arange(n_models) != t
        out = ~keep[others]
        n_out = out.sum(axis=0)
        usable = n_out > 0
        membership = keep[t, usable]
        if membership.all() or not membership.any():
            continue
        pr_out = (np.where(out, confidence[others], 0.0).sum(axis=0)[usable]
                  / n_out[usable])
        p_target = confidence[t, usable]
        row = []
        for a in _A_GRID:
            ratios = p_target / np.maximum(_offline_proba(pr_out, a), _TINY)
            scores = _n_dominated(ratios, np.sort(ratios), gamma)
            row.append(roc_auc_score(membership, scores))
        aucs.append(row)
    if not aucs:
        raise ValueError(
            f"{who}: offline_a='auto' lets each shadow model play the target "
            "with the others' OUT models as references, which needs at least 3 "
            f"shadow models; there are {n_models}. Pass a number for offline_a, "
            "or shadow_models with more models."
        )
    return float(_A_GRID[np.argmax(np.mean(aucs, axis=0))])
