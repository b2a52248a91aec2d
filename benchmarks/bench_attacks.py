"""Attacks on shared shadow models: leakage on Fashion-MNIST, scoring speed at scale.

Two measurements:

a. **Leave-one-model-out on Fashion-MNIST.** ``--n-models`` SmallCNNs
   (:func:`skmia.targets.make_target`) are trained once, by
   :class:`skmia.shadow.ShadowModels` (``n_jobs=2``, ``keep_models=True``,
   ``memory=--memory`` so that a rerun reuses them), each on a random half of
   a pool of ``--n-records`` images; the recipe overfits (train accuracy
   close to 1). :func:`skmia.model_selection.leave_one_model_out` then lets
   each of the first ``--n-targets`` models play the target, the other
   models but its complementary partner being the attack's shadows, for
   every attack: the shadow-calibrated
   loss threshold, Shokri et al.'s shadow-model attack, the calibrated loss
   attack, LiRA online (fixed and per-record variance) and offline, and
   RMIA (offline) with 1, 2 and 4 reference models. Scores are pooled over
   the targets: ROC AUC and TPR at 0.1% and 1% FPR, with 95% stratified
   bootstrap intervals (``leave_one_model_out`` refuses an FPR below
   ``10 / n_nonmembers``; such cells read "n/a"). The scoring step alone
   (the attack's ``fit`` on the fitted shadows and ``decision_function``,
   which queries the target; no shadow training, no bootstrap) is timed per
   target, next to the shadow training time per model.
b. **Scoring speed at scale** (synthetic, no training). A fitted
   ``ShadowModels`` is assembled directly: ``--scale-models`` models in
   complementary pairs over ``--scale-records`` records, float32 logits of
   shape ``(n_models, n_records, n_queries, 10)`` with a per-record
   difficulty and a membership effect, and a target (a skorch net whose
   module returns logits stored in its inputs) whose logits are drawn the
   same way. The inputs are ``--scale-input-dim`` float32 values per record
   (784, a Fashion-MNIST image, by default), so that locating records in the
   pool hashes records of a realistic size. LiRA (online and offline) and
   RMIA are timed, ``fit(records)`` + ``decision_function(records)`` on all
   records (best of ``--scale-repeats``), their peak traced memory is
   measured with :mod:`tracemalloc` (RMIA's against the
   ``n_records x n_population x 8`` bytes of the pairwise matrix it must
   not build), and any attack slower than ``--scale-budget`` seconds is
   profiled with :mod:`cProfile`.

Run it on a quiet machine (``top``: nothing else using the cores); it prints
the load average and the CPU time other processes took during each timed
step. The first run trains the shadows (about 6 minutes on 2 cores with the
defaults); reruns with the same ``--memory`` folder load them::

    python benchmarks/bench_attacks.py
    python benchmarks/bench_attacks.py --augment          # 18 flip/shift queries
    python benchmarks/bench_attacks.py --data digits --n-records 1000 \\
        --epochs 30 --scale-records 5000                  # quick
"""

import argparse
import cProfile
import copy
import json
import os
import platform
import pstats
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
import skorch
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import skmia
import skmia.attacks
from skmia import RecordIndex, Records
from skmia.attacks import (
    RMIA,
    CalibratedLossAttack,
    LiRA,
    ShadowModelAttack,
    ThresholdAttack,
)
from skmia.datasets import load_digits_images, load_fashion_mnist
from skmia.model_selection import leave_one_model_out
from skmia.shadow import ShadowModels
from skmia.signals import AugmentationQueries
from skmia.targets import make_target
from skmia.utils import model_outputs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_shadows import OtherProcessesCPU  # noqa: E402


def machine_load():
    """1-minute load average (printed next to timings)."""
    return os.getloadavg()[0]

FPRS = (0.001, 0.01)
DEFAULT_MEMORY = os.path.join(tempfile.gettempdir(), "skmia_bench_attacks")
TIMING_FILE = "bench_attacks_timing.json"


def load_data(name):
    """``(name, X, y)``: float32 images ``(n, 1, H, W)`` and int64 labels."""
    if name == "fashion":
        try:
            data = load_fashion_mnist()
            return "fashion-mnist", data.data, data.target
        except FileNotFoundError as exc:
            print(f"Fashion-MNIST not found ({exc}); using digits instead.")
            print("(apt-get install dataset-fashion-mnist provides it.)")
    data = load_digits_images()
    return "digits", data.data, data.target


