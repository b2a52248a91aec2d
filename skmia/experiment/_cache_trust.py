"""The cache is trusted data: refuse a ``cache/`` folder not written for this data.

The cache holds pickles (joblib checkpoints of the target and the shadow
models), and unpickling runs code, so a cache must never come from
strangers. skmia marks every cache folder it creates with a small JSON file
naming the skmia version that wrote it and the hashes of the data it was
written for: per sweep point, the configuration keys that decide which
records every model trains on (``seed``, ``dataset`` and ``split``). A
cache without the mark, written by another version, or written for none of
this run's data is refused before any pickle in it is read. Target,
defense, shadow-count, attack and metric settings are not hashed: a rerun
with more shadows, a sweep over target settings, or a changed attack reuses
the models it has in common with the cache.
"""

import hashlib
import inspect
import json
import os

import numpy as np

from ._audit import dataset_loader
from ._cli_errors import OutputError
from ._config import expand_sweep
from ._io import atomic_write_json

__all__ = ["CACHE_MARK", "check_cache", "data_identity", "is_marked"]

CACHE_MARK = "skmia-cache.json"
#: Dataset parameters that say where or how to fetch the data, not which data.
_LOCATION_PARAMS = ("data_home", "download")


def _version():
    from .. import __version__

    return __version__


def _json_value(value):
    """JSON for values YAML and ``--set`` do not give: numpy scalars, paths."""
    if isinstance(value, np.generic):
        return value.item()
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def data_identity(config):
    """A sweep point's ``seed``, ``dataset`` and ``split``, as JSON values.

    The dataset's parameters are completed with the loader's defaults (so
    ``subset: train`` and no ``subset`` are the same data), less
    ``data_home`` and ``download``, which say where the same records are.
    """
    dataset = config["dataset"]
    defaults = {name: p.default for name, p in
                inspect.signature(dataset_loader(dataset["name"])).parameters.items()
                if p.default is not inspect.Parameter.empty}
    params = {k: v for k, v in {**defaults, **dataset["params"]}.items()
              if k not in _LOCATION_PARAMS}
    identity = {"seed": config["seed"], "split": config["split"],
                "dataset": {**dataset, "params": params}}
    return json.loads(json.dumps(identity, sort_keys=True, default=_json_value))


def _hash(identity):
    text = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_mark(cache):
    try:
        with open(os.path.join(cache, CACHE_MARK), encoding="utf-8") as f:
            mark = json.load(f)
    except (OSError, ValueError):
        return None
    return mark if isinstance(mark, dict) else None


def _recorded(mark):
    """``{hash: identity}`` of the data the mark was written for."""
    data = mark.get("data") if mark else None
    if not isinstance(data, list):
        return {}
    return {_hash(identity): identity for identity in data
            if isinstance(identity, dict)}


def is_marked(cache, point):
    """Whether ``cache`` carries this skmia's mark for sweep point ``point``'s data."""
    mark = _read_mark(cache)
    return (mark is not None and mark.get("skmia") == _version()
            and _hash(data_identity(point)) in _recorded(mark))


def _flat(value, prefix=""):
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, inner in value.items():
        flat.update(_flat(inner, f"{prefix}.{key}" if prefix else key))
    return flat


def _differences(recorded, identity):
    """``key: X there, Y here`` for the data keys whose values differ."""
    there, here = _flat(recorded), _flat(identity)
    keys = sorted(k for k in there.keys() | here.keys() if there.get(k) != here.get(k))
    if not keys:
        return "the recorded data differ in the types or the presence of keys"
    text = "; ".join(f"{k}: {there.get(k)!r} there, {here.get(k)!r} here"
                     for k in keys[:3])
    return text + (f"; and {len(keys) - 3} more" if len(keys) > 3 else "")


def _refusal(mark, identities):
    """Why a cache with ``mark`` may not be read for ``identities``, or ``None``."""
    version = _version()
    written_by = None if mark is None else mark.get("skmia")
    if written_by != version:
        who = (f"skmia {written_by}" if written_by else
               "something other than this skmia (it has no skmia-cache.json)")
        return f"this cache was written by {who}, not skmia {version}"
    recorded = _recorded(mark)
    if not recorded:
        return ("this cache records no data hash (an earlier build of "
                f"skmia {version} wrote it)")
    if recorded.keys().isdisjoint(identities):
        first = next(iter(recorded.values()))
        return ("this cache holds models trained on other data ("
                f"{_differences(first, next(iter(identities.values())))}): none "
                "of them could be reused")
    return None


def check_cache(cache, config, *, create=True):
    """Check the cache folder ``cache`` for ``config``; with ``create``, mark it.

    Nothing reads a cache before this check: a run calls it with
    ``create=False`` before it plans (a dry run too), and again when it
    starts, which records the data of sweep points the mark lacks.

    Raises
    ------
    OutputError
        If ``cache`` holds files but no mark, the mark of another skmia
        version, or the mark of data none of ``config``'s sweep points
        uses (``seed``, ``dataset``, ``split``): its pickles are not loaded.
    """
    identities = {_hash(i): i for i in map(data_identity, expand_sweep(config))}
    mark = None
    if os.path.isdir(cache) and os.listdir(cache):
        mark = _read_mark(cache)
        why = _refusal(mark, identities)
        if why is not None:
            raise OutputError(
                f"{cache}: {why}; its pickles are not loaded (a cache runs code "
                "when read: never use one from strangers). Delete the folder, or "
                "choose another --output or shadows.cache")
    if not create:
        return
    recorded = _recorded(mark)
    if mark is not None and identities.keys() <= recorded.keys():
        return
    os.makedirs(cache, exist_ok=True)
    atomic_write_json(os.path.join(cache, CACHE_MARK), {
        "skmia": _version(), "data": list({**recorded, **identities}.values())})
