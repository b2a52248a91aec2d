"""Attacks on shared shadow models: leakage on Fashion-MNIST, leave one model out.

``--n-models`` SmallCNNs (:func:`skmia.targets.make_target`) are trained
once, by :class:`skmia.shadow.ShadowModels` (``n_jobs=2``,
``keep_models=True``, ``memory=--memory`` so that a rerun reuses them), each
on a random half of a pool of ``--n-records`` images; the recipe overfits
(train accuracy close to 1). :func:`skmia.model_selection.leave_one_model_out`
then lets each of the first ``--n-targets`` models play the target, the
other models but its complementary partner being the attack's shadows, for
every attack: the shadow-calibrated loss threshold, Shokri et al.'s
shadow-model attack, the calibrated loss attack, LiRA online (fixed and
per-record variance) and offline, and RMIA (offline) with 1, 2 and 4
reference models. Scores are pooled over the targets; the table gives the
:func:`skmia.metrics.leakage_summary` row of each attack: ROC AUC and TPR at
0.1% and 1% FPR, with 95% stratified bootstrap intervals (an FPR below
``10 / n_nonmembers`` is refused; such cells read "n/a"). The scoring step
alone (the attack's ``fit`` on the fitted shadows and ``decision_function``,
which queries the target; no shadow training, no bootstrap) is timed per
target, next to the shadow training time per model. The scoring speed at
scale is measured by ``bench_scoring.py``.

Run it on a quiet machine (``top``: nothing else using the cores); it prints
the load average and the CPU time other processes took during each timed
step. The first run trains the shadows (about 6 minutes on 2 cores with the
defaults); reruns with the same ``--memory`` folder load them::

    python benchmarks/bench_attacks.py
    python benchmarks/bench_attacks.py --augment          # 18 flip/shift queries
    python benchmarks/bench_attacks.py --data digits --n-records 1000 \\
        --epochs 30                                       # quick
"""

import argparse
import json
import os
import tempfile
import time
import warnings

import numpy as np
from sklearn.model_selection import train_test_split

import skmia.attacks
from _common import (
    LEAKAGE,
    OtherProcessesCPU,
    leakage_cells,
    load_images,
    machine_load,
    print_environment,
    print_final_load,
    print_leakage_table,
)
from skmia import Records
from skmia.attacks import (
    RMIA,
    CalibratedLossAttack,
    LiRA,
    ShadowModelAttack,
    ThresholdAttack,
)
from skmia.model_selection import leave_one_model_out
from skmia.shadow import ShadowModels
from skmia.signals import AugmentationQueries
from skmia.targets import make_target

FPRS = (0.001, 0.01)
DEFAULT_MEMORY = os.path.join(tempfile.gettempdir(), "skmia_bench_attacks")
TIMING_FILE = "bench_attacks_timing.json"


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
    name, X, y = load_images(args.data)
    n_records = min(args.n_records, len(X))
    if n_records < len(X):
        _, X, _, y = train_test_split(X, y, test_size=n_records, stratify=y,
                                      random_state=0)
    # A fresh copy: the split leaves the channel axis with a stride that
    # pickling normalises, so ShadowModels' cache check in this process
    # (joblib.hash includes strides) would not see what its workers stored.
    pool = Records(X.copy(), y)
    queries = "18 flip/shift queries" if args.augment else "1 query (plain input)"
    print(f"\n== Leave-one-model-out on {name}: pool {len(pool)} records "
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
        # refused FPRs read n/a, with the summary's note
        for w in caught:
            if "Not reporting TPR" not in str(w.message):
                print(f"  warning ({attack_name}): {w.category.__name__}: {w.message}")
        score_s = (float(np.mean(timer.times))
                   if len(timer.times) == args.n_targets else None)
        results.append({"name": attack_name, "result": result, "score_s": score_s})
        per_target = result.per_target_auc
        print(f"  {attack_name:<35} AUC {leakage_cells(result.summary, ())[0]} "
              f"(per target {per_target.mean():.3f} +- {per_target.std():.3f}); "
              f"scoring {score_s:.2f} s per target; others {others.summary()}",
              flush=True)
    return {"name": name, "pool": len(pool), "shadows": shadows, "timing": timing,
            "results": results, "acc": (acc_in, acc_out), "queries": queries}


def print_shadow_timing(timing):
    if timing is None:
        print("shadow training: not timed (all models were loaded from memory "
              "and no earlier timing was found)")
        return
    per_model = timing["wall_s"] / timing["n_models"]
    print(f"shadow training: {timing['wall_s']:.0f} s wall for "
          f"{timing['n_models']} models with n_jobs={timing['n_jobs']} = "
          f"{per_model:.1f} s per model ({per_model * timing['n_jobs']:.1f} "
          "s per model per worker)")


def print_summary(loo, args):
    print("\n== Summary ==")
    shadows = loo["shadows"]
    n_out = int(np.sum(shadows.keep_[: args.n_targets] == 0))
    print(f"{loo['name']}, SmallCNN, pool {loo['pool']} ({loo['pool'] // 2} "
          f"members per model), {args.n_models} models x {args.epochs} epochs, "
          f"{loo['queries']}; models' accuracy {loo['acc'][0]:.3f} train / "
          f"{loo['acc'][1]:.3f} held out; {args.n_targets} targets pooled "
          f"({args.n_targets * loo['pool']} scores, {n_out} non-members)")
    print_shadow_timing(loo["timing"])
    rows = [(row["name"], row["result"].summary,
             "n/a" if row["score_s"] is None else f"{row['score_s']:.2f}")
            for row in loo["results"]]
    print_leakage_table(["attack", LEAKAGE, "scoring s/target"], rows, FPRS)
    print("scoring = the attack's fit on the fitted shadows + decision_function "
          "(which queries the target), mean per target; shadow training and "
          "bootstrap excluded.")
    print_final_load()


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
    args = parser.parse_args()

    print_environment()
    print_summary(bench_leave_one_out(args), args)


if __name__ == "__main__":
    main()
