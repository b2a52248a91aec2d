"""Run an experiment: data, target, shared shadows, attacks, metrics, report."""

import contextlib
import copy
import importlib.metadata
import inspect
import io
import logging
import os
import platform
import time

import numpy as np
import yaml

from ..records import Records
from ._config import ATTACKS, expand_sweep
from ._io import atomic_write_bytes, atomic_write_json, atomic_write_text
from ._report import format_table, format_sweep_table

__all__ = ["run_experiment"]

logger = logging.getLogger("skmia")

_PACKAGES = ("skmia", "numpy", "scipy", "scikit-learn", "torch", "torchvision", "skorch",
             "opacus", "joblib")


def _versions():
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _config_hash(config):
    import joblib

    relevant = {k: v for k, v in config.items() if k != "output"}
    return joblib.hash(relevant)


# -- data ------------------------------------------------------------------


def _load_dataset(dataset):
    from .. import datasets

    loader = {"digits": datasets.load_digits_images,
              "fashion_mnist": datasets.load_fashion_mnist,
              "cifar10": datasets.load_cifar10}[dataset["name"]]
    return loader(**dataset["params"])


# -- target ----------------------------------------------------------------


def _make_estimator(config, X, n_classes):
    from ..targets import make_target

    target = config["target"]
    params = dict(target["params"])
    defense = target["defense"]
    if defense["kind"] == "regularization":
        params.update(defense["params"])
    sizes = ({"in_features": int(np.prod(X.shape[1:]))} if target["arch"] == "mlp"
             else {"in_channels": int(X.shape[1])})
    net = make_target(target["arch"], n_classes=n_classes, random_state=config["seed"],
                      **sizes, **params)
    if defense["kind"] != "dp":
        return net
    from ..defenses import DPNeuralNetClassifier

    return DPNeuralNetClassifier(**{**net.get_params(deep=False), **defense["params"]})


def _fit_target(estimator, X, y, quiet=True):
    """Fit the target (cached by joblib.Memory; ``quiet`` is not in the key)."""
    if quiet:
        return estimator.fit(X, y)
    from sklearn.base import clone

    from ._progress import EpochProgressBar

    net = clone(estimator)
    callbacks = list(net.callbacks or []) + [("progress", EpochProgressBar("target"))]
    return net.set_params(callbacks=callbacks).fit(X, y)


# -- attacks ---------------------------------------------------------------


def _queries(config):
    if not config["shadows"]["augmentations"]:
        return None
    from ..signals import AugmentationQueries

    return AugmentationQueries()


def _build_attack(entry, target, shadows, config, memory):
    import skmia.attacks

    cls = getattr(skmia.attacks, ATTACKS[entry["name"]][0])
    params = {k: v for k, v in entry.items() if k != "name"}
    accepted = set(inspect.signature(cls.__init__).parameters)
    # shared shadows serve every attack; n_shadow_models picks the first ones
    # (RMIA's n_reference_models is its own parameter: it picks per record)
    n_shadow = params.pop("n_shadow_models", None)
    if "shadow_models" in accepted:
        used = shadows if n_shadow is None else _prefix(shadows, n_shadow, entry)
        params["shadow_models"] = used
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = config["seed"]
    return cls(target, **params)


def _prefix(shadows, n_models, entry):
    if n_models > shadows.n_models:
        raise ValueError(
            f"attack {entry['name']!r} asks for {n_models} shadow models but the run "
            f"trains shadows.n_models={shadows.n_models}; raise shadows.n_models."
        )
    return shadows.head(n_models)


def _attack_label(entry):
    extras = ", ".join(f"{k}={v}" for k, v in entry.items() if k != "name")
    return f"{entry['name']} ({extras})" if extras else entry["name"]


# -- metrics ---------------------------------------------------------------


def _attack_metrics(membership, scores, metrics, seed):
    from ..metrics import (
        empirical_epsilon,
        membership_advantage,
        roc_auc_ci,
        tpr_at_fpr,
        tpr_at_fpr_ci,
    )
    from sklearn.metrics import roc_auc_score

    n_out = int(np.sum(membership == 0))
    conf, n_boot = metrics["confidence"], metrics["n_bootstraps"]
    row = {
        "auc": float(roc_auc_score(membership, scores)),
        "auc_ci": [float(v) for v in roc_auc_ci(membership, scores, confidence=conf,
                                                n_bootstraps=n_boot, random_state=seed)],
        "advantage": float(membership_advantage(membership, scores)),
        "epsilon_lower_bound": float(empirical_epsilon(membership, scores)),
        "tpr_at_fpr": {},
    }
    for fpr in metrics["fprs"]:
        key = f"{fpr:g}"
        if fpr < 10 / n_out:
            row["tpr_at_fpr"][key] = {
                "tpr": None, "ci": None,
                "note": f"not reported: FPR {fpr:g} needs at least {int(np.ceil(10 / fpr))}"
                        f" non-members, there are {n_out}",
            }
            continue
        low, high = tpr_at_fpr_ci(membership, scores, fpr=fpr, confidence=conf,
                                  n_bootstraps=n_boot, random_state=seed)
        row["tpr_at_fpr"][key] = {"tpr": float(tpr_at_fpr(membership, scores, fpr=fpr)),
                                  "ci": [float(low), float(high)]}
    return row


