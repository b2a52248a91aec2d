"""What the benchmarks share: data, the machine's state, Markdown tables, leakage rows.

Every ``bench_*.py`` imports this module (it sits beside them, on the script's
``sys.path``) and keeps only what it measures.
"""

import os
import platform
import threading
import time

import numpy as np


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def load_images(name, n_samples=None):
    """``(name, X, y)``: float32 images ``(n, 1, H, W)`` in [0, 1], int64 labels.

    ``name`` is ``"fashion"`` (Fashion-MNIST's training images, from
    ``/usr/share/datasets/fashion-mnist`` or skmia's data home; digits when
    they are not installed) or ``"digits"`` (scikit-learn's, embedded).
    ``n_samples`` keeps the first ones.
    """
    from skmia.datasets import load_digits_images, load_fashion_mnist

    data, label = None, "digits"
    if name == "fashion":
        try:
            data, label = load_fashion_mnist(), "fashion-mnist"
        except OSError as exc:  # FileNotFoundError included
            print(f"Fashion-MNIST not found ({exc}); using digits instead.")
            print("(apt-get install dataset-fashion-mnist provides it.)")
    if data is None:
        data = load_digits_images()
    return label, data.data[:n_samples], data.target[:n_samples]


# --------------------------------------------------------------------------
# the machine: versions, how quiet it is, CPU used by other processes
# --------------------------------------------------------------------------


def machine_load():
    """1-minute load average (``None`` where the system has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def print_final_load():
    """Print the 1-minute load average once the measurements are done."""
    load = machine_load()
    load = "n/a" if load is None else f"{load:.2f}"
    print(f"\n1-min load average at the end: {load}")


def print_environment(**others):
    """Print Python's and the libraries' versions and the machine's load.

    ``others`` are further ``name=version`` pairs (``ART="1.20.1"``). Warns
    when the 1-minute load average is above 0.5: timings would be unreliable.
    """
    import sklearn
    import skorch
    import torch

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "torch": torch.__version__, "skorch": skorch.__version__,
                "scikit-learn": sklearn.__version__, **others}
    load = machine_load()
    print(", ".join(f"{name} {version}" for name, version in versions.items())
          + f"; {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}; "
          f"1-min load average {'n/a' if load is None else f'{load:.2f}'}")
    if load is not None and load > 0.5:
        print("WARNING: the machine is not quiet; timings will be unreliable.")


class OtherProcessesCPU:
    """CPU seconds used by processes outside this benchmark's process tree.

    A background thread samples the machine's busy CPU time and this
    process's and its children's (the joblib workers') CPU time every
    second; the difference is what other processes used. It needs psutil;
    without it nothing is measured.
    """

    def __init__(self, interval=1.0):
        try:
            import psutil
        except ImportError:
            self.psutil = None
            self.other = 0.0
            return
        self.psutil = psutil
        self.me = psutil.Process()
        self.wall = 0.0
        self.interval = interval
        self.other = 0.0
        self.peak = 0.0  # largest share of all cores used by others in one interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _busy(self):
        t = self.psutil.cpu_times()
        return (t.user + t.nice + t.system + getattr(t, "irq", 0)
                + getattr(t, "softirq", 0) + getattr(t, "steal", 0))

    def _ours(self):
        times = {}
        for proc in [self.me, *self.me.children(recursive=True)]:
            try:
                cpu = proc.cpu_times()
                times[proc.pid] = cpu.user + cpu.system
            except self.psutil.Error:
                pass
        return times

    def _run(self):
        busy, ours = self._busy(), self._ours()
        n_cpus = os.cpu_count() or 1
        while not self._stop.wait(self.interval):
            new_busy, new_ours = self._busy(), self._ours()
            ours_delta = sum(t - ours.get(pid, 0.0) for pid, t in new_ours.items())
            other = max(0.0, (new_busy - busy) - ours_delta)
            self.other += other
            self.peak = max(self.peak, other / (self.interval * n_cpus))
            busy, ours = new_busy, new_ours

    def __enter__(self):
        if self.psutil is not None:
            self._start = time.perf_counter()
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.psutil is not None:
            self._stop.set()
            self._thread.join()
            self.wall = time.perf_counter() - self._start

    def since(self, mark):
        """Others' CPU seconds since ``mark`` (a previous ``self.other``), as text."""
        if self.psutil is None:
            return ""
        return f" [other processes meanwhile: {self.other - mark:.1f} CPU s]"

    def summary(self):
        if self.psutil is None:
            return "not measured (psutil is not installed)"
        capacity = self.wall * (os.cpu_count() or 1)
        return (f"{self.other:.1f} CPU s over {self.wall:.0f} s "
                f"({self.other / capacity:.1%} of the machine; busiest second "
                f"{self.peak:.0%})")


# --------------------------------------------------------------------------
# tables and the leakage row
# --------------------------------------------------------------------------


def markdown_table(header, rows):
    """A Markdown table: ``header`` cells, then one line per row of cells."""
    lines = ["| " + " | ".join(str(cell) for cell in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_ci(value, ci, digits=3):
    """``value [low, high]``, or ``n/a`` for a value that was not reported."""
    if value is None:
        return "n/a"
    return f"{value:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def leakage_header(fprs, confidence=0.95):
    """Header cells matching :func:`leakage_cells`."""
    level = f"{100 * confidence:g}% CI"
    return [f"AUC [{level}]", *[f"TPR@{fpr:.1%}FPR [{level}]" for fpr in fprs]]


def leakage_cells(summary, fprs):
    """The AUC and the TPR at each of ``fprs`` of a
    :func:`skmia.metrics.leakage_summary` row, with their intervals."""
    entries = [summary.tpr_at_fpr[f"{fpr:g}"] for fpr in fprs]
    return [fmt_ci(summary.auc, summary.auc_ci),
            *[fmt_ci(entry["tpr"], entry["ci"]) for entry in entries]]


def refusal_notes(summaries):
    """Why TPRs of these :func:`skmia.metrics.leakage_summary` rows read n/a."""
    notes = {entry["note"] for summary in summaries
             for entry in summary.tpr_at_fpr.values() if entry["note"]}
    return [f"n/a: {note}" for note in sorted(notes)]


#: Stands in a :func:`print_leakage_table` header for the leakage columns.
LEAKAGE = "leakage"


def print_leakage_table(header, rows, fprs, *, flush=False):
    """Print a Markdown table with leakage columns, then its n/a notes.

    ``header`` names the columns, with :data:`LEAKAGE` where the AUC and
    TPR-at-``fprs`` columns go; each row holds a
    :func:`skmia.metrics.leakage_summary` row at that place and its other
    cells around it.
    """
    at = header.index(LEAKAGE)
    cells = [(*row[:at], *leakage_cells(row[at], fprs), *row[at + 1:]) for row in rows]
    print(markdown_table([*header[:at], *leakage_header(fprs), *header[at + 1:]],
                         cells))
    for note in refusal_notes(row[at] for row in rows):
        print(note, flush=flush)
