"""Generalization gap against membership leakage."""

from ..metrics import generalization_gap_vs_leakage

__all__ = ["GapLeakageDisplay"]


class GapLeakageDisplay:
    """Scatter of membership leakage against the generalization gap.

    One point per candidate defense (or audited run), with Pearson's
    correlation in the title: the picture of Shokri et al. (2017, §4.1) and
    Yeom et al. (2018), where leakage grows with overfitting.

    Parameters
    ----------
    gap : ndarray of shape (n_points,)
        Train minus test utility (e.g. accuracy).
    leakage : ndarray of shape (n_points,)
        Attack leakage (e.g. AUC).
    labels : list of str, default=None
        Point annotations (e.g. the candidates' parameters).
    correlation : float, default=None
        Pearson's r shown in the title.
    leakage_name, utility_name : str, default="mia_auc", "accuracy"
        Axis labels.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    scatter_ : matplotlib PathCollection

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmia.plotting import GapLeakageDisplay
    >>> display = GapLeakageDisplay.from_runs([0.0, 0.1, 0.2], [0.5, 0.58, 0.66])
    >>> display.ax_.get_title()
    'Pearson r = 1.00 over 3 candidates'
    """

    def __init__(self, *, gap, leakage, labels=None, correlation=None,
                 leakage_name="mia_auc", utility_name="accuracy"):
        self.gap = gap
        self.leakage = leakage
        self.labels = labels
        self.correlation = correlation
        self.leakage_name = leakage_name
        self.utility_name = utility_name

    def plot(self, ax=None, *, annotate=True, **kwargs):
        """Draw the scatter on ``ax`` (a new figure if None)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        self.scatter_ = ax.scatter(self.gap, self.leakage, **kwargs)
        if annotate and self.labels is not None:
            for x, y, text in zip(self.gap, self.leakage, self.labels):
                ax.annotate(text, (x, y), fontsize=7, xytext=(3, 3),
                            textcoords="offset points")
        ax.set_xlabel(f"generalization gap (train - test {self.utility_name})")
        ax.set_ylabel(f"leakage ({self.leakage_name})")
        r = self.correlation
        n = len(self.gap)
        ax.set_title(f"Pearson r = {r:.2f} over {n} candidates" if r is not None
                     and r == r else f"{n} candidates (too few for a correlation)")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_search(cls, search, *, leakage="mia_auc", utility="accuracy", ax=None,
                    annotate=True, **kwargs):
        """Plot the candidates of a fitted search (see
        :func:`~skmia.metrics.generalization_gap_vs_leakage`)."""
        result = generalization_gap_vs_leakage(search, leakage=leakage, utility=utility)
        return cls._from_result(result, ax=ax, annotate=annotate, **kwargs)

    @classmethod
    def from_runs(cls, gap, leakage, *, labels=None, leakage_name="leakage",
                  utility_name="accuracy", ax=None, annotate=True, **kwargs):
        """Plot audited runs given as sequences of gaps and leakages."""
        result = generalization_gap_vs_leakage(
            {"gap": gap, "leakage": leakage, **({"labels": labels} if labels else {})})
        result.leakage_name, result.utility_name = leakage_name, utility_name
        return cls._from_result(result, ax=ax, annotate=annotate and bool(labels),
                                **kwargs)

    @classmethod
    def _from_result(cls, result, *, ax, annotate, **kwargs):
        display = cls(gap=result.gap, leakage=result.leakage, labels=result.labels,
                      correlation=result.correlation, leakage_name=result.leakage_name,
                      utility_name=result.utility_name)
        return display.plot(ax=ax, annotate=annotate, **kwargs)
