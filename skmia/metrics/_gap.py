"""Generalization gap against leakage across a grid of defenses."""

import numpy as np
from scipy.stats import pearsonr
from sklearn.utils import Bunch

__all__ = ["generalization_gap_vs_leakage"]


def generalization_gap_vs_leakage(search, *, leakage="mia_auc", utility="accuracy"):
    """Train-test utility gap and leakage of each candidate of a grid search.

    Membership leakage grows with overfitting (Yeom et al. 2018; Shokri et
    al. 2017, §4.1): this puts the two side by side for every candidate of
    a search scored with a utility and a leakage scorer, and measures their
    correlation.

    Parameters
    ----------
    search : fitted GridSearchCV or RandomizedSearchCV, or dict
        A search fitted with ``return_train_score=True`` and
        ``scoring={utility: ..., leakage: make_privacy_scorer(...)}``, or its
        ``cv_results_`` dict. Alternatively a dict with equal-length
        sequences ``"gap"`` and ``"leakage"`` (and optional ``"labels"``)
        from audited runs made by hand.
    leakage : str, default="mia_auc"
        Key of the leakage scorer.
    utility : str, default="accuracy"
        Key of the utility scorer.

    Returns
    -------
    result : Bunch
        ``gap`` (mean train minus mean test utility), ``leakage`` (mean
        test leakage), ``labels`` (the candidates' parameters as text),
        ``correlation`` (Pearson's r, NaN with fewer than 3 points or no
        variation) and ``pvalue``.

    Examples
    --------
    >>> from skmia.metrics import generalization_gap_vs_leakage
    >>> result = generalization_gap_vs_leakage(
    ...     {"gap": [0.0, 0.05, 0.1, 0.2], "leakage": [0.5, 0.55, 0.56, 0.7]})
    >>> round(result.correlation, 3)
    0.973
    """
    results = getattr(search, "cv_results_", search)
    if not isinstance(results, dict):
        raise TypeError(
            "Pass a fitted GridSearchCV/RandomizedSearchCV, its cv_results_, or a "
            f"dict with 'gap' and 'leakage'; got {type(search).__name__}."
        )
    if "gap" in results and "leakage" in results:
        gap = np.asarray(results["gap"], dtype=float)
        leak = np.asarray(results["leakage"], dtype=float)
        labels = list(results.get("labels", [str(i) for i in range(len(gap))]))
    else:
        train_key = f"mean_train_{utility}"
        needed = [train_key, f"mean_test_{utility}", f"mean_test_{leakage}"]
        missing = [key for key in needed if key not in results]
        if missing:
            hint = (" Fit the search with return_train_score=True."
                    if train_key in missing else "")
            raise ValueError(f"cv_results_ lacks {missing}.{hint}")
        gap = np.asarray(results[train_key], float) - np.asarray(
            results[f"mean_test_{utility}"], float)
        leak = np.asarray(results[f"mean_test_{leakage}"], dtype=float)
        labels = [_format_params(p) for p in results.get("params", [{}] * len(gap))]
    if gap.shape != leak.shape or gap.ndim != 1:
        raise ValueError(
            f"gap and leakage must be 1-d of equal length; got {gap.shape} and "
            f"{leak.shape}."
        )
    if len(gap) >= 3 and np.ptp(gap) > 0 and np.ptp(leak) > 0:
        r, p = pearsonr(gap, leak)
    else:
        r, p = np.nan, np.nan
    return Bunch(gap=gap, leakage=leak, labels=labels, correlation=float(r),
                 pvalue=float(p), leakage_name=leakage, utility_name=utility)


def _format_params(params):
    return ", ".join(f"{k.split('__')[-1]}={v}" for k, v in params.items())
