"""The plan of a run: everything checked, nothing trained or written.

:func:`make_plan` loads the data, builds (or loads) the target's recipe and
the attacks, runs every check of :mod:`._checks` on every point of a sweep,
and counts the models the output folder's cache already holds.
:func:`format_plan` is what ``skmia run --dry-run`` prints;
:func:`count_finished` tells an interrupted run how far it got.
"""

import os

import joblib
import numpy as np
from sklearn.utils import Bunch

from ._audit import _fit_target, dataset_loader, prepare_data
from ._cache_trust import is_marked
from ._checks import check_attacks, check_estimator, check_loader, check_memory
from ._cli_errors import DataError
from ._config import ConfigError, expand_sweep

__all__ = ["count_finished", "format_plan", "make_plan"]


class _Probed(Exception):
    """Raised instead of loading or training a shadow model."""


class _ProbeMemory:
    """A :class:`joblib.Memory` stand-in that records which calls are cached and
    stops :class:`~skmia.shadow.ShadowModels` before it loads or trains one."""

    def __init__(self, location):
        self.memory = joblib.Memory(location, verbose=0)
        self.hits = []

    def cache(self, func, **kwargs):
        return _ProbeFunc(self.memory.cache(func, **kwargs), self.hits)


class _ProbeFunc:
    def __init__(self, cached, hits):
        self.cached, self.hits = cached, hits

    def check_call_in_cache(self, *args, **kwargs):
        hit = self.cached.check_call_in_cache(*args, **kwargs)
        self.hits.append(bool(hit))
        return hit

    def __call__(self, *args, **kwargs):
        raise _Probed


def _cached_shadows(estimator, pool, config, cache):
    """How many of ``config``'s shadow models ``cache`` holds (none trained)."""
    from ._shadows import shadow_ensemble

    if not is_marked(cache, config):
        return 0  # nothing of this skmia's to count (and probing would write)
    probe = _ProbeMemory(cache)
    ensemble = shadow_ensemble(estimator, config["shadows"], seed=config["seed"],
                               memory=probe, quiet=True)
    try:
        ensemble.set_params(n_jobs=1).fit(pool)
    except _Probed:
        pass
    return sum(probe.hits)


def _load(config, download):
    """The data of one sweep point, as :func:`prepare_data` gives it."""
    dataset = config["dataset"]
    check_loader(dataset_loader(dataset["name"]), dataset["params"])
    if not download and dataset["params"].get("download"):
        dataset = {**dataset, "params": {**dataset["params"], "download": False}}
    try:
        return prepare_data(dataset, config["split"], config["target"],
                            seed=config["seed"])
    except (FileNotFoundError, OSError) as exc:
        raise DataError(str(exc)) from None


# What a loader would give, for a dry run before the first download:
# (dataset name, subset) -> (image shape, records, classes)
_NOT_DOWNLOADED = {
    ("fashion_mnist", "train"): ((1, 28, 28), 60000, 10),
    ("fashion_mnist", "test"): ((1, 28, 28), 10000, 10),
    ("fashion_mnist", "all"): ((1, 28, 28), 70000, 10),
    ("cifar10", "train"): ((3, 32, 32), 50000, 10),
    ("cifar10", "test"): ((3, 32, 32), 10000, 10),
    ("cifar10", "all"): ((3, 32, 32), 60000, 10),
}


def _sizes(n_members, n_non_members, n_pool, shape, n_classes, note=""):
    return Bunch(members=n_members, non_members=n_non_members, pool=n_pool,
                 shape=tuple(shape), classes=n_classes, note=note)


def _point_without_data(config, force):
    """The checks that need no data, for a dataset the run will download."""
    from ._audit import make_estimator

    dataset, split = config["dataset"], config["split"]
    key = (dataset["name"], dataset["params"].get("subset", "train"))
    if key not in _NOT_DOWNLOADED or config["target"]["from_file"] is not None:
        return None
    shape, n_records, n_classes = _NOT_DOWNLOADED[key]
    n_out = split["n_target_out"] or split["n_target"]
    n_pool = split["n_pool"] if split["n_pool"] is not None else \
        n_records - split["n_target"] - n_out
    if split["n_target"] + n_out + n_pool > n_records:
        raise ConfigError(f"split: n_target={split['n_target']}, n_target_out={n_out} "
                          f"and n_pool={n_pool} need more than the {n_records} records "
                          f"of {dataset['name']}")
    X = np.zeros((1, *shape), dtype=np.float32)
    estimator = make_estimator(config["target"], X, n_classes, seed=config["seed"])
    check_estimator(config["target"], estimator, split["n_target"])
    check_attacks(config["attacks"], estimator, config["shadows"]["n_models"])
    n_pool += split["n_target"] + n_out
    n_bytes = check_memory(config["shadows"]["n_models"], n_pool, n_classes,
                           augmentations=config["shadows"]["augmentations"],
                           force=force)
    return Bunch(config=config, target_cached=False, shadow_bytes=n_bytes,
                 shadows_cached=0,
                 sizes=_sizes(split["n_target"], n_out, n_pool, shape, n_classes,
                              "not downloaded yet: the run downloads it"))


