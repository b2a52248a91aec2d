"""Run an experiment: each audit in stages, and every point of a sweep.

One audit goes prepare (data, split, target, audited records, shadow pool)
-> the one-run privacy audit, if configured -> shadows -> attacks (on the target, then pooled over the shadows playing
the target in turn) -> summary -> report files; each stage is given the
config sections it needs. Messages go through :mod:`logging` (logger
``"skmia"``), to the console and to the report folder's ``run.log``.
"""

import logging
import os
import time

import numpy as np

from ._attacks import build_attacks, needs_shadows, score_attacks
from ._audit import prepare_audit
from ._cache_trust import check_cache
from ._config import expand_sweep, get_value
from ._logging import run_log
from ._one_run import run_one_run_audit
from ._output import (
    library_versions,
    read_results,
    write_audit_files,
    write_gap_plot,
    write_results,
    write_run_files,
)
from ._pooled import pool_attacks
from ._shadows import fit_shadows
from ._verdict import strongest_attack

__all__ = ["run_experiment"]

logger = logging.getLogger("skmia")


def _config_hash(config):
    import joblib

    relevant = {k: v for k, v in config.items() if k != "output"}
    return joblib.hash(relevant)


def _finite(value):
    if value is None:
        return None
    return float(value) if np.isfinite(value) else "inf"