def fmt_ci(value, ci, digits=3):
    if value is None:
        return "n/a"
    return f"{value:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


# --------------------------------------------------------------------------
# a. leave-one-model-out on Fashion-MNIST
# --------------------------------------------------------------------------


def attacks_to_evaluate():
    """``(name, unfitted attack)``; target and shadow_models are set per turn."""
    return [
        ("loss threshold (shadow-calibrated)", ThresholdAttack(signal="loss")),
        ("Shokri shadow-model attack", ShadowModelAttack(random_state=0)),
        ("calibrated loss (Watson)", CalibratedLossAttack()),
        ("LiRA online, fixed variance", LiRA(online=True, fixed_variance=True)),
        ("LiRA online, per-record var.", LiRA(online=True, fixed_variance=False)),
        ("LiRA offline, fixed variance", LiRA(online=False, fixed_variance=True)),
        ("LiRA offline, per-record var.", LiRA(online=False, fixed_variance=False)),
        ("RMIA offline, 1 reference", RMIA(n_reference_models=1)),
        ("RMIA offline, 2 references", RMIA(n_reference_models=2)),
        ("RMIA offline, 4 references", RMIA(n_reference_models=4)),
    ]


class TimedFitAndScore:
    """Time each call of :func:`skmia.attacks.fit_and_score`.

    ``leave_one_model_out`` scores every turn through
    ``skmia.attacks.fit_and_score`` (the attack's ``fit`` on the fitted
    shadows, then ``decision_function``, which queries the target); this
    wraps it for the duration of a ``with`` block, so the timings exclude
    the bootstrap intervals computed afterwards.
    """

    def __enter__(self):
        self.times = []
        self._original = skmia.attacks.fit_and_score

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return self._original(*args, **kwargs)
            finally:
                self.times.append(time.perf_counter() - start)

        skmia.attacks.fit_and_score = timed
        return self

    def __exit__(self, *exc):
        skmia.attacks.fit_and_score = self._original


def load_timing(memory, key):
    try:
        with open(os.path.join(memory, TIMING_FILE)) as f:
            return json.load(f).get(key)
    except (OSError, ValueError):
        return None


