"""The one row of leakage metrics reported for an attack's scores."""

import numbers

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.utils import Bunch, check_random_state

from ..utils import MAX_INT
from ._bootstrap import roc_auc_ci, tpr_at_fpr_ci
from ._docstring import _fill_doc
from ._epsilon import empirical_epsilon
from ._roc import membership_advantage, tpr_at_fpr
from ._validation import check_membership_scores

# The empirical epsilon is reported at empirical_epsilon's defaults.
_EPSILON_DELTA = 1e-5
_EPSILON_CONFIDENCE = 0.95
# A TPR is read only where at least this many false positives are allowed.
_MIN_FALSE_POSITIVES = 10


def _check_fprs(fprs):
    levels = []
    for fpr in fprs:
        if (isinstance(fpr, (bool, np.bool_)) or not isinstance(fpr, numbers.Real)
                or not 0 < fpr <= 1):
            raise ValueError(f"fprs must hold rates in (0, 1]; got {fpr!r}.")
        levels.append(float(fpr))
    return levels


@_fill_doc
def leakage_summary(membership, scores, *, fprs=(0.001, 0.01, 0.05), confidence=0.95,
                    n_bootstraps=1000, random_state=None):
    """The leakage metrics of an attack's scores, as one report row.

    Gathers what an audit reports for one attack: the ROC AUC, the TPR at
    each of ``fprs``, both with stratified bootstrap intervals, the
    membership advantage and the empirical lower bound on the
    differential-privacy epsilon. A TPR at an FPR that allows fewer than ten
    false positives (``fpr < 10 / n_non_members``) measures noise: it is not
    reported (``None``, with a note saying why).

    Parameters
    ----------
    {membership}

    {scores}

    fprs : sequence of float, default=(0.001, 0.01, 0.05)
        False positive rates in (0, 1] at which to report the TPR.

    {confidence}

    {n_bootstraps}

    random_state : int, RandomState instance or None, default=None
        Controls the bootstrap resampling. Every interval is computed from
        the same resamples: an int is passed to each interval function as
        it is; otherwise one int seed is drawn from it first. See
        :term:`Glossary <random_state>`.

    Returns
    -------
    summary : :class:`~sklearn.utils.Bunch`
        A dict (JSON-serialisable as it is) with keys:

        - ``auc``: :func:`~sklearn.metrics.roc_auc_score`, a float;
        - ``auc_ci``: ``[low, high]``, from :func:`roc_auc_ci`;
        - ``advantage``: :func:`membership_advantage`;
        - ``epsilon_lower_bound``: :func:`empirical_epsilon` at
          ``delta=1e-5`` and confidence 0.95, given as ``epsilon_delta``
          and ``epsilon_confidence``;
        - ``tpr_at_fpr``: a dict keyed by each FPR written with ``"{:g}"``
          (``"0.01"``), of dicts with ``tpr`` (:func:`tpr_at_fpr`), ``ci``
          (``[low, high]`` from :func:`tpr_at_fpr_ci`) and ``note``: ``None``,
          or why ``tpr`` and ``ci`` are ``None``;
        - ``confidence``: the level of ``auc_ci`` and of every ``ci``.

    See Also
    --------
    roc_auc_ci : Interval of the ROC AUC.
    tpr_at_fpr_ci : Interval of the TPR at a fixed FPR.
    empirical_epsilon : Differential-privacy lower bound implied by an attack.
    skmia.model_selection.leave_one_model_out : This row over pooled targets.

    Notes
    -----
    {bootstrap_notes}

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> from skmia.metrics import leakage_summary
    >>> rng = np.random.RandomState(0)
    >>> membership = np.repeat([1, 0], 500)
    >>> scores = rng.normal(loc=membership)
    >>> summary = leakage_summary(membership, scores, fprs=(0.001, 0.05),
    ...                           n_bootstraps=200, random_state=0)
    >>> round(summary.auc, 3)
    0.773
    >>> bool(summary.auc_ci[0] < summary.auc < summary.auc_ci[1])
    True
    >>> summary.tpr_at_fpr["0.001"]["note"]
    'not reported: FPR 0.001 needs at least 10000 non-members, there are 500'
    >>> summary.tpr_at_fpr["0.05"]["tpr"]
    0.294
    >>> json.loads(json.dumps(summary)) == summary
    True
    """
    membership, scores = check_membership_scores(membership, scores)
    levels = _check_fprs(fprs)
    if not isinstance(random_state, numbers.Integral):
        random_state = int(check_random_state(random_state).randint(MAX_INT))
    n_non_members = int(np.sum(membership == 0))
    interval = {"confidence": confidence, "n_bootstraps": n_bootstraps,
                "random_state": random_state}
    summary = Bunch(
        auc=float(roc_auc_score(membership, scores)),
        auc_ci=[float(v) for v in roc_auc_ci(membership, scores, **interval)],
        advantage=float(membership_advantage(membership, scores)),
        epsilon_lower_bound=float(empirical_epsilon(
            membership, scores, delta=_EPSILON_DELTA, confidence=_EPSILON_CONFIDENCE)),
        tpr_at_fpr={},
        confidence=float(confidence),
        epsilon_delta=_EPSILON_DELTA,
        epsilon_confidence=_EPSILON_CONFIDENCE,
    )
    for fpr in levels:
        entry = {"tpr": None, "ci": None, "note": None}
        if fpr < _MIN_FALSE_POSITIVES / n_non_members:
            entry["note"] = (
                f"not reported: FPR {fpr:g} needs at least "
                f"{int(np.ceil(_MIN_FALSE_POSITIVES / fpr))} non-members, there are "
                f"{n_non_members}")
        else:
            entry["tpr"] = float(tpr_at_fpr(membership, scores, fpr=fpr))
            low, high = tpr_at_fpr_ci(membership, scores, fpr=fpr, **interval)
            entry["ci"] = [float(low), float(high)]
        summary.tpr_at_fpr[f"{fpr:g}"] = entry
    return summary
