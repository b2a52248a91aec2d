"""Attacks without shadow models against LiRA and RMIA: Fashion-MNIST, leave one model out.

``--n-models`` SmallCNNs (:func:`skmia.targets.make_target`, the recipe of
``bench_attacks.py``: it overfits) are trained once by
:class:`skmia.shadow.ShadowModels` (``n_jobs=2``, one torch thread each,
``keep_models=True``, ``memory=--memory`` so that a rerun loads them), each
on a random half of a pool of ``--n-records`` Fashion-MNIST training
images. The first ``--n-targets`` models play the target in turn; the
pool's records are scored and the scores pooled over the targets:

- loss threshold, LiRA (offline with 4 and 16 shadows, online with 16;
  fixed variance) and RMIA (2 reference models): through
  :func:`skmia.model_selection.leave_one_model_out`, the shadows of a turn
  being the first k models once the target and its complementary partner
  are left out;
- the public records: ``--n-public`` Fashion-MNIST *training* images outside
  the pool, which no model trained on and which are not audited (the
  paper's public non-member data);
- LiRA offline with 1 shadow: one SmallCNN trained like the targets on
  ``--n-records / 2`` public records, so OUT for every audited record
  (offline LiRA's reference model; with one model the OUT variance is the
  spread of its scores across records);
- :class:`~skmia.attacks.QuantileRegressionAttack` (hinge score,
  ``alpha=0.01``): its one regressor per target is fitted on the public
  records; the Gaussian head scored with the predicted per-record scale and
  with one fixed scale (``fixed_variance=True``, the same fitted model),
  and the pinball head;
- :class:`~skmia.attacks.LabelOnlyAttack` (each method with its default
  parameters, and ``"augmentation"`` with a logistic regression on the
  correctness of the 18 queries): thresholds learnt from membership labels,
  cross-fitted (2 folds of the pool) through
  :func:`skmia.attacks.fit_and_score`.

Each row is the :func:`skmia.metrics.leakage_summary` of the pooled scores
(ROC AUC and TPR at 0.1% and 1% FPR, 95% stratified bootstrap intervals),
the models the attack trains per target and their training wall time per
target: shadows at the measured time per model (single-threaded, from
``ShadowModels``' fit), QMIA its regressor's ``fit_time_`` (one thread).

    python benchmarks/bench_no_shadows.py        # 43 min, 2 quiet cores, models cached
    python benchmarks/bench_no_shadows.py --skip-label-only
"""

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from _common import (
    OtherProcessesCPU,
    leakage_cells,
    leakage_header,
    load_images,
    markdown_table,
    print_environment,
    print_final_load,
    refusal_notes,
)
from skmia import Records
from skmia.attacks import (
    RMIA,
    LiRA,
    QuantileRegressionAttack,
    ThresholdAttack,
    fit_and_score,
)
from skmia.metrics import leakage_summary
from skmia.model_selection import leave_one_model_out
from skmia.shadow import ShadowModels
from skmia.targets import make_target

FPRS = (0.001, 0.01)
DEFAULT_MEMORY = os.path.join(tempfile.gettempdir(), "skmia_bench_no_shadows")


def shadow_rows():
    """``(name, attack, k shadows)`` scored by leave_one_model_out."""
    return [
        # a global threshold ranks records by their loss alone: the shadows
        # only place the threshold, so no model is counted for it
        ("loss threshold", ThresholdAttack(signal="loss"), 2),
        ("LiRA offline, 4 shadows", LiRA(online=False, fixed_variance=True), 4),
        ("LiRA offline, 16 shadows", LiRA(online=False, fixed_variance=True), 16),
        ("LiRA online, 16 shadows", LiRA(online=True, fixed_variance=True), 16),
        # 2 OUT models per record need 4 shadows (2 complementary pairs)
        ("RMIA offline, 2 references", RMIA(n_reference_models=2), 4),
    ]


def label_only_rows():
    try:
        from skmia.attacks import LabelOnlyAttack
    except ImportError:
        print("  LabelOnlyAttack is not in this skmia: label-only rows skipped")
        return []
    rows = [(f"label-only {method}", LabelOnlyAttack(method=method, random_state=0))
            for method in ("gap", "augmentation", "boundary", "noise")]
    rows.insert(2, ("label-only augmentation + LR", LabelOnlyAttack(
        method="augmentation", estimator=LogisticRegression(max_iter=1000),
        random_state=0)))
    return rows


