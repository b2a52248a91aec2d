"""Scoring speed of LiRA and RMIA at scale, on a synthetic shadow ensemble.

No training: a fitted :class:`skmia.shadow.ShadowModels` is assembled
directly: ``--n-models`` models in complementary pairs over ``--n-records``
records, float32 logits of shape ``(n_models, n_records, n_queries, 10)``
with a per-record difficulty and a membership effect, and a target (a skorch
net whose module returns logits stored in its inputs) whose logits are drawn
the same way. The inputs are ``--input-dim`` float32 values per record (784,
a Fashion-MNIST image, by default), so that locating records in the pool
hashes records of a realistic size. LiRA (online and offline) and RMIA are
timed, ``fit(records)`` + ``decision_function(records)`` on all records (best
of ``--repeats``) with the shadows' signal already kept by the ensemble, and
once as the first attack on a fresh ensemble (which also computes the
signal); the parts every attack pays (querying the target,
``ShadowModels.locate``, the shadows' signals) are timed on their own. Each
attack's peak traced memory is measured with :mod:`tracemalloc` (RMIA's
against the ``n_records x n_population x 8`` bytes of the pairwise matrix it
must not build), and any attack slower than ``--budget`` seconds is profiled
with :mod:`cProfile`.

Run it on a quiet machine (``top``: nothing else using the cores); it prints
the load average and the CPU time other processes took during each timed
step::

    python benchmarks/bench_scoring.py                      # 60,000 records, 64 models
    python benchmarks/bench_scoring.py --n-records 5000     # quick
"""

import argparse
import copy
import cProfile
import os
import pstats
import time
import tracemalloc

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import skmia
from _common import (
    OtherProcessesCPU,
    markdown_table,
    print_environment,
    print_final_load,
)
from skmia import RecordIndex, Records
from skmia.attacks import RMIA, LiRA
from skmia.shadow import ShadowModels
from skmia.targets import make_target
from skmia.utils import model_outputs


class LogitsInInputs(torch.nn.Module):
    """Returns the first ``n_classes`` columns of its input: logits we control."""

    def __init__(self, n_classes=10):
        super().__init__()
        self.n_classes = n_classes
        # the optimizer skorch creates at initialisation needs a parameter
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return X[:, : self.n_classes]


class TableQueries:
    """Query ``q`` of ``X`` is the view ``X[:, q * n_classes:(q + 1) * n_classes]``.

    So the target (:class:`LogitsInInputs`) reads query ``q``'s logits from
    those columns of each record (copying only them, not the whole input).
    """

    def __init__(self, n_queries, n_classes):
        self.n_queries = n_queries
        self.n_classes = n_classes

    def __call__(self, X):
        k = self.n_classes
        return [X[:, q * k:(q + 1) * k] for q in range(self.n_queries)]


