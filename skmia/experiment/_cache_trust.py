"""The cache is trusted data: refuse a ``cache/`` folder skmia did not write for this data.

The cache holds pickles (joblib checkpoints of the target and the shadow
models), and unpickling runs code, so a cache must never come from
strangers. skmia marks every cache folder it creates with a small JSON file
naming the skmia version that wrote it and the hash of the configuration
keys that decide which records every cached model trains on (``seed``,
``dataset`` and ``split``). A cache without the mark, written by another
version, or recorded for other data is refused before any pickle in it is
read. Target, defense, shadow-count, attack and metric settings are not in
the hash: a rerun with more shadows, a sweep over target settings, or a
changed attack reuses the models it has in common with the cache.
"""

import hashlib
import json
import os

from ._cli_errors import OutputError
from ._io import atomic_write_json

__all__ = ["CACHE_MARK", "DATA_KEYS", "check_cache", "data_identity", "is_marked"]

CACHE_MARK = "skmia-cache.json"
#: Configuration keys that decide which records each cached model trains on.
DATA_KEYS = ("seed", "dataset", "split")
#: Dataset parameters that say where or how to fetch the data, not which data.
_LOCATION_PARAMS = ("data_home", "download")


def _version():
    from .. import __version__

    return __version__


def data_identity(config):
    """The configuration's ``seed``, ``dataset`` and ``split``, as JSON values.

    The dataset's ``data_home`` and ``download`` are left out: they say
    where the same records are found.
    """
    dataset = config["dataset"]
    params = {k: v for k, v in dataset["params"].items() if k not in _LOCATION_PARAMS}
    identity = {"seed": config["seed"], "split": config["split"],
                "dataset": {**dataset, "params": params}}
    return json.loads(json.dumps(identity, sort_keys=True, default=str))


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


def is_marked(cache, config):
    """Whether ``cache`` carries this skmia's mark for ``config``'s data."""
    mark = _read_mark(cache)
    return (mark is not None and mark.get("skmia") == _version()
            and mark.get("data_hash") == _hash(data_identity(config)))


def _flat(value, prefix=""):
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, inner in value.items():
        flat.update(_flat(inner, f"{prefix}.{key}" if prefix else key))
    return flat


def _differences(recorded, identity):
    """``key: X there, Y here`` for each data key whose value differs."""
    there, here = _flat(recorded), _flat(identity)
    keys = sorted(k for k in there.keys() | here.keys() if there.get(k) != here.get(k))
    return "; ".join(f"{k}: {there.get(k)!r} there, {here.get(k)!r} here"
                     for k in keys[:3]) + (f"; and {len(keys) - 3} more"
                                          if len(keys) > 3 else "")


def _refusal(cache, mark, identity):
    """Why ``cache`` may not be read by a run of ``identity``, or ``None``."""
    version = _version()
    written_by = None if mark is None else mark.get("skmia")
    if written_by != version:
        who = (f"skmia {written_by}" if written_by else
               "something other than this skmia (it has no skmia-cache.json)")
        return f"this cache was written by {who}, not skmia {version}"
    if mark.get("data_hash") != _hash(identity):
        recorded = mark.get("data")
        if not isinstance(recorded, dict) or mark.get("data_hash") is None:
            return ("this cache records no data hash (an earlier build of "
                    f"skmia {version} wrote it)")
        return ("this cache holds models trained on other data ("
                f"{_differences(recorded, identity)}): none of them could be reused")
    return None


def check_cache(cache, config, *, create=True):
    """Check the cache folder ``cache`` for ``config``; create and mark it with ``create``.

    Nothing reads a cache before this check: a run calls it with
    ``create=False`` before it plans (a dry run too), and again when it
    starts.

    Raises
    ------
    OutputError
        If ``cache`` holds files but no mark, the mark of another skmia
        version, or the mark of other data (``seed``, ``dataset`` or
        ``split``): its pickles are not loaded.
    """
    identity = data_identity(config)
    if os.path.isdir(cache) and os.listdir(cache):
        why = _refusal(cache, _read_mark(cache), identity)
        if why is not None:
            raise OutputError(
                f"{cache}: {why}; its pickles are not loaded (a cache runs code "
                "when read: never use one from strangers). Delete the folder, or "
                "choose another --output or shadows.cache")
        return
    if not create:
        return
    os.makedirs(cache, exist_ok=True)
    atomic_write_json(os.path.join(cache, CACHE_MARK), {
        "skmia": _version(), "data_hash": _hash(identity), "data": identity})
