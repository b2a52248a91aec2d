"""Write the report folder: every file an experiment leaves behind, atomically."""

import csv
import importlib.metadata
import io
import json
import os
import platform

import numpy as np
import yaml

from ._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ._report import format_sweep_table, format_table

__all__ = ["library_versions", "read_results", "write_audit_files", "write_gap_plot",
           "write_log", "write_results", "write_run_files", "write_scores"]

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


def write_results(folder, results, config):
    """``results.json``, ``report.md`` (the table of a run or a sweep, with the
    verdicts) and ``report.html`` (all of it on one page, the figures already
    in ``folder`` inlined)."""
    from ._html import FIGURES, render_html

    sweep = "points" in results
    table = format_sweep_table(results) if sweep else format_table(results)
    atomic_write_text(os.path.join(folder, "report.md"), table + "\n")
    images = {}
    for name, _ in FIGURES:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                images[name] = f.read()
    page = render_html(results, config_text=yaml.safe_dump(config, sort_keys=False),
                       versions=results.get("versions") or library_versions(),
                       images=images)
    atomic_write_text(os.path.join(folder, "report.html"), page)
    atomic_write_json(os.path.join(folder, "results.json"), results)


def write_log(folder, text):
    """``run.log``: the run's messages and, if it failed, the traceback."""
    atomic_write_text(os.path.join(folder, "run.log"), text)


def write_scores(folder, records, membership, scores, strongest):
    """``scores.csv``: one row per audited record, one column per attack,
    sorted by risk (the ``strongest`` attack's score, highest first) and
    ranked from 1."""
    names = list(scores)
    key = scores[strongest] if strongest in scores else scores[names[0]]
    order = np.argsort(-np.nan_to_num(key, nan=-np.inf), kind="stable")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rank", "record", "label", "membership", *names])
    for rank, i in enumerate(order, start=1):
        # 9 significant digits: a float32 signal round-trips
        writer.writerow([rank, int(i), records.y[i], int(membership[i]),
                         *[f"{scores[n][i]:.9g}" for n in names]])
    atomic_write_text(os.path.join(folder, "scores.csv"), buffer.getvalue())


def _save_png(figure, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())


def write_audit_files(folder, records, membership, scores, pooled, *, strongest):
    """One audit's per-record files: ``scores.csv``, ``roc.png`` (this model,
    and the ``pooled`` curves beside it), ``scores.png`` (histograms) and
    ``exposed.png`` (the records the ``strongest`` attack scores highest)."""
    from ._figures import exposed_figure, roc_figure, scores_figure

    write_scores(folder, records, membership, scores, strongest)
    _save_png(roc_figure(membership, scores, pooled), os.path.join(folder, "roc.png"))
    _save_png(scores_figure(membership, scores), os.path.join(folder, "scores.png"))
    attack = strongest if strongest in scores else next(iter(scores))
    _save_png(exposed_figure(records, membership, scores[attack], attack),
              os.path.join(folder, "exposed.png"))


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
