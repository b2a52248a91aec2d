"""Check a configuration against what it will build, before anything runs.

:func:`~skmia.experiment.load_config` checks the schema. This module checks
the rest without training or writing anything: the target's own parameters
against the estimator they configure (names, with the nearest valid one,
and types), the defense's against :class:`~skmia.defenses.DPNeuralNetClassifier`
(including a privacy budget it cannot reach), every attack's against its
``_parameter_constraints``, and sizes against the data (a split that cannot
be made, shadow outputs too large for memory).
"""

import inspect
from numbers import Integral, Real

from ._config import ConfigError, _suggest

__all__ = ["MEMORY_LIMIT_BYTES", "check_attacks", "check_estimator", "check_loader",
           "check_memory"]

#: Shadow outputs larger than this are refused unless ``--force`` is given.
MEMORY_LIMIT_BYTES = 16 * 2**30


def _init_params(cls):
    """Names and defaults of the keyword parameters of ``cls`` and its bases."""
    params = {}
    for klass in reversed(cls.__mro__):
        if "__init__" not in vars(klass):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name != "self":
                params[name] = p.default
    return params


def _check_value_type(value, default, path, *, strict_int=True):
    """A value of the default's kind: an int for an int, a number for a float.

    Torch's own parameters often default to an int that may be a float
    (``weight_decay=0``): with ``strict_int=False`` any number passes.
    """
    if default is inspect.Parameter.empty or default is None or value is None:
        return
    if isinstance(default, bool):
        ok, what = isinstance(value, bool), "true or false"
    elif isinstance(default, Integral) and strict_int:
        ok, what = isinstance(value, Integral) and not isinstance(value, bool), \
            "an integer"
    elif isinstance(default, Real):
        ok, what = isinstance(value, Real) and not isinstance(value, bool), "a number"
    elif isinstance(default, str):
        ok, what = isinstance(value, str), "a string"
    else:
        return
    if not ok:
        raise ConfigError(f"{path}: expected {what}, got {value!r}")


def _check_names(net, params, path):
    """Every key names a parameter of ``net`` or of what a prefix configures."""
    own = _init_params(type(net))
    parts = {"module": net.module, "optimizer": net.optimizer,
             "criterion": net.criterion}
    for key, value in params.items():
        here = f"{path}.{key}"
        prefix, _, name = key.partition("__")
        if not name:
            if key not in own:
                raise ConfigError(f"{here}: not a parameter of {type(net).__name__}"
                                  f"{_suggest(key, own)}")
            _check_value_type(value, own[key], here)
        elif prefix in parts and inspect.isclass(parts[prefix]):
            valid = _init_params(parts[prefix])
            if name not in valid and "__" not in name:
                raise ConfigError(
                    f"{here}: {parts[prefix].__name__} has no parameter {name!r}"
                    f"{_suggest(name, valid)}")
            _check_value_type(value, valid.get(name, inspect.Parameter.empty), here,
                              strict_int=False)
        elif prefix not in net.prefixes_:
            raise ConfigError(f"{here}: not a parameter of {type(net).__name__}"
                              f"{_suggest(key, own)}")


def _check_budget(net, n_train, path):
    """A ``target_epsilon`` that DP-SGD can reach with these settings."""
    target_epsilon = getattr(net, "target_epsilon", None)
    if target_epsilon is None:
        return
    from opacus.accountants.utils import get_noise_multiplier

    sample_rate = min(1.0, net.batch_size / n_train)
    try:
        get_noise_multiplier(target_epsilon=target_epsilon,
                             target_delta=net.target_delta, sample_rate=sample_rate,
                             epochs=net.max_epochs, accountant=net.accountant)
    except ValueError as exc:
        raise ConfigError(f"{path}.target_epsilon: {target_epsilon} cannot be reached "
                          f"with delta {net.target_delta}, {net.max_epochs} epochs and "
                          f"batches of {net.batch_size} of {n_train} records ({exc}); "
                          "raise it, or lower max_epochs") from None


