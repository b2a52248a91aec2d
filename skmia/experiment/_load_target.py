"""Audit a model the user trained: load it, and its members, from files safely.

Nothing here unpickles a user's file. A scikit-learn or skorch model comes
in :mod:`skops.io`'s format, whose untrusted types are listed first and
refused unless ``target.trusted`` names them; a torch state dict is read by
``torch.load(weights_only=True)`` into the module ``target.arch`` builds;
members and non-members are ``.npy`` index files into the dataset or
``.npz`` files with ``X`` and ``y``, read with ``allow_pickle=False``.
"""

import os
import zipfile

import numpy as np

from ._config import ConfigError

__all__ = ["load_records_file", "load_target_file"]


def _load_skops(path, trusted):
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(f"target.from_file: {path} is not a skops file ({exc}); "
                          "save the model with skops.io.dump") from None
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        raise ConfigError(
            f"target.from_file: {path} holds types skmia does not trust: {refused}; "
            "if you trust whoever wrote this file, list them in target.trusted")
    return skops.io.load(path, trusted=list(untrusted))


def _load_state_dict(path, net):
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch's message names the refused global
        raise ConfigError(f"target.from_file: {path} is not a plain torch state "
                          f"dict (weights_only=True refused it: "
                          f"{str(exc).splitlines()[0]})") from None
    if not isinstance(state, dict):
        raise ConfigError(f"target.from_file: {path} holds a "
                          f"{type(state).__name__}, not a state dict")
    net.initialize()
    expected = set(net.module_.state_dict())
    unexpected, missing = sorted(set(state) - expected), sorted(expected - set(state))
    if unexpected or missing:
        raise ConfigError(
            f"target.from_file: {path} does not fit target.arch: unexpected keys "
            f"{unexpected}, missing keys {missing}; check target.arch and "
            "target.params (module__...)")
    try:
        net.module_.load_state_dict(state)
    except RuntimeError as exc:
        raise ConfigError(f"target.from_file: {path}: {str(exc).splitlines()[-1]}") \
            from None
    return net


def load_target_file(path, *, trusted, estimator, classes):
    """The fitted target saved at ``path``, and the unfitted one shadows copy.

    Parameters
    ----------
    path : str
        A ``.skops`` file (a scikit-learn or skorch model saved with
        :func:`skops.io.dump`) or a ``.pt``/``.pth`` torch state dict.
    trusted : list of str
        Types the ``.skops`` file may hold beyond skops's trusted defaults.
    estimator : TensorNeuralNetClassifier
        The network ``target.arch`` and ``target.params`` describe: the
        state dict is loaded into it (unused for ``.skops`` files).
    classes : ndarray
        The dataset's classes (those of a state-dict target).

    Returns
    -------
    target : estimator
        Fitted.
    recipe : estimator
        Unfitted, with the target's parameters: the shadows' recipe.
    """
    from sklearn.base import clone

    if not os.path.isfile(path):
        raise FileNotFoundError(f"target.from_file: no such file {path!r}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".skops":
        target = _load_skops(path, trusted)
        return target, clone(target)
    if suffix in (".pt", ".pth"):
        net = clone(estimator).set_params(classes=list(np.asarray(classes).tolist()))
        return _load_state_dict(path, net), clone(net)
    raise ConfigError(f"target.from_file: {path}: expected a .skops file "
                      "(skops.io.dump) or a .pt/.pth torch state dict")


def load_records_file(path, key, data):
    """Records named by a ``split.members``/``split.non_members`` file.

    Parameters
    ----------
    path : str
        ``.npy``: integer indices into ``data``; ``.npz``: arrays ``X`` and
        ``y``. Read with ``allow_pickle=False``.
    key : str
        ``members`` or ``non_members``, for messages.
    data : Bunch
        The dataset (``data``, ``target``).

    Returns
    -------
    X, y : ndarray
    indices : ndarray or None
        The indices into ``data``, for an index file.
    """
    where = f"split.{key}"
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{where}: no such file {path!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ConfigError(f"{where}: {path}: {exc}") from None
    if isinstance(loaded, np.ndarray):
        if loaded.ndim != 1 or loaded.dtype.kind not in "iu":
            raise ConfigError(f"{where}: {path} must hold a 1-D integer array of "
                              f"dataset indices, got {loaded.dtype} {loaded.shape}")
        if loaded.size and (loaded.min() < 0 or loaded.max() >= len(data.target)):
            raise ConfigError(f"{where}: {path} has indices outside the dataset's "
                              f"{len(data.target)} records")
        return data.data[loaded], data.target[loaded], loaded
    with loaded:
        if not {"X", "y"} <= set(loaded.files):
            raise ConfigError(f"{where}: {path} must hold arrays X and y, has "
                              f"{sorted(loaded.files)}")
        X, y = loaded["X"], loaded["y"]
    if len(X) != len(y):
        raise ConfigError(f"{where}: {path}: X has {len(X)} rows, y {len(y)}")
    return np.asarray(X), np.asarray(y, dtype=np.int64), None
