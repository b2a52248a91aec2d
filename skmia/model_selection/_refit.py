"""Refit rules for grid searches that score both utility and leakage."""

import numpy as np

__all__ = ["leakage_bounded_refit"]


class leakage_bounded_refit:  # noqa: N801 - used like a function
    """Refit rule: the most useful candidate whose leakage stays under a bound.

    Pass an instance as ``refit=`` to
    :class:`~sklearn.model_selection.GridSearchCV` scored with a dict that
    holds a utility and a leakage scorer: among candidates whose mean
    leakage (e.g. attack AUC, from :func:`~skmia.metrics.make_privacy_scorer`)
    is at most ``max_leakage``, it picks the one with the highest mean
    utility (ties: the lower leakage).

    Parameters
    ----------
    max_leakage : float
        The largest acceptable mean leakage (e.g. ``0.6`` for AUC).
    leakage : str, default="mia_auc"
        Key of the leakage scorer in the ``scoring`` dict.
    utility : str, default="accuracy"
        Key of the utility scorer in the ``scoring`` dict.

    Raises
    ------
    ValueError
        When called on results where no candidate meets the bound (the
        message gives the smallest leakage found), or where a key is
        missing.

    Examples
    --------
    >>> import numpy as np
    >>> rule = leakage_bounded_refit(0.6)
    >>> rule({"mean_test_accuracy": np.array([0.99, 0.95, 0.90]),
    ...       "mean_test_mia_auc": np.array([0.75, 0.58, 0.52])})
    1
    """

    def __init__(self, max_leakage, *, leakage="mia_auc", utility="accuracy"):
        self.max_leakage = max_leakage
        self.leakage = leakage
        self.utility = utility

    def __call__(self, cv_results):
        keys = {f"mean_test_{self.leakage}", f"mean_test_{self.utility}"}
        missing = sorted(keys - set(cv_results))
        if missing:
            raise ValueError(
                f"leakage_bounded_refit needs {missing} in cv_results_; score the "
                f"search with scoring={{'{self.utility}': ..., '{self.leakage}': ...}}."
            )
        leak = np.asarray(cv_results[f"mean_test_{self.leakage}"], dtype=float)
        util = np.asarray(cv_results[f"mean_test_{self.utility}"], dtype=float)
        ok = np.flatnonzero(leak <= self.max_leakage)
        if not len(ok):
            raise ValueError(
                f"No candidate has mean {self.leakage} <= {self.max_leakage}; the "
                f"smallest is {np.nanmin(leak):.4f}. Relax the bound or add "
                "stronger defenses to the grid."
            )
        best = max(ok, key=lambda i: (util[i], -leak[i]))
        return int(best)

    def __repr__(self):
        return (f"leakage_bounded_refit({self.max_leakage!r}, leakage={self.leakage!r}, "
                f"utility={self.utility!r})")
