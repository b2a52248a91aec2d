"""Leave-one-model-out evaluation of attacks on a shared shadow ensemble."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..utils import MAX_INT

__all__ = ["leave_one_model_out"]


def leave_one_model_out(attack, shadow_models, records, *, n_targets=None,
                        n_shadow_models=None, fprs=(0.001, 0.01), confidence=0.95,
                        n_bootstraps=1000, random_state=None):
    """Evaluate an attack with each shadow model in turn playing the target.

    One model trained on a random half of the pool is a single draw: its
    ROC has few points at low FPR. Following Carlini et al. (2022), each of
    ``n_targets`` models of a fitted ensemble in turn plays the target (its
    training half are the members, the other half the non-members) while
    the remaining models but its complementary partner are the attack's
    shadows (with the partner, every member would be IN for one shadow
    fewer than OUT, and every non-member the reverse); the scores of all turns
    are pooled before computing the metrics, with stratified bootstrap
    intervals. A TPR at an FPR below ``10 / n_nonmembers`` (pooled) is not
    reported: with fewer than ten false positives allowed it measures
    noise, so it is ``None`` with a warning.

    Parameters
    ----------
    attack : attack estimator
        An unfitted attack taking ``shadow_models=`` (e.g.
        :class:`~skmia.attacks.LiRA`, :class:`~skmia.attacks.RMIA`,
        :class:`~skmia.attacks.ShadowModelAttack`,
        :class:`~skmia.attacks.ThresholdAttack`); it is cloned for each turn.
    shadow_models : ShadowModels
        Fitted with ``keep_models=True`` (the model playing the target must
        be queried).
    records : Records
        The pool the shadows were fitted on (every record is scored in every
        turn).
    n_targets : int, default=None
        How many models play the target in turn (the first ones); ``None``
        means all.
    n_shadow_models : int, default=None
        How many of the remaining models are the shadows of each turn: the
        first ones in model order, once the target and its partner are left
        out (so an even number keeps complementary pairs, and every turn has
        the same number of shadows). ``None`` means all of them
        (``n_models - 2``, or ``n_models - 1`` for the unpaired last model of
        an odd ensemble). To study how an attack improves with the number
        of shadows, fit one large ensemble and vary this.
    fprs : sequence of float, default=(0.001, 0.01)
        FPRs at which to report the TPR.
    confidence : float, default=0.95
        Level of the bootstrap intervals.
    n_bootstraps : int, default=1000
        Bootstrap resamples.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap and the attacks.

    Returns
    -------
    result : Bunch
        ``membership`` and ``scores`` (pooled), ``target_index`` (which
        model was the target for each pooled score), ``auc``, ``auc_ci``,
        ``tpr_at_fpr`` and ``tpr_at_fpr_ci`` (dicts keyed by FPR), and
        ``per_target_auc``; ``summary`` is the whole row of
        :func:`~skmia.metrics.leakage_summary` on the pooled scores (these
        values, with the membership advantage and the empirical epsilon).

    References
    ----------
    .. [1] N. Carlini et al., "Membership Inference Attacks From First
       Principles", IEEE S&P 2022.
    """
    from sklearn.metrics import roc_auc_score

    from ..metrics import leakage_summary

    _check_ensemble(shadow_models, n_targets, n_shadow_models)
    n_targets = shadow_models.n_models if n_targets is None else n_targets
    seed = int(check_random_state(random_state).randint(MAX_INT))
    membership, scores, owner = _pooled_turns(attack, shadow_models, records, n_targets,
                                              n_shadow_models, seed)
    summary = leakage_summary(membership, scores, fprs=fprs, confidence=confidence,
                              n_bootstraps=n_bootstraps, random_state=seed)
    per_target = [roc_auc_score(membership[owner == t], scores[owner == t])
                  for t in range(n_targets)]
    result = Bunch(membership=membership, scores=scores, target_index=owner,
                   per_target_auc=np.array(per_target), auc=summary.auc,
                   auc_ci=tuple(summary.auc_ci), tpr_at_fpr={}, tpr_at_fpr_ci={},
                   summary=summary)
    n_out = int(np.sum(membership == 0))
    for fpr in fprs:
        entry = summary.tpr_at_fpr[f"{fpr:g}"]
        if entry["tpr"] is None:
            warnings.warn(
                f"Not reporting TPR at FPR={fpr:g}: {n_out} pooled non-members allow "
                "fewer than 10 false positives (needs at least "
                f"{int(np.ceil(10 / fpr))}).",
                UserWarning, stacklevel=2)
        result.tpr_at_fpr[fpr] = entry["tpr"]
        result.tpr_at_fpr_ci[fpr] = None if entry["ci"] is None else tuple(entry["ci"])
    return result


def _check_ensemble(shadow_models, n_targets, n_shadow_models):
    check_is_fitted(shadow_models)
    if not hasattr(shadow_models, "estimators_"):
        raise ValueError(
            "leave_one_model_out needs the shadows' models (each plays the "
            "target in turn): fit ShadowModels with keep_models=True."
        )
    n_models = shadow_models.n_models
    n_targets = n_models if n_targets is None else n_targets
    if not 1 <= n_targets <= n_models or n_models < 4:
        raise ValueError(
            f"n_targets must be in [1, {n_models}] and the ensemble needs at least "
            "4 models (a target, its partner, two shadows); got "
            f"n_targets={n_targets}, "
            f"n_models={n_models}."
        )
    if n_shadow_models is not None and (
            not isinstance(n_shadow_models, Integral)
            or not 1 <= n_shadow_models <= n_models - 2):
        raise ValueError(
            f"n_shadow_models must be an integer in [1, {n_models - 2}] (the "
            f"{n_models} models but the target and its partner); got "
            f"{n_shadow_models!r}."
        )


def _pooled_turns(attack, shadow_models, records, n_targets, n_shadow_models, seed):
    """Membership, scores and target index of every turn, concatenated."""
    from ..attacks import fit_and_score

    positions = shadow_models.locate(records)
    if np.any(positions < 0):
        raise ValueError(
            f"{int(np.sum(positions < 0))} records are not in the shadows' pool."
        )
    n_models = shadow_models.n_models
    all_membership, all_scores = [], []
    for t in range(n_targets):
        # leave out the target's complementary partner too (t ^ 1): otherwise
        # members are IN for one shadow fewer than OUT, and non-members the reverse
        others = np.setdiff1d(np.arange(n_models), [t, t ^ 1])[:n_shadow_models]
        turn = clone(attack).set_params(target=shadow_models.estimators_[t],
                                        shadow_models=shadow_models.select(others))
        membership = shadow_models.keep_[t, positions].astype(np.int64)
        scores = fit_and_score(turn, records, membership, pool=records,
                               random_state=seed)
        all_membership.append(membership)
        all_scores.append(np.asarray(scores, dtype=np.float64))
    owner = np.repeat(np.arange(n_targets), len(records))
    return np.concatenate(all_membership), np.concatenate(all_scores), owner