# -- one run ---------------------------------------------------------------


@contextlib.contextmanager
def _backend(shadows_config):
    if shadows_config["backend"] != "dask":
        yield
        return
    import joblib
    from distributed import Client

    address = shadows_config["scheduler"]
    # one thread per worker process: seeding is per process (see ShadowModels)
    client = Client(address) if address else Client(
        processes=True, n_workers=os.cpu_count(), threads_per_worker=1,
        dashboard_address=None)
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()


def _run_single(config, folder, cache, *, quiet):
    import joblib
    from sklearn.base import clone

    from ..attacks import fit_and_score
    from ..datasets import make_membership_split
    from ..shadow import ShadowModels

    seed = config["seed"]
    start = time.perf_counter()
    data = _load_dataset(config["dataset"])
    split_cfg = config["split"]
    split = make_membership_split(
        data.data, data.target, n_target=split_cfg["n_target"],
        n_target_out=split_cfg["n_target_out"], n_pool=split_cfg["n_pool"],
        random_state=seed)
    n_classes = int(len(np.unique(data.target)))
    estimator = _make_estimator(config, data.data, n_classes)
    memory = joblib.Memory(cache, verbose=0)

    fit_target = memory.cache(_fit_target, ignore=["quiet"])
    target_cached = fit_target.check_call_in_cache(estimator, split.target_in.X,
                                                   split.target_in.y)
    t0 = time.perf_counter()
    target = fit_target(estimator, split.target_in.X, split.target_in.y, quiet=quiet)
    target_seconds = time.perf_counter() - t0
    _log(quiet, "target: " + ("reused from the cache" if target_cached
                              else f"trained in {target_seconds:.1f} s"))
    train_acc = float(np.mean(target.predict(split.target_in.X) == split.target_in.y))
    test_acc = float(np.mean(target.predict(split.target_out.X) == split.target_out.y))

    eval_records = Records(np.concatenate([split.target_in.X, split.target_out.X]),
                           np.concatenate([split.target_in.y, split.target_out.y]))
    membership = np.r_[np.ones(len(split.target_in), dtype=np.int64),
                       np.zeros(len(split.target_out), dtype=np.int64)]
    shadow_pool = Records(np.concatenate([split.pool.X, eval_records.X]),
                          np.concatenate([split.pool.y, eval_records.y]))

    shadows_cfg = config["shadows"]
    needs_shadows = any(_uses_shadows(entry) for entry in config["attacks"])
    shadows = None
    shadow_seconds = 0.0
    if needs_shadows:
        shadows = ShadowModels(
            clone(estimator), n_models=shadows_cfg["n_models"], n_jobs=shadows_cfg["n_jobs"],
            random_state=seed, memory=memory, queries=_queries(config),
            verbose=0 if quiet else 1)
        t0 = time.perf_counter()
        with _backend(shadows_cfg):
            shadows.fit(shadow_pool)
        shadow_seconds = time.perf_counter() - t0
        _log(quiet, f"shadow models: {shadows.n_trained_} trained, {shadows.n_reused_} "
                    f"reused from the cache ({shadow_seconds:.1f} s)")

    rows, all_scores = [], {}
    t0 = time.perf_counter()
    for entry in config["attacks"]:
        attack = _build_attack(entry, target, shadows, config, memory)
        scores = fit_and_score(attack, eval_records, membership, pool=shadow_pool,
                               random_state=seed)
        label = _attack_label(entry)
        all_scores[label] = np.asarray(scores, dtype=np.float64)
        rows.append({"attack": label, **_attack_metrics(membership, scores,
                                                        config["metrics"], seed)})
    attack_seconds = time.perf_counter() - t0

    defense = config["target"]["defense"]
    results = {
        "dataset": config["dataset"]["name"],
        "target": {
            "arch": config["target"]["arch"],
            "defense": defense["kind"],
            "defense_params": defense["params"],
            "n_train": len(split.target_in),
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "generalization_gap": train_acc - test_acc,
            "epsilon": _finite(getattr(target, "epsilon_", None)),
            "delta": getattr(target, "delta_", None),
        },
        "n_eval": {"members": int(membership.sum()),
                   "non_members": int((1 - membership).sum())},
        "shadows": None if shadows is None else {
            "n_models": shadows.n_models, "trained": shadows.n_trained_,
            "reused": shadows.n_reused_, "seeds": shadows.seeds_.tolist()},
        "seeds": {"experiment": seed},
        "timing_seconds": {"target": target_seconds, "shadows": shadow_seconds,
                           "attacks": attack_seconds,
                           "total": time.perf_counter() - start},
        "attacks": rows,
    }
    _write_scores(folder, eval_records, membership, all_scores)
    _write_roc(folder, membership, all_scores)
    return results


