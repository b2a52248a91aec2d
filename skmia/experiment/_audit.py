"""Prepare an audit: data, split, the fitted target, the audited records."""

import time

import numpy as np
from sklearn.utils import Bunch

from ..records import Records

__all__ = ["make_estimator", "prepare_audit"]


def _load_dataset(dataset):
    from .. import datasets

    loader = {"digits": datasets.load_digits_images,
              "fashion_mnist": datasets.load_fashion_mnist,
              "cifar10": datasets.load_cifar10}[dataset["name"]]
    return loader(**dataset["params"])


def make_estimator(target, X, n_classes, *, seed):
    """The unfitted target of the ``target`` config section, sized for ``X``."""
    from ..targets import make_target

    from ._recipes import recipe_params

    params = dict(target["params"])
    params.update(recipe_params(target["recipe"], seed=seed,
                                max_epochs=params.get("max_epochs", 40)))
    defense = target["defense"]
    if defense["kind"] == "regularization":
        params.update(defense["params"])
    sizes = ({"in_features": int(np.prod(X.shape[1:]))} if target["arch"] == "mlp"
             else {"in_channels": int(X.shape[1])})
    net = make_target(target["arch"], n_classes=n_classes, random_state=seed,
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


def _accuracy(model, records):
    return float(np.mean(model.predict(records.X) == records.y))


def prepare_audit(dataset, split, target, *, seed, memory, quiet):
    """Load and split the data, fit the target, gather the audited records.

    Parameters
    ----------
    dataset, split, target : dict
        The config sections of the same names.
    seed : int
        Seeds the split and the target.
    memory : joblib.Memory
        Caches the fitted target.
    quiet : bool
        No epoch progress bar.

    Returns
    -------
    audit : Bunch
        ``estimator`` (the unfitted target, the shadows' recipe), ``target``
        (fitted), ``records`` (members then non-members), ``membership``,
        ``pool`` (the shadows' pool: the attacker's pool plus ``records``),
        ``train_accuracy``, ``test_accuracy``, ``target_seconds`` and
        ``target_cached`` (whether the target came from ``memory``).
    """
    from ..datasets import make_membership_split

    data = _load_dataset(dataset)
    parts = make_membership_split(
        data.data, data.target, n_target=split["n_target"],
        n_target_out=split["n_target_out"], n_pool=split["n_pool"], random_state=seed)
    n_classes = int(len(np.unique(data.target)))
    estimator = make_estimator(target, data.data, n_classes, seed=seed)

    fit_target = memory.cache(_fit_target, ignore=["quiet"])
    members, non_members = parts.target_in, parts.target_out
    cached = fit_target.check_call_in_cache(estimator, members.X, members.y)
    start = time.perf_counter()
    fitted = fit_target(estimator, members.X, members.y, quiet=quiet)
    seconds = time.perf_counter() - start

    records = Records(np.concatenate([members.X, non_members.X]),
                      np.concatenate([members.y, non_members.y]))
    membership = np.r_[np.ones(len(members), dtype=np.int64),
                       np.zeros(len(non_members), dtype=np.int64)]
    pool = Records(np.concatenate([parts.pool.X, records.X]),
                   np.concatenate([parts.pool.y, records.y]))
    return Bunch(estimator=estimator, target=fitted, records=records,
                 membership=membership, pool=pool,
                 train_accuracy=_accuracy(fitted, members),
                 test_accuracy=_accuracy(fitted, non_members),
                 target_seconds=seconds, target_cached=cached)
