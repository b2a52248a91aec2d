"""The report's figures: ROC curves, score histograms, the most exposed records.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot, no
backend switch); the output module renders and writes it.
"""

import numpy as np

__all__ = ["exposed_figure", "roc_figure", "scores_figure"]

#: How many of the highest-scored records ``exposed.png`` shows.
N_EXPOSED = 24


def _roc_axes(ax, membership, scores, title, colors):
    """Every attack's log-log ROC on ``ax``; the FPRs the table refuses to
    report (below 10 / non-members) shaded; chance drawn last; no legend."""
    from ..plotting import MembershipRocDisplay

    for name, values in scores.items():
        MembershipRocDisplay.from_predictions(membership, values, name=name, ax=ax,
                                              plot_chance_level=False,
                                              color=colors[name])
    n_out = int(np.sum(np.asarray(membership) == 0))
    low = min(ax.get_xlim()[0], ax.get_ylim()[0])
    ax.axvspan(low, min(1.0, 10 / n_out), color="0.85", zorder=0,
               label="FPR < 10 / non-members: not reported (too few)")
    ax.plot([low, 1], [low, 1], color="k", linestyle="--", linewidth=1,
            label="chance level (random guess)")
    ax.set_title(title)
    if ax.get_legend() is not None:
        ax.get_legend().remove()


def roc_figure(membership, scores, pooled=None):
    """``roc.png``: this model's ROC curves, and the pooled ones beside them.

    Parameters
    ----------
    membership : ndarray
        The audited records' membership.
    scores : dict
        Attack label -> scores of the audited records.
    pooled : dict, default=None
        Attack label -> ``(membership, scores)`` pooled over the shadows
        playing the target in turn; ``None`` or empty: one panel.
    """
    from matplotlib.figure import Figure

    panels = [("this model", membership, scores)]
    if pooled:
        first = next(iter(pooled.values()))[0]
        panels.append(("models trained this way (pooled)", first,
                       {name: values for name, (_, values) in pooled.items()}))
    figure = Figure(figsize=(5 * len(panels) + 3.5, 5), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    colors = {name: f"C{k}" for k, name in enumerate(scores)}
    for ax, (title, m, s) in zip(axes, panels):
        _roc_axes(ax, m, s, f"ROC, {title}", colors)
    # one legend for both panels (an attack has one colour), out of the curves' way
    handles, labels = axes[0].get_legend_handles_labels()
    labels = [label.split(" (AUC")[0] for label in labels]
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    return figure


def scores_figure(membership, scores):
    """``scores.png``: per attack, histograms of members' and non-members' scores."""
    from matplotlib.figure import Figure

    membership = np.asarray(membership)
    figure = Figure(figsize=(5, 2.6 * len(scores)), layout="constrained")
    axes = figure.subplots(len(scores), 1, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, scores.items()):
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values)
        # the middle 99% sets the range: one extreme score does not squash the rest
        low, high = np.percentile(values[finite], [0.5, 99.5])
        bins = np.linspace(low, high if high > low else low + 1, 41)
        for flag, label, color in ((1, "members", "tab:red"),
                                   (0, "non-members", "tab:blue")):
            chosen = np.clip(values[finite & (membership == flag)], low, high)
            ax.hist(chosen, bins=bins, alpha=0.55, color=color, label=label)
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel("membership score (higher: more likely a member)")
        ax.set_ylabel("records")
        ax.legend(fontsize="small")
    return figure


def _image(x):
    """One record as something ``imshow`` takes: (H, W) or (H, W, 3) in [0, 1]."""
    x = np.asarray(x, dtype=np.float64)
    x = x[0] if x.shape[0] == 1 else np.moveaxis(x, 0, -1)
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def exposed_figure(records, membership, scores, attack):
    """``exposed.png``: the records ``attack`` scores highest.

    Images as a grid, with their label, score and membership; tabular
    records as a table of the same, with their first features.
    """
    from matplotlib.figure import Figure

    values = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
    top = order[:N_EXPOSED]
    X = np.asarray(records.X)
    if X.ndim == 4:
        n_cols = 6
        n_rows = int(np.ceil(len(top) / n_cols))
        figure = Figure(figsize=(1.7 * n_cols, 1.9 * n_rows + 0.6),
                        layout="constrained")
        axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
        for rank, (ax, i) in enumerate(zip(axes, top), start=1):
            ax.imshow(_image(X[i]), cmap="gray_r" if X.shape[1] == 1 else None)
            ax.set_title(f"#{rank} label {records.y[i]}\nscore {values[i]:.3g}, "
                         + ("member" if membership[i] else "non-member"),
                         fontsize="x-small")
        for ax in axes:
            ax.set_axis_off()
    else:
        flat = X.reshape(len(X), -1)
        n_features = min(flat.shape[1], 5)
        rows = [[str(rank), str(i), str(records.y[i]), str(int(membership[i])),
                 f"{values[i]:.3g}", *[f"{v:.3g}" for v in flat[i, :n_features]]]
                for rank, i in enumerate(top, start=1)]
        columns = ["rank", "record", "label", "member", "score",
                   *[f"x{j}" for j in range(n_features)]]
        figure = Figure(figsize=(1.0 * len(columns) + 1, 0.2 * len(rows) + 0.6))
        ax = figure.add_subplot()
        ax.set_axis_off()
        ax.table(cellText=rows, colLabels=columns, loc="center")
    figure.suptitle(f"The {len(top)} records scored most likely members by {attack}",
                    fontsize="small")
    return figure