def _point(config, cache, force, download):
    try:
        data = _load(config, download)
    except DataError:
        point = None if download else _point_without_data(config, force)
        if point is None:
            raise
        return point
    target = config["target"]
    if target["from_file"] is None:
        check_estimator(target, data.estimator, len(data.members))
        target_cached = is_marked(cache, config) and joblib.Memory(
            cache, verbose=0).cache(_fit_target, ignore=["quiet"]).check_call_in_cache(
            data.estimator, data.members.X, data.members.y)
        recipe = data.estimator
    else:
        from ._load_target import load_target_file

        _, recipe = load_target_file(target["from_file"], trusted=target["trusted"],
                                     estimator=data.estimator, classes=data.classes)
        target_cached = True
    check_attacks(config["attacks"], recipe, config["shadows"]["n_models"])
    shadows = config["shadows"]
    n_bytes = check_memory(shadows["n_models"], len(data.pool), len(data.classes),
                           augmentations=shadows["augmentations"], force=force)
    return Bunch(config=config, target_cached=target_cached, shadow_bytes=n_bytes,
                 shadows_cached=_cached_shadows(recipe, data.pool, config, cache),
                 sizes=_sizes(len(data.members), len(data.non_members), len(data.pool),
                              data.records.X.shape[1:], len(data.classes)))


def _split_error(config, exc):
    split = config["split"]
    return ConfigError(f"split: {exc} (n_target={split['n_target']}, "
                       f"n_target_out={split['n_target_out']}, "
                       f"n_pool={split['n_pool']})")


def make_plan(config, folder, *, force=False, download=True):
    """Check ``config`` completely and describe what a run would do.

    Parameters
    ----------
    config : dict
        From :func:`~skmia.experiment.load_config`.
    folder : str
        The output folder (its ``cache/`` is looked up, nothing is written).
    force : bool, default=False
        Allow shadow outputs above the memory limit.
    download : bool, default=True
        Let a loader download its dataset (``False`` for ``--dry-run``).

    Returns
    -------
    plan : list of Bunch
        One per sweep point.

    Raises
    ------
    ConfigError, DataError
        A parameter the library would reject, or missing data.
    """
    cache = config["shadows"]["cache"] or os.path.join(folder, "cache")
    points = []
    for point in expand_sweep(config):
        try:
            points.append(_point(point, cache, force, download))
        except ValueError as exc:
            if isinstance(exc, ConfigError):
                raise
            raise _split_error(point, exc) from None
    return points


def format_plan(plan, folder):
    """The plan as text: data and sizes, models to train and cached, attacks."""
    first = plan[0].config
    lines = [f"plan for {folder}/ (nothing trained or written):",
             f"  dataset: {first['dataset']['name']}"]
    for i, point in enumerate(plan):
        sizes, config = point.sizes, point.config
        head = f"  point {i + 1}/{len(plan)}: " if len(plan) > 1 else "  "
        shape = "x".join(str(s) for s in sizes.shape)
        note = f"; {sizes.note}" if sizes.note else ""
        lines.append(
            f"{head}{sizes.members} members, {sizes.non_members} non-members, "
            f"shadow pool of {sizes.pool} records ({shape}, {sizes.classes} "
            f"classes{note})")
        target = config["target"]
        source = (f"loaded from {target['from_file']}" if target["from_file"]
                  else "cached" if point.target_cached else "to train")
        if target["from_file"]:
            lines.append(f"    target: {source}")
        else:
            lines.append(f"    target: {target['arch']}, defense "
                         f"{target['defense']['kind']}, {source}")
        n_models = config["shadows"]["n_models"]
        lines.append(f"    shadow models: {n_models} ({point.shadows_cached} cached, "
                     f"{n_models - point.shadows_cached} to train; outputs about "
                     f"{point.shadow_bytes / 2**20:.0f} MiB)")
        audit = config["audit"]
        if audit["kind"] == "one_run":
            lines.append(f"    one-run audit: 1 more model of the target's recipe, "
                         f"{audit['n_canaries']} {audit['canaries']} canaries")
    names = [", ".join(f"{k}={v}" for k, v in entry.items()) for entry in
             first["attacks"]]
    lines.append("  attacks:")
    lines.extend(f"    - {name}" for name in names)
    return "\n".join(lines)


def count_finished(config, folder):
    """``(finished, total)`` shadow models of the first sweep point in the cache."""
    cache = config["shadows"]["cache"] or os.path.join(folder, "cache")
    point = expand_sweep(config)[0]
    data = _load(point, download=False)
    recipe = data.estimator
    if point["target"]["from_file"] is not None:
        from ._load_target import load_target_file

        _, recipe = load_target_file(point["target"]["from_file"],
                                     trusted=point["target"]["trusted"],
                                     estimator=data.estimator, classes=data.classes)
    n_cached = _cached_shadows(recipe, data.pool, point, cache)
    return n_cached, point["shadows"]["n_models"]
