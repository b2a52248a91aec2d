"""The signals one shadow ensemble computed, kept for its own use only."""

import weakref


class _SignalCache:
    """Read-only signal arrays of one ensemble, by signal name.

    A cache serves the ensemble it was made for while that ensemble holds
    the same ``outputs_`` and ``labels_`` arrays (:meth:`serves`): a copy of
    the ensemble, or one whose outputs were replaced, starts a cache of its
    own instead of reading (or filling) this one. It is never pickled:
    pickling gives an empty cache that serves no ensemble, so pickles stay
    small and an unpickled ensemble recomputes its signals on demand.

    Parameters
    ----------
    owner : ShadowModels or None
        The fitted ensemble served; None serves none.
    values : dict of str to ndarray, default=()
        Signals already known, kept read-only.
    """

    def __init__(self, owner=None, values=()):
        self._sources = () if owner is None else tuple(
            weakref.ref(obj) for obj in (owner, owner.outputs_, owner.labels_))
        self._values = {}
        for name, array in dict(values).items():
            array.flags.writeable = False
            self._values[name] = array

    def serves(self, owner):
        """Whether this cache holds ``owner``'s signals for its current outputs."""
        return bool(self._sources) and all(
            ref() is obj
            for ref, obj in zip(self._sources, (owner, owner.outputs_, owner.labels_)))

    def get(self, name, compute):
        """The signal ``name``, from ``compute()`` (made read-only) on first use."""
        if name not in self._values:
            values = compute()
            values.flags.writeable = False
            self._values[name] = values
        return self._values[name]

    def subset(self, indices, owner):
        """A cache for ``owner``: the kept signals of the models at ``indices``."""
        return type(self)(owner, {name: values[indices]
                                  for name, values in self._values.items()})

    def __reduce__(self):
        return type(self), ()  # never pickled, nor deep-copied: empty on arrival