def _pooled_section(shadows, rows, curves):
    if not rows:
        return None
    membership = next(iter(curves.values()))[0]  # the same for every attack
    n_turns = int(membership.size // len(shadows.keep_[0]))
    return {"n_models": n_turns, "attacks": rows,
            "n_eval": {"members": int(membership.sum()),
                       "non_members": int((1 - membership).sum())}}


def _summarise(audit, shadows, scores, *, dataset, target, metrics, seed, timing):
    """The results of one audit: the target, then one row of
    :func:`~skmia.metrics.leakage_summary` per attack (the pooled rows are
    added by the caller)."""
    from ..metrics import leakage_summary

    defense = target["defense"]
    membership = audit.membership
    rows = [{"attack": label, **leakage_summary(
        membership, values, fprs=metrics["fprs"], confidence=metrics["confidence"],
        n_bootstraps=metrics["n_bootstraps"], random_state=seed)}
        for label, values in scores.items()]
    return {
        "dataset": dataset["name"],
        "target": {
            "arch": target["arch"],
            "defense": defense["kind"],
            "defense_params": defense["params"],
            "n_train": int(membership.sum()),
            "train_accuracy": audit.train_accuracy,
            "test_accuracy": audit.test_accuracy,
            "generalization_gap": audit.train_accuracy - audit.test_accuracy,
            "epsilon": _finite(getattr(audit.target, "epsilon_", None)),
            "delta": getattr(audit.target, "delta_", None),
        },
        "n_eval": {"members": int(membership.sum()),
                   "non_members": int((1 - membership).sum())},
        "shadows": None if shadows is None else {
            "n_models": shadows.n_models, "trained": shadows.n_trained_,
            "reused": shadows.n_reused_, "seeds": shadows.seeds_.tolist()},
        "seeds": {"experiment": seed},
        "timing_seconds": timing,
        "attacks": rows,
    }


def _run_audit(config, folder, cache, *, quiet):
    """One audit, through every stage; writes its scores and figures."""
    import joblib

    start = time.perf_counter()
    seed = config["seed"]
    memory = joblib.Memory(cache, verbose=0)
    audit = prepare_audit(config["dataset"], config["split"], config["target"],
                          seed=seed, memory=memory, quiet=quiet)
    logger.info("target: " + ("reused from the cache" if audit.target_cached
                              else f"trained in {audit.target_seconds:.1f} s"))
    one_run = run_one_run_audit(config["audit"], audit.records[audit.membership == 1],
                                audit.estimator, seed=seed, memory=memory)
    if one_run is not None:
        logger.info("one-run audit: " + ("reused from the cache" if one_run["cached"]
                                         else f"trained in "
                                              f"{one_run['train_seconds']:.1f} s"))
    attacks = build_attacks(config["attacks"], audit.target, seed=seed)
    shadows, shadow_seconds = None, 0.0
    if any(needs_shadows(item["attack"]) for item in attacks):
        shadows, shadow_seconds = fit_shadows(audit.estimator, audit.pool,
                                              config["shadows"], seed=seed,
                                              memory=memory, quiet=quiet)
        logger.info(f"shadow models: {shadows.n_trained_} trained, "
                    f"{shadows.n_reused_} reused from the cache "
                    f"({shadow_seconds:.1f} s)")
    scores, attack_seconds = score_attacks(attacks, shadows, audit.records,
                                           audit.membership, audit.pool, seed=seed)
    pooled_rows, curves, pooled_seconds = pool_attacks(
        attacks, shadows, audit.pool, metrics=config["metrics"], seed=seed)
    if pooled_rows:
        logger.info(f"pooled rows: {shadows.n_models} shadow models played the "
                    f"target in turn ({pooled_seconds:.1f} s)")
    timing = {"target": audit.target_seconds, "shadows": shadow_seconds,
              "attacks": attack_seconds, "pooled": pooled_seconds}
    results = _summarise(audit, shadows, scores, dataset=config["dataset"],
                         target=config["target"], metrics=config["metrics"], seed=seed,
                         timing=timing)
    results["pooled"] = _pooled_section(shadows, pooled_rows, curves)
    results["one_run_audit"] = one_run
    results["strongest_attack"] = strongest_attack(results)
    write_audit_files(folder, audit.records, audit.membership, scores, curves,
                      strongest=results["strongest_attack"])
    timing["total"] = time.perf_counter() - start  # the bootstrap and figures included
    return results


def _run_sweep(config, points, folder, cache, *, quiet):
    """Every point in its own folder, then the gap-leakage view over them."""
    from ..metrics import generalization_gap_vs_leakage

    runs = []
    for i, point in enumerate(points):
        sub = os.path.join(folder, f"point-{i:03d}")
        label = ", ".join(_point_label(k, get_value(point, k)) for k in config["sweep"])
        logger.info(f"sweep point {i + 1}/{len(points)}: {label}")
        run = _run_audit(point, sub, cache, quiet=quiet)
        run["sweep_point"] = label
        write_results(sub, run, point)
        runs.append(run)
    gap = generalization_gap_vs_leakage({
        "gap": [run["target"]["generalization_gap"] for run in runs],
        "leakage": [max(row["auc"] for row in run["attacks"]) for run in runs],
        "labels": [run["sweep_point"] for run in runs]})
    write_gap_plot(folder, gap)
    return {"sweep": config["sweep"], "points": runs,
            "gap_leakage_correlation": gap.correlation}


def run_experiment(config, *, output=None, quiet=False):
    """Run the experiment described by a validated ``config``.

    Parameters
    ----------
    config : dict
        From :func:`~skmia.experiment.load_config`.
    output : str or path, default=None
        Report folder; ``None`` uses ``config["output"]``.
    quiet : bool, default=False
        No progress bars, and no log lines on the console (they still go to
        ``run.log`` in the report folder).

    Returns
    -------
    results : dict
        What is written to ``results.json``.
    """
    folder = os.fspath(output if output is not None else config["output"])
    os.makedirs(folder, exist_ok=True)
    config_hash = _config_hash(config)
    previous = read_results(folder)
    with run_log(folder, quiet=quiet):
        if previous is not None and previous.get("config_hash") == config_hash:
            logger.info(f"{folder}: this experiment is already complete; "
                        "nothing to do.")
            return previous
        try:
            results = _run(config, folder, config_hash, quiet=quiet)
        except BaseException:
            logger.debug("the run stopped here:", exc_info=True)
            raise
    return results


def _run(config, folder, config_hash, *, quiet):
    cache = config["shadows"]["cache"] or os.path.join(folder, "cache")
    check_cache(cache, config)  # a cache of other data or another skmia: refused
    write_run_files(folder, config)
    points = expand_sweep(config)
    if len(points) == 1:
        results = _run_audit(points[0], folder, cache, quiet=quiet)
    else:
        results = _run_sweep(config, points, folder, cache, quiet=quiet)
    results["config_hash"] = config_hash
    results["versions"] = library_versions()
    write_results(folder, results, config)
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