def synthetic_setup(n_records, n_models, n_queries, input_dim, n_classes=10, seed=0,
                    n_jobs=None):
    """A fitted ``ShadowModels`` assembled directly, a target, and the records.

    Logits of a model on record ``i``, query ``q``: a per-record base
    (standard normal), per-model noise (sd 0.5), and on the true class the
    record's ease (N(2, 1.5)) plus 1 when the model trained on it.
    """
    if input_dim < n_queries * n_classes:
        raise ValueError(f"--input-dim must be >= {n_queries * n_classes}.")
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n_records)
    ease = rng.normal(2.0, 1.5, size=n_records).astype(np.float32)
    base = rng.standard_normal((n_records, n_queries, n_classes), dtype=np.float32)
    rows = np.arange(n_records)

    def logits(member):
        out = base + 0.5 * rng.standard_normal(base.shape, dtype=np.float32)
        out[rows, :, y] += (ease + member.astype(np.float32))[:, None]
        return out

    def random_half():
        half = np.zeros(n_records, dtype=bool)
        half[rng.permutation(n_records)[: n_records // 2]] = True
        return half

    keep = np.zeros((n_models, n_records), dtype=bool)
    for m in range(0, n_models, 2):  # complementary pairs, as ShadowModels draws
        keep[m] = random_half()
        if m + 1 < n_models:
            keep[m + 1] = ~keep[m]
    outputs = np.empty((n_models, n_records, n_queries, n_classes), dtype=np.float32)
    for m in range(n_models):
        outputs[m] = logits(keep[m])

    membership = random_half()
    X = (rng.integers(0, 256, size=(n_records, input_dim), dtype=np.uint8)
         .astype(np.float32) / 255)
    X[:, : n_queries * n_classes] = logits(membership).reshape(n_records, -1)
    records = Records(X, y)

    queries = TableQueries(n_queries, n_classes)
    target = make_target(LogitsInInputs, n_classes=n_classes,
                         classes=np.arange(n_classes), random_state=0)
    target.initialize()

    shadows = ShadowModels(target, n_models=n_models, n_jobs=n_jobs,
                           random_state=seed, queries=queries)
    shadows.keep_ = keep
    shadows.seeds_ = np.arange(n_models)
    shadows.outputs_ = outputs
    shadows.output_kind_ = "logits"
    shadows.classes_ = np.arange(n_classes)
    shadows.labels_ = np.searchsorted(shadows.classes_, y)
    shadows._pool_index = RecordIndex(records)
    return shadows, target, records, membership.astype(np.int64)


def scale_attacks(n_models):
    few = min(4, n_models // 2)  # each record is OUT for n_models // 2 models
    rmia_sizes = sorted({few, n_models // 2})
    return [
        ("LiRA online, per-record var.", lambda t, s: LiRA(
            t, online=True, fixed_variance=False, shadow_models=s)),
        ("LiRA online, fixed variance", lambda t, s: LiRA(
            t, online=True, fixed_variance=True, shadow_models=s)),
        ("LiRA offline, fixed variance", lambda t, s: LiRA(
            t, online=False, fixed_variance=True, shadow_models=s)),
    ] + [
        (f"RMIA offline, {k} references", lambda t, s, k=k: RMIA(
            t, n_reference_models=k, shadow_models=s, random_state=0))
        for k in rmia_sizes
    ]


def run_attack(make, target, shadows, records):
    attack = make(target, shadows)
    start = time.perf_counter()
    attack.fit(records)
    fitted = time.perf_counter()
    scores = attack.decision_function(records)
    return fitted - start, time.perf_counter() - fitted, scores, attack


def print_profile(profiler, top):
    """The ``top`` functions by own time, each with its heaviest caller."""
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    root = os.path.dirname(os.path.dirname(os.path.abspath(skmia.__file__)))

    def where(func):
        filename, line, name = func
        if filename == "~":  # a built-in
            return name
        for prefix in (root + os.sep, os.path.dirname(np.__path__[0]) + os.sep):
            if filename.startswith(prefix):
                filename = filename[len(prefix):]
                break
        return f"{filename}:{line}({name})"

    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)
    print(f"    cProfile, {total:.2f} s total; top {top} by own time "
          "(caller: the function that spent most of its time calling it):")
    for func, (_, ncalls, own, cumulative, callers) in entries[:top]:
        caller = ""
        if callers:
            heaviest = max(callers.items(), key=lambda kv: kv[1][3])[0]
            caller = f"  <- {where(heaviest)}"
        print(f"    {own:7.3f} s own {cumulative:7.3f} s cum {ncalls:>7} calls  "
              f"{where(func)}{caller}")
    skmia_funcs = [(func, v) for func, v in stats.stats.items()
                   if func[0].startswith(os.path.join(root, "skmia"))]
    skmia_funcs.sort(key=lambda kv: kv[1][3], reverse=True)
    print("    skmia functions by cumulative time:")
    for func, (_, ncalls, own, cumulative, _) in skmia_funcs[:top]:
        print(f"    {cumulative:7.3f} s cum {own:7.3f} s own {ncalls:>7} calls  "
              f"{where(func)}")


def time_shared_parts(shadows, target, records, repeats):
    """Best times of what every attack pays: target queries, locate, signals."""
    best_query = best_locate = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for X in shadows.queries(records.X):
            model_outputs(target, X)
        best_query = min(best_query, time.perf_counter() - start)
        start = time.perf_counter()
        shadows.locate(records)
        best_locate = min(best_locate, time.perf_counter() - start)
    best_signal = {"logit": float("inf"), "confidence": float("inf")}
    for _ in range(repeats):
        for signal in best_signal:
            fresh = copy.copy(shadows)  # a copy keeps no signals: time their extraction
            start = time.perf_counter()
            fresh.signal(signal)
            best_signal[signal] = min(best_signal[signal], time.perf_counter() - start)
    print(f"  querying the target on {shadows.queries.n_queries} queries: "
          f"{best_query:.3f} s; shadows.locate(records): {best_locate:.3f} s; the "
          "shadows' signals (ShadowModels.signal, computed once per ensemble, "
          f"n_jobs={shadows.n_jobs} threads): 'logit' (LiRA) "
          f"{best_signal['logit']:.3f} s, 'confidence' (RMIA) "
          f"{best_signal['confidence']:.3f} s (best of {repeats})")
    return {"query": best_query, "locate": best_locate, "signal": best_signal}


def time_attack(name, make, setup, args):
    """Best fit + decision_function time, first-attack time, peak memory, AUC."""
    shadows, target, records, membership = setup
    fits, decisions = [], []
    with OtherProcessesCPU() as others:
        shadows = copy.copy(shadows)  # no kept signals: the first attack on it
        start = time.perf_counter()
        run_attack(make, target, shadows, records)
        cold = time.perf_counter() - start
        for _ in range(args.repeats):  # then with the signals kept
            fit_s, decision_s, scores, attack = run_attack(make, target, shadows,
                                                           records)
            fits.append(fit_s)
            decisions.append(decision_s)
    best = int(np.argmin(np.add(fits, decisions)))
    auc = roc_auc_score(membership, scores)
    tracemalloc.start()
    tracemalloc.reset_peak()
    run_attack(make, target, shadows, records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_population = len(getattr(attack, "population_ratios_", [])) or None
    row = {"name": name, "fit": fits[best], "decision": decisions[best],
           "total": fits[best] + decisions[best], "cold": cold, "peak": peak,
           "auc": auc, "n_population": n_population}
    runs = ", ".join(f"{f + d:.2f}" for f, d in zip(fits, decisions))
    print(f"  {name:<35} fit {row['fit']:.3f} s + decision_function "
          f"{row['decision']:.3f} s = {row['total']:.3f} s (runs: {runs}); "
          f"first attack on the ensemble (signal not yet kept) {cold:.3f} s; "
          f"peak traced {peak / 2**20:.0f} MiB; AUC {auc:.3f}; others "
          f"{others.summary()}", flush=True)
    if row["total"] > args.budget:
        profiler = cProfile.Profile()
        profiler.enable()
        run_attack(make, target, shadows, records)
        profiler.disable()
        print_profile(profiler, args.profile_top)
    return row


def print_summary(shared, results, args):
    print(f"\n== Summary: {args.n_records} records x {args.n_queries} queries x "
          f"{args.n_models} shadows: fit(records) + decision_function(records), "
          f"best of {args.repeats}, with the shadows' signal already kept by the "
          "ensemble (as for every attack after the first); included: target "
          f"queries {shared['query']:.3f} s, locate {shared['locate']:.3f} s (in fit "
          "and again in decision_function). 'first' = the first attack on a fresh "
          "ensemble, which also computes the signal: "
          f"{shared['signal']['logit']:.3f} s ('logit', LiRA) or "
          f"{shared['signal']['confidence']:.3f} s ('confidence', RMIA) ==")
    rows = []
    for row in results:
        pair = ("-", "-")
        if row["n_population"]:
            pairwise = args.n_records * row["n_population"] * 8
            pair = (f"{pairwise / 2**20:.0f}", f"{row['peak'] / pairwise:.4f}")
        rows.append((row["name"], f"{row['fit']:.3f}", f"{row['decision']:.3f}",
                     f"{row['total']:.3f}", f"{row['cold']:.3f}",
                     f"{row['peak'] / 2**20:.0f}", *pair))
    print(markdown_table(["attack", "fit s", "decision s", "total s", "first s",
                          "peak MiB", "n x n_pop x 8 MiB", "peak / that"], rows))
    print_final_load()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--n-records", type=int, default=60_000)
    parser.add_argument("--n-models", type=int, default=64)
    parser.add_argument("--n-queries", type=int, default=2)
    parser.add_argument("--input-dim", type=int, default=784,
                        help="float32 values per synthetic record")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="threads computing the shadows' signals")
    parser.add_argument("--repeats", type=int, default=3, help="best of")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="profile attacks slower than this (seconds)")
    parser.add_argument("--profile-top", type=int, default=12)
    args = parser.parse_args()

    print_environment()
    n, m, q = args.n_records, args.n_models, args.n_queries
    print(f"\n== Scoring at scale (synthetic): {n} records x {q} queries x {m} "
          f"shadows, 10 classes, {args.input_dim} float32 inputs per record ==")
    start = time.perf_counter()
    setup = synthetic_setup(n, m, q, args.input_dim, n_jobs=args.n_jobs)
    shadows, _, records, _ = setup
    print(f"  setup {time.perf_counter() - start:.1f} s; outputs_ "
          f"{shadows.outputs_.nbytes / 2**20:.0f} MiB, inputs "
          f"{records.X.nbytes / 2**20:.0f} MiB")
    shared = time_shared_parts(*setup[:3], args.repeats)
    results = [time_attack(name, make, setup, args) for name, make in scale_attacks(m)]
    print_summary(shared, results, args)


if __name__ == "__main__":
    main()
