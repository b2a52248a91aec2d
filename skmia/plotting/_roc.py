"""Log-log ROC curve of membership inference attacks."""

import numpy as np
from sklearn.metrics import auc, roc_curve
from sklearn.utils.validation import check_is_fitted

from ..metrics import check_membership_scores
from ..utils import fill_doc

_CHANCE_LEVEL_GID = "skmia-chance-level"

# Parameter descriptions shared by ``plot``, ``from_predictions`` and
# ``from_estimator``, written once.
_SHARED_DOCS = {
    "ax": """ax : matplotlib Axes, default=None
            Axes to plot on. If ``None``, a new figure and axes are created.
            Pass another display's ``ax_`` to compare attacks on one plot.""",
    "plot_options": """plot_chance_level : bool, default=True
            Whether to draw the chance level ``TPR = FPR``. If the axes
            already holds a chance level line from an earlier curve, that
            line is reused (and extended if needed) instead of drawing a
            second one.

        chance_level_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the chance
            level line.

        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot`` for the curve.

        Returns
        -------
        display : MembershipRocDisplay
            The display, with ``ax_``, ``figure_``, ``line_`` and
            ``chance_level_`` set.""",
}


_fill_doc = fill_doc(_SHARED_DOCS)


def _floor(rates):
    """Half the smallest positive rate: where zero rates are drawn."""
    positive = rates[rates > 0]
    return 0.5 * positive.min() if positive.size else 0.5


def _check_curve(fpr, tpr):
    """``fpr`` and ``tpr`` as float64 arrays of one dimension and one length."""
    fpr = np.asarray(fpr, dtype=np.float64)
    tpr = np.asarray(tpr, dtype=np.float64)
    if fpr.ndim != 1 or fpr.shape != tpr.shape:
        raise ValueError(
            "fpr and tpr must be 1d arrays of the same length; got shapes "
            f"{fpr.shape} and {tpr.shape}."
        )
    return fpr, tpr


def _legend_label(name, roc_auc):
    """``"name (AUC = 0.xx)"``, either part alone, or ``None``."""
    if roc_auc is not None and name is not None:
        return f"{name} (AUC = {roc_auc:0.2f})"
    if roc_auc is not None:
        return f"AUC = {roc_auc:0.2f}"
    return name


def _chance_level_line(ax, low, chance_level_kw):
    """The axes' chance level line from ``low`` to 1, drawn once per axes.

    A line left by an earlier curve is reused, and extended down to ``low``
    if it starts higher.
    """
    from matplotlib.cbook import normalize_kwargs
    from matplotlib.lines import Line2D

    for line in ax.lines:
        if line.get_gid() == _CHANCE_LEVEL_GID:
            if low < np.min(line.get_xdata()):
                line.set_data([low, 1], [low, 1])
            return line
    kwargs = {"label": "Chance level", "color": "k", "linestyle": "--", "linewidth": 1}
    kwargs.update(normalize_kwargs(chance_level_kw or {}, Line2D))
    (line,) = ax.plot([low, 1], [low, 1], **kwargs)
    line.set_gid(_CHANCE_LEVEL_GID)
    return line