def check_estimator(target, net, n_train):
    """Check ``target.params`` and the defense's parameters against ``net``.

    Parameters
    ----------
    target : dict
        The ``target`` config section.
    net : estimator
        The unfitted target it builds (:func:`make_estimator`).
    n_train : int
        The number of members (for the DP budget).

    Raises
    ------
    ConfigError
        Naming the key (``target.params.max_epoch``) and what is wrong.
    """
    from sklearn.base import clone
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    if not hasattr(net, "prefixes_"):
        return  # a scikit-learn model loaded from a file: its own parameters
    _check_names(net, target["params"], "target.params")
    defense = target["defense"]
    where = "target.defense.params" if defense["params"] else "target.params"
    if defense["kind"] != "none":
        _check_names(net, defense["params"], "target.defense.params")
    try:
        validate_parameter_constraints(net._parameter_constraints,
                                       net.get_params(deep=False),
                                       caller_name=type(net).__name__)
    except InvalidParameterError as exc:
        key = str(exc).split("'")[1] if "'" in str(exc) else ""
        raise ConfigError(f"{where}.{key}: {exc}") from None
    try:  # built on the CPU: the check needs no GPU, and allocates little
        clone(net).set_params(device="cpu").initialize()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {type(net).__name__} cannot be built with these "
                          f"parameters: {str(exc).splitlines()[0]}") from None
    if defense["kind"] == "dp":
        _check_budget(net, n_train, "target.defense.params")


def check_attacks(entries, target, n_models):
    """Check each attack entry's parameters against the attack's constraints,
    and that none asks for more than the ``n_models`` shared shadows."""
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    from ._config import attack_class

    for i, entry in enumerate(entries):
        cls = attack_class(entry["name"])
        params = {k: v for k, v in entry.items() if k != "name"}
        n_shadow = params.get("n_shadow_models")
        if isinstance(n_shadow, int) and n_shadow > n_models:
            raise ConfigError(f"attacks[{i}].n_shadow_models: {n_shadow} is more than "
                              f"the {n_models} shadow models of the run; raise "
                              "shadows.n_models or lower it")
        try:
            attack = cls(target, **params)
            constraints = {k: v for k, v in cls._parameter_constraints.items()
                           if k in params}
            validate_parameter_constraints(
                constraints, attack.get_params(deep=False), caller_name=cls.__name__)
        except (InvalidParameterError, TypeError, ValueError) as exc:
            raise ConfigError(f"attacks[{i}]: {exc}") from None


def check_loader(loader, params):
    """Check ``dataset.params`` against the loader's keyword parameters."""
    valid = {name: p.default for name, p in inspect.signature(loader).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    for key, value in params.items():
        if key not in valid:
            raise ConfigError(f"dataset.params.{key}: not a parameter of "
                              f"{loader.__name__}{_suggest(key, valid)} (valid: "
                              f"{sorted(valid)})")
        _check_value_type(value, valid[key], f"dataset.params.{key}")


def check_memory(n_models, n_pool, n_classes, *, augmentations, force):
    """Refuse shadow outputs above :data:`MEMORY_LIMIT_BYTES` unless ``force``.

    The ensemble keeps ``n_models x n_pool x n_queries x n_classes`` float32
    outputs (18 queries with augmentations, else 1) and a float64 signal of
    ``n_models x n_pool x n_queries`` per attack signal.

    Returns
    -------
    n_bytes : int
        The estimate.
    """
    n_queries = 18 if augmentations else 1
    cells = int(n_models) * int(n_pool) * n_queries
    n_bytes = cells * int(n_classes) * 4 + cells * 8
    if n_bytes > MEMORY_LIMIT_BYTES and not force:
        raise ConfigError(
            f"shadows.n_models: {n_models} shadow models on {n_pool} records "
            f"({n_queries} queries, {n_classes} classes) keep about "
            f"{n_bytes / 2**30:.1f} GiB of outputs, more than the "
            f"{MEMORY_LIMIT_BYTES / 2**30:.0f} GiB limit; lower shadows.n_models "
            "or pass --force")
    return n_bytes
