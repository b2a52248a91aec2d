"""Training recipes: the ``target.recipe`` config section, checked and resolved.

A recipe names what plain skorch parameters cannot say in YAML: the
optimizer by name, a learning-rate schedule, training-time augmentation and
early stopping. :func:`check_recipe` validates it like every other key
(unknown names and keys are named, with the nearest valid one suggested);
:func:`recipe_params` turns it into :func:`~skmia.targets.make_target`
keyword arguments.
"""

from numbers import Integral, Real

from ._config import ConfigError, _suggest

__all__ = ["RECIPE_OPTIONS", "check_recipe", "recipe_params"]

_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}
_NUMBER, _INT = (Real, "a number"), (Integral, "an integer")
_BOOL = (bool, "true or false")

#: Every recipe option: its names (the ``name`` key) and their keys with types.
RECIPE_OPTIONS = {
    "optimizer": {
        "sgd": {"momentum": _NUMBER, "nesterov": _BOOL, "weight_decay": _NUMBER,
                "dampening": _NUMBER},
        "adam": {"weight_decay": _NUMBER, "amsgrad": _BOOL},
        "adamw": {"weight_decay": _NUMBER, "amsgrad": _BOOL},
        "rmsprop": {"momentum": _NUMBER, "weight_decay": _NUMBER, "alpha": _NUMBER},
    },
    "lr_schedule": {
        "cosine": {"eta_min": _NUMBER},
        "step": {"step_size": _INT, "gamma": _NUMBER},
    },
    "augmentation": {
        "random_crop_flip": {"padding": _INT, "flip": _BOOL},
    },
    "early_stopping": {
        "valid_loss": {"patience": _INT, "validation_fraction": _NUMBER,
                       "threshold": _NUMBER},
    },
}

_REQUIRED = {("lr_schedule", "step"): ("step_size",)}


def _fail(path, message):
    raise ConfigError(f"{path}: {message}")


def _option(recipe, key, path):
    """The ``{name: ..., **params}`` mapping of one option (a bare name allowed)."""
    value = recipe[key]
    here = f"{path}.{key}"
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or "name" not in value:
        names = sorted(RECIPE_OPTIONS[key])
        _fail(here, f"expected a name or a mapping with a name, one of {names}")
    return value, here


def _check_number(value, types, path):
    kind, what = types
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        _fail(path, f"expected {what}, got {value!r}")
    if kind is not bool and value < 0:
        _fail(path, f"must be at least 0, got {value}")


def check_recipe(recipe, path="target.recipe"):
    """Check a ``target.recipe`` mapping; raise :class:`ConfigError` naming the key.

    Parameters
    ----------
    recipe : dict
        Options ``optimizer``, ``lr_schedule``, ``augmentation`` and
        ``early_stopping``, each a name or ``{name: ..., **parameters}``.
    path : str, default="target.recipe"
        Where the recipe sits in the config, for messages.

    Returns
    -------
    recipe : dict
        Unchanged.

    Examples
    --------
    >>> from skmia.experiment._recipes import check_recipe
    >>> check_recipe({"optimizer": {"name": "sgd", "momentum": 0.9}})
    {'optimizer': {'name': 'sgd', 'momentum': 0.9}}
    """
    if not isinstance(recipe, dict):
        _fail(path, f"expected a mapping of {sorted(RECIPE_OPTIONS)}")
    for key in recipe:
        if key not in RECIPE_OPTIONS:
            _fail(f"{path}.{key}", "unknown recipe option"
                                   f"{_suggest(key, RECIPE_OPTIONS)} "
                                   f"(valid options: {sorted(RECIPE_OPTIONS)})")
        option, here = _option(recipe, key, path)
        names = RECIPE_OPTIONS[key]
        if option["name"] not in names:
            _fail(f"{here}.name", f"unknown value {option['name']!r}"
                                  f"{_suggest(option['name'], names)} "
                                  f"(choose one of {sorted(names)})")
        valid = names[option["name"]]
        for param, value in option.items():
            if param == "name":
                continue
            if param not in valid:
                _fail(f"{here}.{param}", f"unknown key{_suggest(param, valid)} "
                                         f"(valid keys: {sorted(valid)})")
            _check_number(value, valid[param], f"{here}.{param}")
        for param in _REQUIRED.get((key, option["name"]), ()):
            if param not in option:
                _fail(f"{here}.{param}", f"required by {option['name']!r}")
    stopping = recipe.get("early_stopping", {})
    fraction = stopping.get("validation_fraction", 0.1) if isinstance(
        stopping, dict) else 0.1
    if not 0 < fraction < 1:
        _fail(f"{path}.early_stopping.validation_fraction", "must be in (0, 1)")
    return recipe


def _params_of(option):
    return {k: v for k, v in option.items() if k != "name"}


def recipe_params(recipe, *, max_epochs, seed):
    """The :func:`~skmia.targets.make_target` parameters a checked recipe stands for.

    Parameters
    ----------
    recipe : dict
        A recipe that passed :func:`check_recipe`.
    max_epochs : int
        The target's epochs (the length of a cosine schedule).
    seed : int
        Seeds the early-stopping validation split.

    Returns
    -------
    params : dict
        ``optimizer`` and ``optimizer__*``, ``augmentation``, ``train_split``
        and ``callbacks`` as the recipe asks; empty for an empty recipe.
    """
    import torch
    from skorch.callbacks import EarlyStopping, LRScheduler
    from skorch.dataset import ValidSplit

    from ..targets import RandomCropFlip

    params, callbacks = {}, []
    options = {key: _option(recipe, key, "target.recipe")[0] for key in recipe}
    if "optimizer" in options:
        option = options["optimizer"]
        params["optimizer"] = getattr(torch.optim, _OPTIMIZERS[option["name"]])
        params.update({f"optimizer__{k}": v for k, v in _params_of(option).items()})
    if "lr_schedule" in options:
        option = options["lr_schedule"]
        if option["name"] == "cosine":
            callbacks.append(("lr_schedule", LRScheduler(
                policy="CosineAnnealingLR", T_max=max_epochs, **_params_of(option))))
        else:
            callbacks.append(("lr_schedule", LRScheduler(policy="StepLR",
                                                         **_params_of(option))))
    if "augmentation" in options:
        params["augmentation"] = RandomCropFlip(**_params_of(options["augmentation"]))
    if "early_stopping" in options:
        option = _params_of(options["early_stopping"])
        params["train_split"] = ValidSplit(option.pop("validation_fraction", 0.1),
                                           stratified=True, random_state=seed)
        callbacks.append(("early_stopping", EarlyStopping(
            monitor="valid_loss", load_best=True, **option)))
    if callbacks:
        params["callbacks"] = callbacks
    return params