class MembershipRocDisplay:
    """Log-log ROC curve of a membership inference attack.

    Membership inference matters most at low false positive rates (an attack
    that surely identifies a few members is a threat even at an AUC near
    0.5), so following Carlini et al. (2022) both axes are logarithmic. The
    class mirrors :class:`sklearn.metrics.RocCurveDisplay`: build it with
    :meth:`from_estimator` or :meth:`from_predictions`, or from a curve with
    :meth:`plot`. Draw several attacks on one axes by passing
    ``ax=display.ax_`` to the next call. All parameters are stored as
    attributes.

    Parameters
    ----------
    fpr : ndarray of shape (n_points,)
        False positive rates, e.g. from :func:`~sklearn.metrics.roc_curve`.

    tpr : ndarray of shape (n_points,)
        True positive rates, e.g. from :func:`~sklearn.metrics.roc_curve`.

    roc_auc : float, default=None
        Area under the ROC curve, shown in the legend. If ``None``, no AUC
        is shown.

    name : str, default=None
        Name of the attack, shown in the legend. If ``None``, no name is
        shown.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The ROC curve.

    chance_level_ : matplotlib Line2D or None
        The chance level line (``TPR = FPR``), or ``None`` if not plotted.
        Curves plotted on the same axes share one chance level line.

    ax_ : matplotlib Axes
        Axes with the ROC curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    sklearn.metrics.RocCurveDisplay : The linear-scale ROC display.
    skmia.metrics.tpr_at_fpr : TPR at a fixed low FPR.

    Notes
    -----
    A zero FPR or TPR cannot be drawn on a logarithmic axis. Rather than
    dropping those points, which would hide how many members an attack
    finds with no false positive at all, zero rates are drawn at a floor of
    half the smallest positive rate of the same axis, which is
    ``1 / (2 * n_nonmembers)`` for the FPR and ``1 / (2 * n_members)`` for
    the TPR of a curve computed with ``drop_intermediate=False`` (barring
    ties at the top scores). The axis starts at that floor, so these points
    sit on the axis edge; everything at the floor means "zero".

    References
    ----------
    .. [1] N. Carlini, S. Chien, M. Nasr, S. Song, A. Terzis and F. Tramer,
       "Membership Inference Attacks From First Principles", IEEE Symposium on
       Security and Privacy, 2022.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.metrics import auc, roc_curve
    >>> from skmia.plotting import MembershipRocDisplay
    >>> membership = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> scores = [0.1, 0.2, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95]
    >>> fpr, tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
    >>> display = MembershipRocDisplay(fpr=fpr, tpr=tpr, roc_auc=auc(fpr, tpr),
    ...                                name="example attack")
    >>> display.plot()
    <...>
    >>> plt.show()
    """

    def __init__(self, *, fpr, tpr, roc_auc=None, name=None):
        self.fpr = fpr
        self.tpr = tpr
        self.roc_auc = roc_auc
        self.name = name

    @_fill_doc
    def plot(
        self,
        ax=None,
        *,
        name=None,
        plot_chance_level=True,
        chance_level_kw=None,
        **kwargs,
    ):
        """Plot the curve on log-log axes.

        Parameters
        ----------
        {ax}

        name : str, default=None
            Name of the attack for the legend. If ``None``, ``self.name`` is
            used; if that is ``None`` too, no name is shown.

        {plot_options}
        """
        import matplotlib.pyplot as plt
        from matplotlib.cbook import normalize_kwargs
        from matplotlib.lines import Line2D

        fpr, tpr = _check_curve(self.fpr, self.tpr)
        if ax is None:
            _, ax = plt.subplots()
        label = _legend_label(self.name if name is None else name, self.roc_auc)
        line_kwargs = {} if label is None else {"label": label}
        line_kwargs.update(normalize_kwargs(kwargs, Line2D))

        # Limits: from the floors up to 1, widened to what earlier curves
        # plotted on these axes needed.
        fpr_floor, tpr_floor = _floor(fpr), _floor(tpr)
        x_low, y_low = fpr_floor, tpr_floor
        if ax.get_xscale() == "log" and ax.get_yscale() == "log" and ax.lines:
            x_low = min(x_low, ax.get_xlim()[0])
            y_low = min(y_low, ax.get_ylim()[0])

        (self.line_,) = ax.plot(
            np.maximum(fpr, fpr_floor), np.maximum(tpr, tpr_floor), **line_kwargs
        )
        self.chance_level_ = None
        if plot_chance_level:
            self.chance_level_ = _chance_level_line(
                ax, min(x_low, y_low), chance_level_kw
            )

        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(
            xlabel="False Positive Rate",
            ylabel="True Positive Rate",
            xlim=(x_low, 1),
            ylim=(y_low, 1),
        )
        if any(not line.get_label().startswith("_") for line in ax.lines):
            ax.legend(loc="lower right")

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @_fill_doc
    def from_predictions(
        cls,
        membership,
        scores,
        *,
        name=None,
        ax=None,
        plot_chance_level=True,
        chance_level_kw=None,
        **kwargs,
    ):
        """Plot the log-log ROC curve of attack scores.

        The curve is :func:`~sklearn.metrics.roc_curve` of ``membership``
        and ``scores`` with ``drop_intermediate=False``: points that are
        collinear in linear space are no longer collinear on log axes, so
        none is dropped.

        Parameters
        ----------
        membership : array-like of shape (n_records,)
            Membership labels: ``1`` for members, ``0`` for non-members.

        scores : array-like of shape (n_records,)
            Attack scores, higher meaning more likely a member.

        name : str, default=None
            Name of the attack for the legend. If ``None``, only the AUC is
            shown.

        {ax}

        {plot_options}

        Raises
        ------
        ValueError
            If ``membership`` and ``scores`` fail
            :func:`~skmia.metrics.check_membership_scores`.

        See Also
        --------
        MembershipRocDisplay.from_estimator : Plot the curve of a fitted
            attack.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from skmia.plotting import MembershipRocDisplay
        >>> rng = np.random.RandomState(0)
        >>> membership = np.repeat([1, 0], 500)
        >>> loss_attack = rng.normal(loc=membership)
        >>> display = MembershipRocDisplay.from_predictions(
        ...     membership, loss_attack, name="loss")
        >>> display = MembershipRocDisplay.from_predictions(
        ...     membership, rng.normal(size=1000), name="random", ax=display.ax_)
        >>> plt.show()
        """
        membership, scores = check_membership_scores(membership, scores)
        fpr, tpr, _ = roc_curve(membership, scores, drop_intermediate=False)
        display = cls(fpr=fpr, tpr=tpr, roc_auc=auc(fpr, tpr), name=name)
        return display.plot(
            ax=ax,
            plot_chance_level=plot_chance_level,
            chance_level_kw=chance_level_kw,
            **kwargs,
        )

    @classmethod
    @_fill_doc
    def from_estimator(
        cls,
        attack,
        records,
        membership,
        *,
        name=None,
        ax=None,
        plot_chance_level=True,
        chance_level_kw=None,
        **kwargs,
    ):
        """Plot the log-log ROC curve of a fitted attack.

        The scores are ``attack.decision_function(records)``; the curve is
        then drawn as by :meth:`from_predictions`.

        Parameters
        ----------
        attack : estimator instance
            A fitted membership inference attack (any fitted estimator with
            ``decision_function``, higher meaning more likely a member).

        records : Records or array-like of shape (n_records, ...)
            The audited records, as accepted by ``attack.decision_function``.

        membership : array-like of shape (n_records,)
            Their membership labels: ``1`` for members, ``0`` for
            non-members.

        name : str, default=None
            Name of the attack for the legend. If ``None``, the attack's
            class name is used.

        {ax}

        {plot_options}

        Raises
        ------
        TypeError
            If ``attack`` has no ``decision_function``.
        sklearn.exceptions.NotFittedError
            If ``attack`` is not fitted.

        See Also
        --------
        MembershipRocDisplay.from_predictions : Plot the curve of scores.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmia.plotting import MembershipRocDisplay
        >>> membership = [1, 1, 1, 1, 0, 0, 0, 0]
        >>> signals = [[0.9], [0.8], [0.3], [0.7], [0.4], [0.2], [0.1], [0.6]]
        >>> attack = LogisticRegression().fit(signals, membership)
        >>> display = MembershipRocDisplay.from_estimator(
        ...     attack, signals, membership)
        >>> display.line_.get_label()
        'LogisticRegression (AUC = 0.88)'
        >>> plt.show()
        """
        if not callable(getattr(attack, "decision_function", None)):
            raise TypeError(
                f"{type(attack).__name__} has no decision_function; "
                "MembershipRocDisplay.from_estimator needs a membership attack "
                "whose decision_function scores records (higher = member). "
                "Use MembershipRocDisplay.from_predictions with your own scores."
            )
        check_is_fitted(attack)
        return cls.from_predictions(
            membership,
            attack.decision_function(records),
            name=type(attack).__name__ if name is None else name,
            ax=ax,
            plot_chance_level=plot_chance_level,
            chance_level_kw=chance_level_kw,
            **kwargs,
        )