def _finite(value):
    if value is None:
        return None
    return float(value) if np.isfinite(value) else "inf"


def _uses_shadows(entry):
    return entry["name"] != "meta_classifier" and not (
        entry["name"] == "threshold" and entry.get("threshold") is not None)


def _log(quiet, message):
    logger.info(message)
    if not quiet:
        print(message, flush=True)


def _write_scores(folder, records, membership, all_scores):
    buffer = io.StringIO()
    names = list(all_scores)
    buffer.write(",".join(["record", "label", "membership", *[f'"{n}"' for n in names]])
                 + "\n")
    for i in range(len(records)):
        values = ",".join(f"{all_scores[n][i]:.9g}" for n in names)
        buffer.write(f"{i},{records.y[i]},{membership[i]},{values}\n")
    atomic_write_text(os.path.join(folder, "scores.csv"), buffer.getvalue())


def _write_roc(folder, membership, all_scores):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import MembershipRocDisplay

    fig, ax = plt.subplots(figsize=(6, 5))
    for name, scores in all_scores.items():
        MembershipRocDisplay.from_predictions(membership, scores, name=name, ax=ax)
    ax.set_title("Membership inference ROC (log-log)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(os.path.join(folder, "roc.png"), buffer.getvalue())


def _write_gap_plot(folder, points):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import GapLeakageDisplay

    gaps = [p["target"]["generalization_gap"] for p in points]
    leak = [max(row["auc"] for row in p["attacks"]) for p in points]
    labels = [p["sweep_point"] for p in points]
    fig, ax = plt.subplots(figsize=(6, 5))
    display = GapLeakageDisplay.from_runs(gaps, leak, labels=labels,
                                          leakage_name="best attack AUC", ax=ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(os.path.join(folder, "gap_vs_leakage.png"), buffer.getvalue())
    return display.correlation


def run_experiment(config, *, output=None, quiet=False):
    """Run the experiment described by a validated ``config``.

    Parameters
    ----------
    config : dict
        From :func:`~skmia.experiment.load_config`.
    output : str or path, default=None
        Report folder; ``None`` uses ``config["output"]``.
    quiet : bool, default=False
        Print only the final table (no progress bars or log lines).

    Returns
    -------
    results : dict
        What is written to ``results.json``.
    """
    folder = os.fspath(output if output is not None else config["output"])
    os.makedirs(folder, exist_ok=True)
    config_hash = _config_hash(config)
    results_path = os.path.join(folder, "results.json")
    if os.path.exists(results_path):
        import json

        with open(results_path, encoding="utf-8") as f:
            previous = json.load(f)
        if previous.get("config_hash") == config_hash:
            _log(quiet, f"{folder}: this experiment is already complete; nothing to do.")
            return previous
    atomic_write_text(os.path.join(folder, "config.yaml"),
                      yaml.safe_dump(config, sort_keys=False))
    atomic_write_json(os.path.join(folder, "versions.json"), _versions())
    cache = config["shadows"]["cache"] or os.path.join(folder, "cache")

    points = expand_sweep(config)
    if len(points) == 1:
        results = _run_single(points[0], folder, cache, quiet=quiet)
        table = format_table(results)
    else:
        runs = []
        for i, point in enumerate(points):
            sub = os.path.join(folder, f"point-{i:03d}")
            label = ", ".join(_point_label(k, _get(point, k)) for k in config["sweep"])
            _log(quiet, f"sweep point {i + 1}/{len(points)}: {label}")
            run = _run_single(point, sub, cache, quiet=quiet)
            run["sweep_point"] = label
            atomic_write_json(os.path.join(sub, "results.json"), run)
            atomic_write_text(os.path.join(sub, "report.md"), format_table(run) + "\n")
            runs.append(run)
        correlation = _write_gap_plot(folder, runs)
        results = {"sweep": config["sweep"], "points": runs,
                   "gap_leakage_correlation": correlation}
        table = format_sweep_table(results)
    results["config_hash"] = config_hash
    results["versions"] = _versions()
    atomic_write_text(os.path.join(folder, "report.md"), table + "\n")
    atomic_write_json(results_path, results)
    return results


def _point_label(key, value):
    """Short text for one swept setting (whole defense mappings included)."""
    name = key.split(".")[-1]
    if isinstance(value, dict):
        kind = value.get("kind")
        params = value.get("params", {k: v for k, v in value.items() if k != "kind"})
        inner = ", ".join(f"{k.split('__')[-1]}={v}" for k, v in params.items())
        return f"{kind} ({inner})" if kind and inner else (kind or inner or name)
    return f"{name.split('__')[-1]}={value}"


def _get(config, key):
    from ._config import get_value

    return get_value(config, key)
