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
import os
import platform
import sys
import threading
import time
import warnings

import numpy as np
import sklearn
import skorch
import torch
from sklearn.metrics import roc_auc_score

from skmia.datasets import load_digits_images, load_fashion_mnist, make_membership_split
from skmia.metrics import roc_auc_ci, tpr_at_fpr, tpr_at_fpr_ci
from skmia.shadow import ShadowModels
from skmia.signals import loss
from skmia.targets import SmallCNN, make_target
from skmia.utils import model_outputs

FPR = 0.01
# Per data set: target-in size (= target-out size) and attacker pool size.
SIZES = {"fashion": (1000, 2000), "digits": (450, 800)}


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


def busy_cpu_percent(seconds=3.0):
    """How busy the machine is now (psutil), or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.cpu_percent(interval=seconds)


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


def recipe(args):
    """The training recipe shared by the target, skmia's and ART's shadows."""
    return {"max_epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}


def make_net(X, args, random_state=None):
    return make_target(
        "small_cnn", n_classes=10, in_channels=X.shape[1],
        random_state=random_state, **recipe(args),
    )


def metrics(membership, scores):
    """ROC AUC and TPR at 1% FPR with 95% bootstrap intervals (skmia.metrics)."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    return {
        "auc": roc_auc_score(membership, scores),
        "auc_ci": roc_auc_ci(membership, scores, random_state=0),
        "tpr": tpr_at_fpr(membership, scores, fpr=FPR),
        "tpr_ci": tpr_at_fpr_ci(membership, scores, fpr=FPR, random_state=0),
        "n_unique": len(np.unique(scores)),
    }


def print_metrics(name, m):
    print(
        f"  {name}: AUC {m['auc']:.3f} [{m['auc_ci'][0]:.3f}, {m['auc_ci'][1]:.3f}], "
        f"TPR@{FPR:.0%}FPR {m['tpr']:.3f} [{m['tpr_ci'][0]:.3f}, {m['tpr_ci'][1]:.3f}] "
        f"({m['n_unique']} distinct scores)"
    )


# --------------------------------------------------------------------------
# a. n_jobs scaling of skmia.shadow.ShadowModels
# --------------------------------------------------------------------------


def time_shadow_models(pool, X, args, n_jobs, threads_per_model):
    shadows = ShadowModels(
        make_net(X, args), n_models=args.n_shadows, n_jobs=n_jobs,
        threads_per_model=threads_per_model, random_state=0,
    )
    start = time.perf_counter()
    shadows.fit(pool)
    return time.perf_counter() - start, shadows