def save_timing(memory, key, entry):
    path = os.path.join(memory, TIMING_FILE)
    try:
        with open(path) as f:
            timings = json.load(f)
    except (OSError, ValueError):
        timings = {}
    timings[key] = entry
    os.makedirs(memory, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(timings, f, indent=1)
    os.replace(path + ".tmp", path)


def train_shadows(pool, args, data_name):
    queries = AugmentationQueries() if args.augment else None
    estimator = make_target(
        "small_cnn", n_classes=10, in_channels=pool.X.shape[1],
        max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
        random_state=0,
    )
    memory = None if args.memory.lower() == "none" else args.memory
    shadows = ShadowModels(
        estimator, n_models=args.n_models, n_jobs=args.n_jobs, keep_models=True,
        memory=memory, random_state=0, queries=queries,
    )
    key = (f"{data_name} n_records={len(pool)} n_models={args.n_models} "
           f"epochs={args.epochs} lr={args.lr} batch_size={args.batch_size} "
           f"augment={args.augment}")
    print(f"  training {args.n_models} SmallCNN shadows (memory={memory}) ...",
          flush=True)
    with OtherProcessesCPU() as others:
        start = time.perf_counter()
        shadows.fit(pool)
        wall = time.perf_counter() - start
    print(f"  fit: {wall:.1f} s wall, {shadows.n_trained_} models trained, "
          f"{shadows.n_reused_} loaded from memory; other processes: "
          f"{others.summary()}")
    timing = None
    if shadows.n_trained_ == args.n_models:
        timing = {"wall_s": wall, "n_models": args.n_models, "n_jobs": args.n_jobs,
                  "other_cpu": others.summary(), "load": machine_load(),
                  "date": time.strftime("%Y-%m-%d %H:%M")}
        if memory is not None:
            save_timing(memory, key, timing)
    elif memory is not None:
        timing = load_timing(memory, key)
        if timing is not None:
            print(f"  (training time from the run that trained them, "
                  f"{timing['date']}: {timing['wall_s']:.1f} s wall)")
    return shadows, timing


def shadow_accuracy(shadows):
    """Mean accuracy of the models on their IN records and on their OUT records."""
    pred = shadows.outputs_[:, :, 0].argmax(axis=-1)  # query 0 is the plain input
    correct = pred == shadows.labels_[None, :]
    keep = shadows.keep_
    return (float(np.mean([correct[m, keep[m]].mean() for m in range(len(keep))])),
            float(np.mean([correct[m, ~keep[m]].mean() for m in range(len(keep))])))


def bench_leave_one_out(args):
    name, X, y = load_data(args.data)
    n_records = min(args.n_records, len(X))
    if n_records < len(X):
        _, X, _, y = train_test_split(X, y, test_size=n_records, stratify=y,
                                      random_state=0)
    # A fresh copy: the split leaves the channel axis with a stride that
    # pickling normalises, so ShadowModels' cache check in this process
    # (joblib.hash includes strides) would not see what its workers stored.
    pool = Records(X.copy(), y)
    queries = "18 flip/shift queries" if args.augment else "1 query (plain input)"
    print(f"\n== a. Leave-one-model-out on {name}: pool {len(pool)} records "
          f"({len(pool) // 2} members per model), {args.n_models} models, "
          f"{args.n_targets} targets, {queries} ==")
    print(f"  recipe: SmallCNN, Adam lr={args.lr}, batch_size={args.batch_size}, "
          f"{args.epochs} epochs, cross-entropy; n_jobs={args.n_jobs}, "
          "threads_per_model=1")
    shadows, timing = train_shadows(pool, args, name)
    acc_in, acc_out = shadow_accuracy(shadows)
    print(f"  models' mean accuracy: {acc_in:.3f} on their training half, "
          f"{acc_out:.3f} on the other half")

    results = []
    # each turn's shadows: every record is OUT for at least this many of them
    n_out = int((~shadows.keep_).sum(axis=0).min()) - 1
    for attack_name, attack in attacks_to_evaluate():
        if isinstance(attack, RMIA) and attack.n_reference_models > n_out:
            print(f"  {attack_name:<35} skipped: needs {attack.n_reference_models} "
                  f"OUT models per record, the shadows have {n_out}")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with OtherProcessesCPU() as others, TimedFitAndScore() as timer:
                result = leave_one_model_out(
                    attack, shadows, pool, n_targets=args.n_targets, fprs=FPRS,
                    n_bootstraps=args.n_bootstraps, random_state=0)
        refused = [str(w.message) for w in caught
                   if "Not reporting TPR" in str(w.message)]
        other = [w for w in caught if "Not reporting TPR" not in str(w.message)]
        for w in other:
            print(f"  warning ({attack_name}): {w.category.__name__}: {w.message}")
        score_s = (float(np.mean(timer.times))
                   if len(timer.times) == args.n_targets else None)
        results.append({"name": attack_name, "result": result, "score_s": score_s,
                        "refused": refused})
        per_target = result.per_target_auc
        print(f"  {attack_name:<35} AUC {fmt_ci(result.auc, result.auc_ci)} "
              f"(per target {per_target.mean():.3f} +- {per_target.std():.3f}); "
              f"scoring {score_s:.2f} s per target; others {others.summary()}",
              flush=True)
    return {"name": name, "pool": len(pool), "shadows": shadows, "timing": timing,
            "results": results, "acc": (acc_in, acc_out), "queries": queries}


# --------------------------------------------------------------------------
# b. scoring speed at scale (synthetic)
# --------------------------------------------------------------------------


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
        raise ValueError(f"--scale-input-dim must be >= {n_queries * n_classes}.")
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


def bench_scale(args):
    n, m, q = args.scale_records, args.scale_models, args.scale_queries
    print(f"\n== b. Scoring at scale (synthetic): {n} records x {q} queries x "
          f"{m} shadows, 10 classes, {args.scale_input_dim} float32 inputs per "
          "record ==")
    start = time.perf_counter()
    shadows, target, records, membership = synthetic_setup(
        n, m, q, args.scale_input_dim, n_jobs=args.n_jobs)
    print(f"  setup {time.perf_counter() - start:.1f} s; outputs_ "
          f"{shadows.outputs_.nbytes / 2**20:.0f} MiB, inputs "
          f"{records.X.nbytes / 2**20:.0f} MiB")

    # parts every attack pays, timed on their own
    best_query = best_locate = float("inf")
    for _ in range(args.scale_repeats):
        start = time.perf_counter()
        for X in shadows.queries(records.X):
            model_outputs(target, X)
        best_query = min(best_query, time.perf_counter() - start)
        start = time.perf_counter()
        shadows.locate(records)
        best_locate = min(best_locate, time.perf_counter() - start)
    best_signal = {"logit": float("inf"), "confidence": float("inf")}
    for _ in range(args.scale_repeats):
        for signal in best_signal:
            fresh = copy.copy(shadows)  # a copy keeps no signals: time their extraction
            start = time.perf_counter()
            fresh.signal(signal)
            best_signal[signal] = min(best_signal[signal], time.perf_counter() - start)
    print(f"  querying the target on {q} queries: {best_query:.3f} s; "
          f"shadows.locate(records): {best_locate:.3f} s; the shadows' signals "
          f"(ShadowModels.signal, computed once per ensemble, n_jobs={shadows.n_jobs} "
          f"threads): 'logit' (LiRA) {best_signal['logit']:.3f} s, 'confidence' "
          f"(RMIA) {best_signal['confidence']:.3f} s (best of {args.scale_repeats})")

    results = []
    for name, make in scale_attacks(m):
        fits, decisions = [], []
        with OtherProcessesCPU() as others:
            shadows = copy.copy(shadows)  # no kept signals: the first attack on it
            start = time.perf_counter()
            run_attack(make, target, shadows, records)
            cold = time.perf_counter() - start
            for _ in range(args.scale_repeats):  # then with the signals kept
                fit_s, decision_s, scores, attack = run_attack(
                    make, target, shadows, records)
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
        results.append(row)
        runs = ", ".join(f"{f + d:.2f}" for f, d in zip(fits, decisions))
        print(f"  {name:<35} fit {row['fit']:.3f} s + decision_function "
              f"{row['decision']:.3f} s = {row['total']:.3f} s (runs: {runs}); "
              f"first attack on the ensemble (signal not yet kept) {cold:.3f} s; "
              f"peak traced {peak / 2**20:.0f} MiB; AUC {auc:.3f}; others "
              f"{others.summary()}", flush=True)
        if row["total"] > args.scale_budget:
            profiler = cProfile.Profile()
            profiler.enable()
            run_attack(make, target, shadows, records)
            profiler.disable()
            print_profile(profiler, args.profile_top)
    return {"n": n, "m": m, "q": q, "query": best_query, "locate": best_locate,
            "signal": best_signal, "results": results}


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------


def print_summary(loo, scale, args):
    print("\n== Summary ==")
    if loo is not None:
        shadows = loo["shadows"]
        n_out = int(np.sum(shadows.keep_[: args.n_targets] == 0))
        print(f"{loo['name']}, SmallCNN, pool {loo['pool']} ({loo['pool'] // 2} "
              f"members per model), {args.n_models} models x {args.epochs} epochs, "
              f"{loo['queries']}; models' accuracy {loo['acc'][0]:.3f} train / "
              f"{loo['acc'][1]:.3f} held out; {args.n_targets} targets pooled "
              f"({args.n_targets * loo['pool']} scores, {n_out} non-members)")
        timing = loo["timing"]
        if timing is None:
            print("shadow training: not timed (all models were loaded from memory "
                  "and no earlier timing was found)")
        else:
            per_model = timing["wall_s"] / timing["n_models"]
            print(f"shadow training: {timing['wall_s']:.0f} s wall for "
                  f"{timing['n_models']} models with n_jobs={timing['n_jobs']} = "
                  f"{per_model:.1f} s per model ({per_model * timing['n_jobs']:.1f} "
                  "s per model per worker)")
        header = (f"{'attack':<35} {'AUC [95% CI]':<22} {'TPR@0.1%FPR [95% CI]':<22} "
                  f"{'TPR@1%FPR [95% CI]':<22} {'scoring s/target':>16}")
        print(header)
        print("-" * len(header))
        refused = []
        for row in loo["results"]:
            r = row["result"]
            tprs = [fmt_ci(r.tpr_at_fpr[f], r.tpr_at_fpr_ci[f]) for f in FPRS]
            score_s = "n/a" if row["score_s"] is None else f"{row['score_s']:.2f}"
            print(f"{row['name']:<35} {fmt_ci(r.auc, r.auc_ci):<22} {tprs[0]:<22} "
                  f"{tprs[1]:<22} {score_s:>16}")
            refused += [m for m in row["refused"] if m not in refused]
        for message in refused:
            print(f"n/a: leave_one_model_out: {message}")
        print("scoring = the attack's fit on the fitted shadows + decision_function "
              "(which queries the target), mean per target; shadow training and "
              "bootstrap excluded.")
    if scale is not None:
        print(f"\nScoring at scale (synthetic): {scale['n']} records x {scale['q']} "
              f"queries x {scale['m']} shadows: fit(records) + "
              f"decision_function(records), best of {args.scale_repeats}, with the "
              "shadows' signal already kept by the ensemble (as for every attack "
              "after the first); included: target queries "
              f"{scale['query']:.3f} s, locate {scale['locate']:.3f} s (in fit and "
              "again in decision_function). 'first' = the first attack on a fresh "
              "ensemble, which also computes the signal: "
              f"{scale['signal']['logit']:.3f} s ('logit', LiRA) or "
              f"{scale['signal']['confidence']:.3f} s ('confidence', RMIA)")
        header = (f"{'attack':<35} {'fit s':>7} {'decision s':>11} {'total s':>8} "
                  f"{'first s':>8} {'peak MiB':>9} {'n x n_pop x 8 MiB':>18} "
                  f"{'peak / that':>12}")
        print(header)
        print("-" * len(header))
        for row in scale["results"]:
            if row["n_population"]:
                pairwise = scale["n"] * row["n_population"] * 8
                pair = f"{pairwise / 2**20:>18.0f} {row['peak'] / pairwise:>12.4f}"
            else:
                pair = f"{'-':>18} {'-':>12}"
            print(f"{row['name']:<35} {row['fit']:>7.3f} {row['decision']:>11.3f} "
                  f"{row['total']:>8.3f} {row['cold']:>8.3f} "
                  f"{row['peak'] / 2**20:>9.0f} {pair}")
    load = machine_load()
    print(f"\n1-min load average at the end: {load if load is None else f'{load:.2f}'}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", choices=["fashion", "digits"], default="fashion")
    parser.add_argument("--n-records", type=int, default=4000,
                        help="pool size; each model trains on half of it")
    parser.add_argument("--n-models", type=int, default=16)
    parser.add_argument("--n-targets", type=int, default=8,
                        help="models that play the target in turn (pooled)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="models trained in parallel")
    parser.add_argument("--augment", action="store_true",
                        help="query every model on AugmentationQueries() (18 "
                        "flip/shift copies); training is unchanged")
    parser.add_argument("--memory", default=DEFAULT_MEMORY,
                        help="ShadowModels(memory=) cache folder; 'none' disables it")
    parser.add_argument("--n-bootstraps", type=int, default=1000)
    parser.add_argument("--scale-records", type=int, default=60_000)
    parser.add_argument("--scale-models", type=int, default=64)
    parser.add_argument("--scale-queries", type=int, default=2)
    parser.add_argument("--scale-input-dim", type=int, default=784,
                        help="float32 values per synthetic record")
    parser.add_argument("--scale-repeats", type=int, default=3, help="best of")
    parser.add_argument("--scale-budget", type=float, default=1.0,
                        help="profile attacks slower than this (seconds)")
    parser.add_argument("--profile-top", type=int, default=12)
    parser.add_argument("--skip-attacks", action="store_true", help="skip part a")
    parser.add_argument("--skip-scale", action="store_true", help="skip part b")
    args = parser.parse_args()

    load = machine_load()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch "
        f"{torch.__version__}, skorch {skorch.__version__}, scikit-learn "
        f"{sklearn.__version__}; {os.cpu_count()} CPUs, torch threads "
        f"{torch.get_num_threads()}; 1-min load average at "
        f"start {load if load is None else f'{load:.2f}'}"
    )
    if load is not None and load > 0.5:
        print("WARNING: the machine is not quiet; timings will be unreliable.")
    loo = None if args.skip_attacks else bench_leave_one_out(args)
    scale = None if args.skip_scale else bench_scale(args)
    print_summary(loo, scale, args)


if __name__ == "__main__":
    main()