def load_data(args):
    """The pool, and public records: training images outside the pool."""
    name, X, y = load_images("fashion")
    if name != "fashion-mnist":
        raise SystemExit("This benchmark needs Fashion-MNIST.")
    X_rest, X, y_rest, y = train_test_split(X, y, test_size=args.n_records,
                                            stratify=y, random_state=0)
    _, X_pub, _, y_pub = train_test_split(X_rest, y_rest, test_size=args.n_public,
                                          stratify=y_rest, random_state=1)
    # fresh copies: the split leaves strides that joblib.hash would see
    return Records(X.copy(), y), Records(X_pub.copy(), y_pub)


def train_models(pool, args, n_models=None):
    estimator = make_target("small_cnn", n_classes=10, in_channels=1,
                            max_epochs=args.epochs, lr=args.lr,
                            batch_size=args.batch_size, random_state=0)
    memory = None if args.memory.lower() == "none" else args.memory
    n_models = n_models or args.n_models
    shadows = ShadowModels(estimator, n_models=n_models, n_jobs=args.n_jobs,
                           keep_models=True, memory=memory, random_state=0)
    with OtherProcessesCPU() as others:
        start = time.perf_counter()
        shadows.fit(pool)
        wall = time.perf_counter() - start
    per_model = wall * args.n_jobs / n_models if shadows.n_trained_ else None
    print(f"  {n_models} SmallCNNs: {wall:.0f} s wall, {shadows.n_trained_} "
          f"trained, {shadows.n_reused_} loaded from memory; others "
          f"{others.summary()}", flush=True)
    return shadows, per_model


def accuracies(shadows, n_targets):
    pred = shadows.outputs_[:n_targets, :, 0].argmax(axis=-1)
    correct = pred == shadows.labels_[None, :]
    keep = shadows.keep_[:n_targets]
    return correct[keep].mean(), correct[~keep].mean()


def by_turns(make_attack, shadows, pool, n_targets, **fit_kwargs):
    """Pooled membership, the fitted attacks and their scores, one per target."""
    membership, attacks, scores = [], [], []
    for t in range(n_targets):
        attack = make_attack().set_params(target=shadows.estimators_[t])
        m = shadows.keep_[t].astype(np.int64)
        scores.append(fit_and_score(attack, pool, m, random_state=0, **fit_kwargs))
        membership.append(m)
        attacks.append(attack)
    return np.concatenate(membership), attacks, scores


def pooled(membership, scores, args):
    """The :func:`~skmia.metrics.leakage_summary` of per-target ``scores``, pooled."""
    return leakage_summary(membership, np.concatenate(scores), fprs=FPRS,
                           n_bootstraps=args.n_bootstraps, random_state=0)


def report(rows, summaries, name, summary, n_models, train_s, start):
    """Append the leakage row ``summary`` and print it."""
    summaries.append(summary)
    cost = "n/a" if train_s is None else f"{train_s:.1f}"
    rows.append((name, *leakage_cells(summary, FPRS), n_models, cost))
    print(f"  {name:<30} AUC {leakage_cells(summary, ())[0]}, models {n_models}, "
          f"training {cost} s/target ({time.perf_counter() - start:.0f} s for the "
          "row)", flush=True)


def lomo_rows(rows, summaries, shadows, pool, per_model, args):
    """The loss threshold, LiRA and RMIA, leave one model out."""
    for name, attack, k in shadow_rows():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # refusals read n/a
            result = leave_one_model_out(
                attack, shadows, pool, n_targets=args.n_targets, n_shadow_models=k,
                fprs=FPRS, n_bootstraps=args.n_bootstraps, random_state=0)
        k = 0 if isinstance(attack, ThresholdAttack) else k
        report(rows, summaries, name, result.summary, k,
               None if per_model is None else k * per_model, start)


