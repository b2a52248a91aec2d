"""Label-only attacks: leakage of models seen only through ``predict``, and the cost.

:class:`skmia.attacks.LabelOnlyAttack` on three targets, each trained on
part of its records (the members; the others are the non-members), every
attack fitted and scored by
:func:`skmia.attacks.fit_and_score` (cross-fitted on 2 stratified folds, so
no record is scored by an attack that saw its label), one
:func:`skmia.metrics.leakage_summary` row per attack (ROC AUC and TPR at
1% FPR with 95% bootstrap intervals; an FPR below ``10 / n_nonmembers`` is
refused and reads "n/a"), with the target queries per record and the wall
time of fitting and scoring:

- scikit-learn's digits, 300 members and 1,497 non-members, with an
  ``SVC()`` target (no ``predict_proba``: labels only): ``"gap"``,
  ``"augmentation"`` (shifts of up to one pixel),
  ``"noise"`` and ``"boundary"``;
- ``--n-adult`` records of UCI Adult (``mglearn/data/adult.data``, one-hot
  encoded; half of them members) with a
  ``RandomForestClassifier`` target: ``"gap"``, ``"noise"`` (its mean
  thresholded, and with a logistic regression on the per-scale fractions)
  and ``"boundary"`` (tabular data: no augmentation);
- ``--n-fashion`` Fashion-MNIST images (half of them members) with a
  SmallCNN target (:func:`skmia.targets.make_target` with
  ``bench_attacks.py``'s recipe: Adam ``lr=2e-3``, batch 64, ``--epochs``
  40): ``"gap"``, ``"augmentation"`` and ``"boundary"``, timing the boundary
  search (``n_queries=100``) on 1,000 records.

Run it on a quiet machine (about 8 minutes on 2 cores)::

    python benchmarks/bench_label_only.py
    python benchmarks/bench_label_only.py --n-adult 4000 --n-fashion 0   # quick
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from _common import (
    LEAKAGE,
    OtherProcessesCPU,
    load_images,
    print_environment,
    print_final_load,
    print_leakage_table,
)
from skmia import Records
from skmia.attacks import LabelOnlyAttack, fit_and_score
from skmia.metrics import leakage_summary
from skmia.signals import AugmentationQueries

FPRS = (0.01,)
SHIFTS = AugmentationQueries(flip=False, shifts=1)


def draw_members(n, rng, n_members=None):
    """Membership of ``n`` records: ``n_members`` (default half) drawn at random."""
    membership = np.zeros(n, dtype=np.int64)
    membership[rng.permutation(n)[: n // 2 if n_members is None else n_members]] = 1
    return membership


def digits_audit(seed):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import SVC

    _, X, y = load_images("digits")
    membership = draw_members(len(y), np.random.RandomState(seed), 300)
    target = make_pipeline(FunctionTransformer(_flatten), SVC())
    target.fit(X[membership == 1], y[membership == 1])
    return "digits, SVC() (labels only)", target, Records(X, y), membership


def _flatten(X):
    return X.reshape(len(X), -1)


def adult_audit(seed, n_records):
    import mglearn
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    path = os.path.join(os.path.dirname(mglearn.__file__), "data", "adult.data")
    data = pd.read_csv(path, header=None, index_col=False, skipinitialspace=True)
    rng = np.random.RandomState(seed)
    data = data.iloc[rng.permutation(len(data))[:n_records]]
    y = (data.iloc[:, -1] == ">50K").to_numpy(dtype=np.int64)
    X = pd.get_dummies(data.iloc[:, :-1], dtype=np.float32).to_numpy(dtype=np.float32)
    membership = draw_members(len(y), rng)
    target = RandomForestClassifier(n_jobs=2, random_state=seed)
    target.fit(X[membership == 1], y[membership == 1])
    return (f"UCI Adult ({n_records} records, {X.shape[1]} features), random forest",
            target, Records(X, y), membership)


def fashion_audit(seed, n_records, epochs):
    import torch

    from skmia.targets import make_target

    label, X, y = load_images("fashion", n_records)
    membership = draw_members(len(y), np.random.RandomState(seed))
    torch.set_num_threads(2)
    # bench_attacks.py's recipe, which overfits
    target = make_target("small_cnn", n_classes=10, in_channels=1, max_epochs=epochs,
                         lr=2e-3, batch_size=64, random_state=seed)
    target.fit(X[membership == 1], y[membership == 1])
    return f"{label} ({n_records} images), SmallCNN", target, Records(X, y), membership


def run_attacks(title, target, records, membership, methods, seed):
    """One row per method: a name, or ``(name, method, estimator)``."""
    members_acc = np.mean(target.predict(records.X[membership == 1])
                          == records.y[membership == 1])
    others_acc = np.mean(target.predict(records.X[membership == 0])
                         == records.y[membership == 0])
    print(f"\n## {title}\n\n{len(records)} records, {membership.sum()} members; "
          f"target accuracy {members_acc:.3f} on members, {others_acc:.3f} on "
          "non-members\n")
    rows = []
    for entry in methods:
        if isinstance(entry, str):
            entry = (entry, entry, None)
        name, method, estimator = entry
        attack = LabelOnlyAttack(target, method=method, augmentations=SHIFTS,
                                 estimator=estimator, n_jobs=2, random_state=seed)
        with OtherProcessesCPU() as others:
            start = time.perf_counter()
            scores = fit_and_score(attack, records, membership, random_state=seed)
            seconds = time.perf_counter() - start
        summary = leakage_summary(membership, scores, fprs=FPRS, random_state=seed)
        # fit_and_score queries every record twice: once to fit, once to score
        few = np.r_[np.flatnonzero(membership == 1)[:5],
                    np.flatnonzero(membership == 0)[:5]]
        queries = attack.fit(records[few], membership[few]).queries_per_record_
        rows.append((name, summary, queries, f"{seconds:.1f}{others.since(0.0)}"))
    print_leakage_table(["method", LEAKAGE, "queries/record", "fit + score s"], rows,
                        FPRS)


def time_boundary(target, records, seed, n_queries=100):
    """Wall time and queries of the boundary search on the first 1000 records."""
    sample = records[:1000]
    attack = LabelOnlyAttack(target, method="boundary", n_queries=n_queries,
                             random_state=seed)
    start = time.perf_counter()
    attack.fit(sample, np.arange(len(sample)) % 2)
    fitted = time.perf_counter() - start
    start = time.perf_counter()
    attack.decision_function(sample)
    scored = time.perf_counter() - start
    print(f"\nboundary search on {len(sample)} records, n_queries={n_queries}: at most "
          f"{attack.queries_per_record_} queries per record "
          f"({attack.queries_per_record_ * len(sample)} in all); fit {fitted:.1f} s, "
          f"decision_function {scored:.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-adult", type=int, default=10000)
    parser.add_argument("--n-fashion", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    print_environment()
    run_attacks(*digits_audit(args.seed), ["gap", "augmentation", "noise", "boundary"],
                args.seed)
    with_classifier = ("noise + logistic regression", "noise", LogisticRegression())
    run_attacks(*adult_audit(args.seed, args.n_adult),
                ["gap", "noise", with_classifier, "boundary"], args.seed)
    if args.n_fashion:
        title, target, records, membership = fashion_audit(
            args.seed, args.n_fashion, args.epochs)
        run_attacks(title, target, records, membership,
                    ["gap", "augmentation", "boundary"], args.seed)
        time_boundary(target, records, args.seed)
    print_final_load()


if __name__ == "__main__":
    main()
