"""skmia: membership inference audits and defenses, the scikit-learn way.

Subpackages are imported lazily so that ``import skmia`` does not import
torch; ``skmia.attacks`` and friends load on first access.
"""

import importlib

from ._record_index import RecordIndex
from .records import Records

__version__ = "0.1.0.dev0"

_SUBMODULES = [
    "attacks",
    "auditing",
    "datasets",
    "defenses",
    "experiment",
    "metrics",
    "model_selection",
    "plotting",
    "shadow",
    "signals",
    "targets",
    "utils",
]

__all__ = ["RecordIndex", "Records", "__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