def public_shadow_row(rows, summaries, shadows, pool, public, args):
    """LiRA offline with one shadow trained on public records; its training time."""
    start = time.perf_counter()
    half = public[:args.n_records]  # the model of the pair trains on half of it
    pair, per_model = train_models(half, args, n_models=2)
    one = pair.select([0])
    membership = shadows.keep_[:args.n_targets].astype(np.int64).ravel()
    scores = [LiRA(shadows.estimators_[t], shadow_models=one, online=False,
                   fixed_variance=True).fit(half).decision_function(pool)
              for t in range(args.n_targets)]
    report(rows, summaries, "LiRA offline, 1 public shadow",
           pooled(membership, scores, args), 1, per_model, start)
    return per_model


def qmia_rows(rows, summaries, shadows, pool, public, args):
    """QMIA's Gaussian head (per-record and fixed scale) and pinball head."""
    for loss in ("gaussian", "pinball"):
        start = time.perf_counter()
        membership, attacks, scores = by_turns(
            lambda: QuantileRegressionAttack(loss=loss, alpha=0.01, random_state=0),
            shadows, pool, args.n_targets, population=public)
        cost = float(np.mean([a.fit_time_ for a in attacks]))
        report(rows, summaries, f"QMIA, {loss} (hinge)",
               pooled(membership, scores, args), 1, cost, start)
        if loss == "gaussian":  # the same fitted regressors, one scale
            start = time.perf_counter()
            fixed = [a.set_params(fixed_variance=True).decision_function(pool)
                     for a in attacks]
            report(rows, summaries, "QMIA, gaussian, fixed variance",
                   pooled(membership, fixed, args), 1, cost, start)


def run(args):
    pool, public = load_data(args)
    print(f"\n== Fashion-MNIST: pool {len(pool)} (members: half per model), "
          f"{args.n_models} SmallCNNs x {args.epochs} epochs, {args.n_targets} "
          f"targets pooled; public non-members: {len(public)} training images "
          "outside the pool ==", flush=True)
    shadows, per_model = train_models(pool, args)
    acc_in, acc_out = accuracies(shadows, args.n_targets)
    print(f"  targets' accuracy: {acc_in:.3f} members, {acc_out:.3f} non-members")
    rows, summaries = [], []
    public_per_model = public_shadow_row(rows, summaries, shadows, pool, public, args)
    per_model = per_model or public_per_model  # the ensemble was loaded: no time
    torch.set_num_threads(1)
    lomo_rows(rows, summaries, shadows, pool, per_model, args)
    qmia_rows(rows, summaries, shadows, pool, public, args)
    print_table(rows, summaries)
    for name, attack in ([] if args.skip_label_only else label_only_rows()):
        start = time.perf_counter()
        membership, _, scores = by_turns(lambda: attack, shadows, pool, args.n_targets)
        report(rows, summaries, name, pooled(membership, scores, args), 0, 0.0, start)
    return rows, summaries, per_model, (acc_in, acc_out), len(pool)


def print_table(rows, summaries):
    print(markdown_table(["attack", *leakage_header(FPRS), "models trained / target",
                          "training s / target"], rows))
    for note in refusal_notes(summaries):
        print(note, flush=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--n-records", type=int, default=4000)
    parser.add_argument("--n-public", type=int, default=20000,
                        help="public non-members: Fashion-MNIST training images "
                             "outside the pool")
    parser.add_argument("--n-models", type=int, default=18)
    parser.add_argument("--n-targets", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--memory", default=DEFAULT_MEMORY)
    parser.add_argument("--n-bootstraps", type=int, default=1000)
    parser.add_argument("--skip-label-only", action="store_true")
    args = parser.parse_args()

    print_environment()
    start = time.perf_counter()
    rows, summaries, per_model, acc, n_pool = run(args)
    print("\n== Summary ==")
    print(f"Fashion-MNIST SmallCNN, {args.n_targets} targets x {n_pool} records "
          f"pooled; accuracy {acc[0]:.3f} members / {acc[1]:.3f} non-members; "
          "one SmallCNN trains in "
          + ("n/a (loaded)" if per_model is None else f"{per_model:.1f} s (1 thread)"))
    print_table(rows, summaries)
    print(f"total wall time {time.perf_counter() - start:.0f} s")
    print_final_load()


if __name__ == "__main__":
    main()
