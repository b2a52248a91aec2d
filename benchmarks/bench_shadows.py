"""Shadow-model training and the Shokri et al. attack: skmia vs. IBM ART.

Two measurements on one target (a :class:`skmia.targets.SmallCNN` trained by
:func:`skmia.targets.make_target` on the target-in split of
:func:`skmia.datasets.make_membership_split`):

a. **n_jobs scaling** of :class:`skmia.shadow.ShadowModels`: wall time to
   train ``--n-shadows`` shadow SmallCNNs (the target's recipe) with
   ``n_jobs=1`` and ``n_jobs=2`` (``threads_per_model=1`` both, so the
   outputs must be bit-identical, which is checked), and with ``n_jobs=1,
   threads_per_model=2`` (one process using both cores).
b. **skmia vs. ART**, end to end (shadow training, attack fitting, scoring
   the evaluation records; target training and data loading excluded):
   ``skmia.attacks.ShadowModelAttack(target, n_shadow_models=N, n_jobs=2,
   random_state=0).fit(pool).decision_function(records)`` against ART's
   ``ShadowModels`` + ``generate_shadow_dataset`` + ``MembershipInferenceBlackBox``
   with the same shadow architecture, epochs, batch size, optimizer and
   learning rate, the same pool and the same evaluation records (every
   target member and as many non-members). Both score vectors go through the
   same :mod:`skmia.metrics` code (ROC AUC and TPR at 1% FPR, with 95%
   stratified bootstrap intervals).

ART is not a dependency of skmia: install it in its own environment (see
``benchmarks/README.rst``) and run this script with that environment's
Python. Without ART, part b runs skmia's side only. Run it on a quiet
machine (nothing else using the cores)::

    /tmp/art-venv/bin/python benchmarks/bench_shadows.py            # Fashion-MNIST
    python benchmarks/bench_shadows.py --data digits --skip-art     # quick
"""

import argparse
import sys
import time

import numpy as np
import torch

from _art import run_art
from _common import (
    LEAKAGE,
    OtherProcessesCPU,
    leakage_cells,
    load_images,
    markdown_table,
    print_environment,
    print_leakage_table,
)
from skmia import Records
from skmia.datasets import make_membership_split
from skmia.metrics import leakage_summary
from skmia.shadow import ShadowModels
from skmia.signals import loss
from skmia.targets import make_target
from skmia.utils import model_outputs

FPRS = (0.01,)
# Per data set: target-in size (= target-out size) and attacker pool size.
SIZES = {"fashion": (1000, 2000), "digits": (450, 800)}