def bench_scaling(pool, X, args, others):
    print(f"\n== a. ShadowModels n_jobs scaling ({args.n_shadows} SmallCNN shadows, "
          f"{len(pool) // 2} records each) ==")
    configs = [(2, 1), (1, 1), (1, 2)]  # (n_jobs, threads_per_model)
    times, fitted = {}, {}
    for n_jobs, threads in configs:
        print(f"  training with n_jobs={n_jobs}, threads_per_model={threads} ...",
              flush=True)
        mark = others.other
        times[n_jobs, threads], fitted[n_jobs, threads] = time_shadow_models(
            pool, X, args, n_jobs, threads
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


def art_recipe_classifier(batch_size, nb_epochs):
    """A PyTorchClassifier whose ``fit`` defaults to the target's recipe.

    ART's ``ShadowModels.generate_shadow_dataset`` calls ``model.fit(x, y)``
    with no training arguments, so its shadows would train with
    ``PyTorchClassifier.fit``'s defaults (10 epochs, batch size 128) whatever
    the target's recipe. ``clone_for_refitting`` builds ``type(self)(...)``,
    so a subclass carries the recipe to every shadow.
    """
    from art.estimators.classification import PyTorchClassifier

    class RecipePyTorchClassifier(PyTorchClassifier):
        def fit(self, x, y, batch_size=batch_size, nb_epochs=nb_epochs, **kwargs):
            return super().fit(x, y, batch_size=batch_size, nb_epochs=nb_epochs, **kwargs)

    return RecipePyTorchClassifier


def run_art(target, pool, eval_records, args):
    from art.attacks.inference.membership_inference import (
        MembershipInferenceBlackBox,
        ShadowModels as ARTShadowModels,
    )
    from art.estimators.classification import PyTorchClassifier

    input_shape = tuple(pool.X.shape[1:])
    n_classes = 10
    # ART has no seed for shadow initialisation, shuffling or the attack
    # model: seed the global generators it draws from.
    torch.manual_seed(0)
    np.random.seed(0)
    start = time.perf_counter()
    # The target as ART sees it (its module, already trained by skorch).
    art_target = PyTorchClassifier(
        model=target.module_, loss=torch.nn.CrossEntropyLoss(),
        input_shape=input_shape, nb_classes=n_classes,
        optimizer=torch.optim.Adam(target.module_.parameters(), lr=args.lr),
        device_type="cpu",
    )
    # The shadow template: a fresh module with the target's recipe.
    module = SmallCNN(n_classes=n_classes, in_channels=input_shape[0])
    template = art_recipe_classifier(args.batch_size, args.epochs)(
        model=module, loss=torch.nn.CrossEntropyLoss(), input_shape=input_shape,
        nb_classes=n_classes, optimizer=torch.optim.Adam(module.parameters(), lr=args.lr),
        device_type="cpu",
    )
    shadows = ARTShadowModels(template, num_shadow_models=args.n_shadows, random_state=0)
    (mx, my, mpred), (nx, ny, npred) = shadows.generate_shadow_dataset(
        pool.X, pool.y, member_ratio=0.5
    )
    t_shadows = time.perf_counter()
    attack = MembershipInferenceBlackBox(
        art_target, input_type="prediction", attack_model_type=args.art_attack_model
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # pred= and test_pred= are required: without them ART silently
        # computes the attack features with the *target* instead of the
        # shadows.
        attack.fit(x=mx, y=my, test_x=nx, test_y=ny, pred=mpred, test_pred=npred)
        t_fit = time.perf_counter()
        scores = attack.infer(eval_records.X, eval_records.y, probabilities=True)
        end = time.perf_counter()
    return {
        "scores": np.asarray(scores).ravel(),
        "total": end - start,
        "phases": {"shadow training (generate_shadow_dataset)": t_shadows - start,
                   "attack model fit": t_fit - t_shadows,
                   "infer": end - t_fit},
        "attack_model": f"attack_model_type={args.art_attack_model!r} "
                        f"({type(attack.attack_model).__name__})",
        "n_attack_rows": len(mpred) + len(npred),
        "warnings": sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                            for w in caught}),
    }


def report(name, res, membership, others, mark):
    res.update(metrics(membership, res["scores"]))
    print(f"  {name}: {res['total']:.1f} s end to end{others.since(mark)}; "
          f"attack model {res['attack_model']}")
    for phase, seconds in res["phases"].items():
        print(f"      {phase}: {seconds:.1f} s")
    print(f"      attack training rows: {res['n_attack_rows']}")
    for message in res.get("warnings", []):
        print(f"      warning during attack fit/infer: {message[:150]}")
    print_metrics(name, res)


def bench_vs_art(target, pool, eval_records, membership, args, art_version, others):
    print(f"\n== b. Shokri et al. shadow-model attack, {args.n_shadows} shadows, "
          "end to end: skmia vs ART ==")
    results = {}
    try:
        from skmia.attacks import ShadowModelAttack  # noqa: F401
    except ImportError as exc:
        print(f"  skmia.attacks.ShadowModelAttack is not available ({exc}): "
              "skipping skmia's side.")
    else:
        print(f"  skmia: ShadowModelAttack(n_shadow_models={args.n_shadows}, n_jobs=2, "
              f"random_state=0); torch threads: {torch.get_num_threads()} in the main "
              "process, 1 per shadow job (threads_per_model=1) ...", flush=True)
        mark = others.other
        results["skmia"] = run_skmia(target, pool, eval_records, args)
        report("skmia", results["skmia"], membership, others, mark)
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
        mark = others.other
        results["ART"] = run_art(target, pool, eval_records, args)
        report("ART", results["ART"], membership, others, mark)
    if "ART" in results and "skmia" in results:
        ratio = results["ART"]["total"] / results["skmia"]["total"]
        print(f"  wall-time ratio ART / skmia: {ratio:.2f}x")
    return results


# --------------------------------------------------------------------------


