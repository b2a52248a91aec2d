"""Write the report folder: every file an experiment leaves behind."""

import importlib.metadata
import io
import json
import os
import platform

import yaml

from ._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ._report import format_sweep_table, format_table

__all__ = ["library_versions", "read_results", "write_gap_plot", "write_results",
           "write_roc", "write_run_files", "write_scores"]

_PACKAGES = ("skmia", "numpy", "scipy", "scikit-learn", "torch", "torchvision",
             "skorch", "opacus", "joblib")


def library_versions():
    """Python's and the libraries' versions (``None`` for one not installed)."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def read_results(folder):
    """The ``results.json`` of ``folder``, or ``None`` if there is none."""
    path = os.path.join(folder, "results.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_run_files(folder, config):
    """``config.yaml`` (the resolved config) and ``versions.json``."""
    atomic_write_text(os.path.join(folder, "config.yaml"),
                      yaml.safe_dump(config, sort_keys=False))
    atomic_write_json(os.path.join(folder, "versions.json"), library_versions())


def write_results(folder, results):
    """``results.json`` and ``report.md`` (the table of a run or a sweep)."""
    sweep = "points" in results
    table = format_sweep_table(results) if sweep else format_table(results)
    atomic_write_text(os.path.join(folder, "report.md"), table + "\n")
    atomic_write_json(os.path.join(folder, "results.json"), results)


def write_scores(folder, records, membership, scores):
    """``scores.csv``: one row per audited record, one column per attack."""
    buffer = io.StringIO()
    names = list(scores)
    buffer.write(",".join(["record", "label", "membership", *[f'"{n}"' for n in names]])
                 + "\n")
    for i in range(len(records)):
        values = ",".join(f"{scores[n][i]:.9g}" for n in names)
        buffer.write(f"{i},{records.y[i]},{membership[i]},{values}\n")
    atomic_write_text(os.path.join(folder, "scores.csv"), buffer.getvalue())


def _save_png(figure, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())


def write_roc(folder, membership, scores):
    """``roc.png``: every attack's log-log ROC curve on one axes."""
    from matplotlib.figure import Figure

    from ..plotting import MembershipRocDisplay

    figure = Figure(figsize=(6, 5))
    ax = figure.add_subplot()
    for name, values in scores.items():
        MembershipRocDisplay.from_predictions(membership, values, name=name, ax=ax)
    ax.set_title("Membership inference ROC (log-log)")
    _save_png(figure, os.path.join(folder, "roc.png"))


def write_gap_plot(folder, gap):
    """``gap_vs_leakage.png``: the points of ``gap``, a result of
    :func:`~skmia.metrics.generalization_gap_vs_leakage`."""
    from matplotlib.figure import Figure

    from ..plotting import GapLeakageDisplay

    figure = Figure(figsize=(6, 5))
    display = GapLeakageDisplay(gap=gap.gap, leakage=gap.leakage, labels=gap.labels,
                                correlation=gap.correlation,
                                leakage_name="best attack AUC")
    display.plot(ax=figure.add_subplot())
    _save_png(figure, os.path.join(folder, "gap_vs_leakage.png"))