def recipe(args):
    """The training recipe shared by the target, skmia's and ART's shadows."""
    return {"max_epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}


def make_net(X, args, random_state=None):
    return make_target(
        "small_cnn", n_classes=10, in_channels=X.shape[1],
        random_state=random_state, **recipe(args),
    )


def metrics(membership, scores):
    """The leakage row (ROC AUC, TPR at 1% FPR, 95% bootstrap intervals) of
    :func:`skmia.metrics.leakage_summary`, and the number of distinct scores."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    return {"summary": leakage_summary(membership, scores, fprs=FPRS, random_state=0),
            "n_unique": len(np.unique(scores))}


def print_metrics(name, m):
    auc, tpr = leakage_cells(m["summary"], FPRS)
    print(f"  {name}: AUC {auc}, TPR@{FPRS[0]:.0%}FPR {tpr} ({m['n_unique']} distinct "
          "scores)")


# --------------------------------------------------------------------------
# a. n_jobs scaling of skmia.shadow.ShadowModels
# --------------------------------------------------------------------------


def time_shadow_models(pool, args, n_jobs, threads_per_model):
    shadows = ShadowModels(
        make_net(pool.X, args), n_models=args.n_shadows, n_jobs=n_jobs,
        threads_per_model=threads_per_model, random_state=0,
    )
    start = time.perf_counter()
    shadows.fit(pool)
    return time.perf_counter() - start, shadows


def bench_scaling(pool, args, others):
    print(f"\n== a. ShadowModels n_jobs scaling ({args.n_shadows} SmallCNN shadows, "
          f"{len(pool) // 2} records each) ==")
    configs = [(2, 1), (1, 1), (1, 2)]  # (n_jobs, threads_per_model)
    times, fitted = {}, {}
    for n_jobs, threads in configs:
        print(f"  training with n_jobs={n_jobs}, threads_per_model={threads} ...",
              flush=True)
        mark = others.other
        times[n_jobs, threads], fitted[n_jobs, threads] = time_shadow_models(
            pool, args, n_jobs, threads
        )
        print(f"    {times[n_jobs, threads]:.1f} s{others.since(mark)}", flush=True)
    a, b = fitted[1, 1], fitted[2, 1]
    identical = (
        np.array_equal(a.keep_, b.keep_)
        and np.array_equal(a.seeds_, b.seeds_)
        and a.outputs_.dtype == b.outputs_.dtype
        and np.array_equal(a.outputs_, b.outputs_)
    )
    max_diff = float(np.max(np.abs(a.outputs_ - b.outputs_)))
    print(f"  n_jobs=1 and n_jobs=2 outputs_ bit-identical: {identical} "
          f"(max |diff| {max_diff:.3g}, outputs_ {a.outputs_.shape} {a.outputs_.dtype})")
    if not identical:
        X = pool.X
        canonical = np.empty_like(X, order="C").strides
        print(f"  note: pool.X strides {X.strides} (a fresh C array: {canonical}); "
              "torch.as_tensor(pool.X).is_contiguous(memory_format=channels_last) = "
              f"{torch.as_tensor(X).is_contiguous(memory_format=torch.channels_last)}. "
              "A joblib worker receives a pickled copy with canonical strides, so "
              "its convolutions may take another code path than n_jobs=1 does.")
    c = fitted[1, 2]
    print(f"  n_jobs=1, threads_per_model=2 vs threads_per_model=1: max |diff| "
          f"{float(np.max(np.abs(c.outputs_ - a.outputs_))):.3g} (expected: another thread "
          "count rounds differently, and training amplifies it)")
    speedup = times[1, 1] / times[2, 1]
    vs_threads = times[1, 2] / times[2, 1]
    print(f"  speed-up n_jobs=2 vs n_jobs=1 (1 thread/model):  {speedup:.2f}x")
    print(f"  speed-up n_jobs=2 vs n_jobs=1, threads_per_model=2: {vs_threads:.2f}x")
    return {"times": times, "identical": identical, "speedup": speedup,
            "vs_threads": vs_threads}


# --------------------------------------------------------------------------
# b. skmia's ShadowModelAttack vs. ART's shadow models + black-box attack
# --------------------------------------------------------------------------


def run_skmia(target, pool, eval_records, args):
    from skmia.attacks import ShadowModelAttack

    attack = ShadowModelAttack(
        target, n_shadow_models=args.n_shadows, n_jobs=2, random_state=0
    )
    start = time.perf_counter()
    attack.fit(pool)
    fitted = time.perf_counter()
    scores = attack.decision_function(eval_records)
    end = time.perf_counter()
    return {
        "scores": np.asarray(scores),
        "total": end - start,
        "phases": {"fit (shadows + attack model)": fitted - start,
                   "decision_function": end - fitted},
        "attack_model": f"{attack.estimator_!r} on features={attack.features!r}",
        "n_attack_rows": attack.n_training_rows_,
    }


def run_and_report(name, run, inputs, membership, others):
    """``run(*inputs)``, one library's side of part b; print and return its result."""
    mark = others.other
    res = run(*inputs)
    res.update(metrics(membership, res["scores"]))
    print(f"  {name}: {res['total']:.1f} s end to end{others.since(mark)}; "
          f"attack model {res['attack_model']}")
    for phase, seconds in res["phases"].items():
        print(f"      {phase}: {seconds:.1f} s")
    print(f"      attack training rows: {res['n_attack_rows']}")
    for message in res.get("warnings", []):
        print(f"      warning during attack fit/infer: {message[:150]}")
    print_metrics(name, res)
    return res


def bench_vs_art(target, pool, eval_records, membership, args, art_version, others):
    print(f"\n== b. Shokri et al. shadow-model attack, {args.n_shadows} shadows, "
          "end to end: skmia vs ART ==")
    results, inputs = {}, (target, pool, eval_records, args)
    try:
        from skmia.attacks import ShadowModelAttack  # noqa: F401
    except ImportError as exc:
        print(f"  skmia.attacks.ShadowModelAttack is not available ({exc}): "
              "skipping skmia's side.")
    else:
        print(f"  skmia: ShadowModelAttack(n_shadow_models={args.n_shadows}, n_jobs=2, "
              f"random_state=0); torch threads: {torch.get_num_threads()} in the main "
              "process, 1 per shadow job (threads_per_model=1) ...", flush=True)
        results["skmia"] = run_and_report("skmia", run_skmia, inputs, membership, others)
    if art_version is None:
        print("  ART is not installed in this environment: skipping its side "
              "(see benchmarks/README.rst).")
    elif args.skip_art:
        print("  --skip-art: skipping ART's side.")
    else:
        torch.set_num_threads(args.art_threads)
        print(f"  ART {art_version}: torch.set_num_threads({args.art_threads}) -> "
              f"torch.get_num_threads() = {torch.get_num_threads()}; shadows trained "
              "one after another in this process ...", flush=True)
        results["ART"] = run_and_report("ART", run_art, inputs, membership, others)
    if "ART" in results and "skmia" in results:
        ratio = results["ART"]["total"] / results["skmia"]["total"]
        print(f"  wall-time ratio ART / skmia: {ratio:.2f}x")
    return results


# --------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["fashion", "digits"], default="fashion")
    parser.add_argument("--n-shadows", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40,
                        help="epochs of the target and of every shadow")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument("--n-target", type=int, default=None,
                        help="target members (= non-members evaluated)")
    parser.add_argument("--n-pool", type=int, default=None, help="attacker pool size")
    parser.add_argument("--art-threads", type=int, default=2,
                        help="torch threads of the ART process")
    parser.add_argument("--art-attack-model", default="lr",
                        choices=["nn", "rf", "gb", "lr", "dt", "knn", "svm"],
                        help="ART's attack_model_type; 'lr' (standardised logistic "
                        "regression) matches skmia's default attack classifier; ART's "
                        "own default 'nn' trains 100 epochs and takes minutes")
    parser.add_argument("--skip-art", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    return parser.parse_args()


def split_data(args):
    """The attacker's pool and the evaluated records (target members first)."""
    name, X, y = load_images(args.data)
    key = "fashion" if name == "fashion-mnist" else "digits"
    n_target = args.n_target or SIZES[key][0]
    n_pool = args.n_pool or SIZES[key][1]
    split = make_membership_split(X, y, n_target=n_target, n_pool=n_pool, random_state=0)
    eval_records = Records(np.concatenate([split.target_in.X, split.target_out.X]),
                           np.concatenate([split.target_in.y, split.target_out.y]))
    membership = np.repeat([1, 0], [len(split.target_in), len(split.target_out)])
    print(
        f"data {name} {X.shape[1:]}: target-in {len(split.target_in)}, evaluation "
        f"{len(eval_records)} ({len(split.target_in)} members + "
        f"{len(split.target_out)} non-members), attacker pool {len(split.pool)}"
    )
    return split, eval_records, membership


def train_target(split, args):
    start = time.perf_counter()
    target = make_net(split.pool.X, args, random_state=0).fit(split.target_in.X,
                                                              split.target_in.y)
    train_acc = np.mean(target.predict(split.target_in.X) == split.target_in.y)
    test_acc = np.mean(target.predict(split.target_out.X) == split.target_out.y)
    print(f"target trained in {time.perf_counter() - start:.1f} s (torch threads "
          f"{torch.get_num_threads()}): train accuracy {train_acc:.3f}, "
          f"test accuracy {test_acc:.3f}")
    return target


def print_summary(scaling, results):
    print("\n== Summary ==")
    if scaling is not None:
        t = scaling["times"]
        print(markdown_table(["ShadowModels", "wall time", "speed-up"], [
            ("n_jobs=1, threads_per_model=1", f"{t[1, 1]:.1f} s", "1.00x"),
            ("n_jobs=1, threads_per_model=2", f"{t[1, 2]:.1f} s",
             f"{t[1, 1] / t[1, 2]:.2f}x"),
            ("n_jobs=2, threads_per_model=1", f"{t[2, 1]:.1f} s",
             f"{scaling['speedup']:.2f}x"),
        ]))
        print(f"n_jobs=1 vs 2 outputs bit-identical: {scaling['identical']}\n")
    if results:
        print_leakage_table(
            ["shadow attack end to end", "wall time", LEAKAGE],
            [(lib, f"{res['total']:.1f} s", res["summary"])
             for lib, res in results.items()], FPRS)
    if "ART" in results and "skmia" in results:
        print(f"ART / skmia wall time: "
              f"{results['ART']['total'] / results['skmia']['total']:.2f}x")


def main():
    args = parse_args()
    try:
        import art

        art_version = art.__version__
    except ImportError:
        art_version = None
    print_environment(ART=art_version or "not installed")
    torch.set_num_threads(2)

    split, eval_records, membership = split_data(args)
    print(
        f"recipe (target and every shadow, both libraries): SmallCNN, Adam lr={args.lr}, "
        f"batch_size={args.batch_size}, {args.epochs} epochs, cross-entropy"
    )
    target = train_target(split, args)
    # A reference that needs no shadows: rank records by the target's loss,
    # from its logits (float32 probabilities round many losses to exactly 0).
    kind, outputs = model_outputs(target, eval_records.X)
    reference = metrics(membership, -loss(eval_records.y, **{kind: outputs}))
    print_metrics("reference, no shadows: the target's negative loss", reference)

    with OtherProcessesCPU() as others:
        results = bench_vs_art(target, split.pool, eval_records, membership, args,
                               art_version, others)
        torch.set_num_threads(2)
        scaling = None if args.skip_scaling else bench_scaling(split.pool, args,
                                                               others)

    print(f"\nCPU used by other processes during parts a and b: {others.summary()}")
    print_summary(scaling, results)


if __name__ == "__main__":
    sys.exit(main())