def main():
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
    args = parser.parse_args()

    try:
        import art

        art_version = art.__version__
    except ImportError:
        art_version = None

    busy = busy_cpu_percent()
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, skorch "
        f"{skorch.__version__}, scikit-learn {sklearn.__version__}, ART "
        f"{art_version or 'not installed'}; {os.cpu_count()} CPUs, "
        f"{'unknown' if busy is None else f'{busy:.0f}%'} busy just before the start"
    )
    if busy is not None and busy > 10:
        print("WARNING: the machine is not quiet; timings will be unreliable.")
    torch.set_num_threads(2)

    name, X, y = load_data(args.data)
    key = "fashion" if name == "fashion-mnist" else "digits"
    n_target = args.n_target or SIZES[key][0]
    n_pool = args.n_pool or SIZES[key][1]
    split = make_membership_split(X, y, n_target=n_target, n_pool=n_pool, random_state=0)
    pool = split.pool
    X_eval = np.concatenate([split.target_in.X, split.target_out.X])
    y_eval = np.concatenate([split.target_in.y, split.target_out.y])
    from skmia import Records

    eval_records = Records(X_eval, y_eval)
    membership = np.repeat([1, 0], [len(split.target_in), len(split.target_out)])
    print(
        f"data {name} {X.shape[1:]}: target-in {len(split.target_in)}, evaluation "
        f"{len(eval_records)} ({len(split.target_in)} members + "
        f"{len(split.target_out)} non-members), attacker pool {len(pool)}"
    )
    print(
        f"recipe (target and every shadow, both libraries): SmallCNN, Adam lr={args.lr}, "
        f"batch_size={args.batch_size}, {args.epochs} epochs, cross-entropy"
    )

    start = time.perf_counter()
    target = make_net(X, args, random_state=0).fit(split.target_in.X, split.target_in.y)
    train_acc = np.mean(target.predict(split.target_in.X) == split.target_in.y)
    test_acc = np.mean(target.predict(split.target_out.X) == split.target_out.y)
    print(f"target trained in {time.perf_counter() - start:.1f} s (torch threads "
          f"{torch.get_num_threads()}): train accuracy {train_acc:.3f}, "
          f"test accuracy {test_acc:.3f}")
    # A reference that needs no shadows: rank records by the target's loss,
    # from its logits (float32 probabilities round many losses to exactly 0).
    kind, outputs = model_outputs(target, X_eval)
    reference = metrics(membership, -loss(y_eval, **{kind: outputs}))
    print_metrics("reference, no shadows: the target's negative loss", reference)

    with OtherProcessesCPU() as others:
        results = bench_vs_art(target, pool, eval_records, membership, args,
                               art_version, others)
        torch.set_num_threads(2)
        scaling = None if args.skip_scaling else bench_scaling(pool, X, args, others)

    print(f"\nCPU used by other processes during parts a and b: {others.summary()}")
    print("\n== Summary ==")
    rows = []
    if scaling is not None:
        t = scaling["times"]
        rows += [
            ("ShadowModels n_jobs=1, threads_per_model=1", f"{t[1, 1]:.1f} s", "1.00x"),
            ("ShadowModels n_jobs=1, threads_per_model=2", f"{t[1, 2]:.1f} s",
             f"{t[1, 1] / t[1, 2]:.2f}x"),
            ("ShadowModels n_jobs=2, threads_per_model=1", f"{t[2, 1]:.1f} s",
             f"{scaling['speedup']:.2f}x"),
            ("n_jobs=1 vs 2 outputs bit-identical", str(scaling["identical"]), ""),
        ]
    for lib, res in results.items():
        rows.append((
            f"{lib} shadow attack end to end", f"{res['total']:.1f} s",
            f"AUC {res['auc']:.3f} [{res['auc_ci'][0]:.3f}, {res['auc_ci'][1]:.3f}]; "
            f"TPR@1%FPR {res['tpr']:.3f} [{res['tpr_ci'][0]:.3f}, {res['tpr_ci'][1]:.3f}]",
        ))
    if "ART" in results and "skmia" in results:
        rows.append(("ART / skmia wall time", "",
                     f"{results['ART']['total'] / results['skmia']['total']:.2f}x"))
    width = max(len(r[0]) for r in rows) if rows else 0
    for label, value, extra in rows:
        print(f"{label:<{width}}  {value:>8}  {extra}")


if __name__ == "__main__":
    sys.exit(main())
