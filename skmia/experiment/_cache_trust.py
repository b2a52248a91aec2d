"""The cache is trusted data: refuse a ``cache/`` folder skmia did not write.

The cache holds pickles (joblib checkpoints of the target and the shadow
models), and unpickling runs code, so a cache must never come from
strangers. skmia marks every cache folder it creates with a small JSON file
naming the skmia version that wrote it, and refuses to read one without
the mark, or written by another version, instead of unpickling it.
"""

import json
import os

from ._cli_errors import OutputError

__all__ = ["CACHE_MARK", "check_cache", "is_marked"]

CACHE_MARK = "skmia-cache.json"


def _version():
    from .. import __version__

    return __version__


def is_marked(cache):
    """Whether ``cache`` carries this skmia's mark (so it may be read)."""
    try:
        with open(os.path.join(cache, CACHE_MARK), encoding="utf-8") as f:
            return json.load(f).get("skmia") == _version()
    except (OSError, ValueError, AttributeError):
        return False


def check_cache(cache, *, create=True):
    """Check the cache folder ``cache``; create and mark it with ``create``.

    Nothing reads a cache before this check: a run calls it with
    ``create=False`` before it plans (a dry run too), and again when it
    starts.

    Raises
    ------
    OutputError
        If ``cache`` holds files but no mark, or the mark of another skmia
        version: its pickles are not loaded.
    """
    mark = os.path.join(cache, CACHE_MARK)
    if os.path.isdir(cache) and os.listdir(cache):
        try:
            with open(mark, encoding="utf-8") as f:
                written_by = json.load(f).get("skmia")
        except (OSError, ValueError, AttributeError):
            written_by = None
        if written_by != _version():
            who = (f"skmia {written_by}" if written_by else
                   "something other than this skmia (it has no skmia-cache.json)")
            raise OutputError(
                f"{cache}: this cache was written by {who}, not skmia {_version()}; "
                "its pickles are not loaded (a cache runs code when read: never use "
                "one from strangers). Delete the folder, or choose another "
                "--output or shadows.cache")
        return
    if not create:
        return
    os.makedirs(cache, exist_ok=True)
    with open(mark, "w", encoding="utf-8") as f:
        json.dump({"skmia": _version()}, f)
