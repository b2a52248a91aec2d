"""Prepare an audit: data, split, the fitted target, the audited records."""

import time

import numpy as np
from sklearn.utils import Bunch

from ..records import Records

__all__ = ["dataset_loader", "load_dataset", "make_estimator", "prepare_audit",
           "prepare_data"]


def dataset_loader(name):
    """The loader of the dataset called ``name``."""
    from .. import datasets

    return {"digits": datasets.load_digits_images,
            "fashion_mnist": datasets.load_fashion_mnist,
            "cifar10": datasets.load_cifar10}[name]


def load_dataset(dataset):
    """The dataset the ``dataset`` config section names."""
    return dataset_loader(dataset["name"])(**dataset["params"])


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


def _check_disjoint(members, non_members):
    """A record may not be audited as both a member and a non-member."""
    from .. import RecordIndex
    from ._config import ConfigError

    found = RecordIndex(Records(*members[:2])).find(Records(*non_members[:2]))
    if np.any(found >= 0):
        raise ConfigError(
            f"split.non_members: {int(np.sum(found >= 0))} of its records are also "
            "in split.members; a record is either a member or a non-member")


def _split(data, split, target, seed):
    """Members, non-members and the attacker's extra records (``Records``)."""
    from .. import RecordIndex
    from ..datasets import make_membership_split

    if target["from_file"] is None:
        parts = make_membership_split(
            data.data, data.target, n_target=split["n_target"],
            n_target_out=split["n_target_out"], n_pool=split["n_pool"],
            random_state=seed)
        return parts.target_in, parts.target_out, parts.pool
    from ._load_target import load_records_file

    members = load_records_file(split["members"], "members", data)
    non_members = load_records_file(split["non_members"], "non_members", data)
    _check_disjoint(members, non_members)
    rest = np.ones(len(data.target), dtype=bool)
    for _, _, indices in (members, non_members):
        if indices is not None:
            rest[indices] = False
    rest = np.flatnonzero(rest)
    # the dataset's records as the model takes them (e.g. flattened), less
    # those the data files hold: they are already in the pool once
    X_rest = data.data[rest].reshape(len(rest), *members[0].shape[1:]).astype(
        members[0].dtype, copy=False)
    index = RecordIndex(Records(X_rest, data.target[rest]))
    audited = [index.find(Records(*part[:2])) for part in (members, non_members)]
    keep = np.setdiff1d(np.arange(len(rest)), np.concatenate(audited))
    keep = keep[:split["n_pool"]]
    return (Records(*members[:2]), Records(*non_members[:2]),
            Records(X_rest[keep], data.target[rest][keep]))


def _target(estimator, target, members, classes, *, memory, quiet):
    """The fitted target (trained through ``memory``, or loaded), and its recipe."""
    if target["from_file"] is not None:
        from ._load_target import load_target_file

        fitted, recipe = load_target_file(target["from_file"],
                                          trusted=target["trusted"],
                                          estimator=estimator, classes=classes)
        return fitted, recipe, 0.0, True
    fit_target = memory.cache(_fit_target, ignore=["quiet"])
    cached = fit_target.check_call_in_cache(estimator, members.X, members.y)
    start = time.perf_counter()
    fitted = fit_target(estimator, members.X, members.y, quiet=quiet)
    return fitted, estimator, time.perf_counter() - start, cached


def prepare_data(dataset, split, target, *, seed):
    """The data of an audit, nothing trained.

    Returns
    -------
    data : Bunch
        ``members``, ``non_members``, ``records`` (members then
        non-members), ``membership``, ``pool`` (the shadows' pool: the
        attacker's records plus ``records``), ``classes`` and ``estimator``
        (the target's recipe, unfitted).
    """
    data = load_dataset(dataset)
    members, non_members, extra = _split(data, split, target, seed)
    classes = np.unique(data.target)
    estimator = make_estimator(target, members.X, len(classes), seed=seed)
    records = Records(np.concatenate([members.X, non_members.X]),
                      np.concatenate([members.y, non_members.y]))
    membership = np.r_[np.ones(len(members), dtype=np.int64),
                       np.zeros(len(non_members), dtype=np.int64)]
    pool = Records(np.concatenate([extra.X, records.X]),
                   np.concatenate([extra.y, records.y]))
    return Bunch(members=members, non_members=non_members, records=records,
                 membership=membership, pool=pool, classes=classes,
                 estimator=estimator)


def prepare_audit(dataset, split, target, *, seed, memory, quiet):
    """Load and split the data, fit (or load) the target, gather the audited records.

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
        ``target_cached`` (whether the target came from ``memory`` or a file).
    """
    data = prepare_data(dataset, split, target, seed=seed)
    fitted, recipe, seconds, cached = _target(data.estimator, target, data.members,
                                              data.classes, memory=memory,
                                              quiet=quiet)
    return Bunch(estimator=recipe, target=fitted, records=data.records,
                 membership=data.membership, pool=data.pool,
                 train_accuracy=_accuracy(fitted, data.members),
                 test_accuracy=_accuracy(fitted, data.non_members),
                 target_seconds=seconds, target_cached=cached)
