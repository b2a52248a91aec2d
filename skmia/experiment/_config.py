"""Experiment configuration: schema, validation with suggestions, overrides."""

import copy
import difflib
import inspect
import itertools
from numbers import Integral, Real

import yaml

__all__ = ["ConfigError", "DEFAULT_CONFIG", "load_config", "expand_sweep", "set_value"]


class ConfigError(ValueError):
    """A configuration problem, named by its key path (``attacks[1].n_shadow``)."""


#: The embedded default experiment: digits, a small CNN, shared shadows,
#: threshold, shadow-model and LiRA attacks. Every key a config may hold
#: appears here or in the attack schemas below.
DEFAULT_CONFIG = {
    "seed": 0,
    "output": "skmia_output",
    "dataset": {"name": "digits", "params": {}},
    "split": {"n_target": 890, "n_target_out": None, "n_pool": None,
              "members": None, "non_members": None},
    "target": {
        "arch": "small_cnn",
        "params": {"max_epochs": 40, "lr": 0.001, "batch_size": 128},
        "recipe": {},
        "defense": {"kind": "none", "params": {}},
        "from_file": None,
        "trusted": [],
    },
    "shadows": {
        "n_models": 16,
        "n_jobs": -1,
        "backend": "loky",
        "scheduler": None,
        "cache": None,
        "augmentations": False,
    },
    "attacks": [
        {"name": "threshold", "signal": "loss"},
        {"name": "shadow_model"},
        {"name": "lira", "online": True, "fixed_variance": True},
        {"name": "lira", "online": False, "fixed_variance": True},
    ],
    "metrics": {"fprs": [0.001, 0.01, 0.05], "confidence": 0.95, "n_bootstraps": 1000},
    "audit": {"kind": "none", "n_canaries": 500, "canaries": "mislabeled",
              "confidence": 0.95, "delta": None},
    "sweep": {},
}

_DATASETS = ("digits", "fashion_mnist", "cifar10")
_ARCHS = ("small_cnn", "mlp", "resnet18")
_DEFENSES = ("none", "regularization", "dp")
_BACKENDS = ("loky", "dask")

# Attack name -> (module attribute in skmia.attacks, keys the runner sets itself)
ATTACKS = {
    "threshold": ("ThresholdAttack", {"target", "shadow_models"}),
    "shadow_model": ("ShadowModelAttack", {"target", "shadow_models", "n_jobs", "memory",
                                           "verbose"}),
    "meta_classifier": ("MetaClassifierAttack", {"target"}),
    "lira": ("LiRA", {"target", "shadow_models", "n_jobs", "memory", "verbose",
                      "augmentations"}),
    "rmia": ("RMIA", {"target", "shadow_models", "n_jobs", "memory", "verbose"}),
    "calibrated_loss": ("CalibratedLossAttack", {"target", "shadow_models", "n_jobs",
                                                 "memory", "verbose"}),
    "label_only": ("LabelOnlyAttack", {"target", "shadow_models", "augmentations"}),
    "quantile_regression": ("QuantileRegressionAttack", {"target", "estimator"}),
}


def attack_class(name):
    """The class of the attack called ``name`` (``None`` if this skmia lacks it)."""
    import skmia.attacks

    return getattr(skmia.attacks, ATTACKS[name][0], None)


def attack_keys(name):
    """Keys an attack entry may hold: ``name`` and the attack's own parameters."""
    cls = attack_class(name)
    if cls is None:
        return None
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    return sorted((params - ATTACKS[name][1]) | {"name"})


def _suggest(key, valid):
    close = difflib.get_close_matches(str(key), [str(v) for v in valid], n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _fail(path, message):
    raise ConfigError(f"{path}: {message}")


def _check_keys(mapping, valid, path):
    if not isinstance(mapping, dict):
        _fail(path, f"expected a mapping, got {type(mapping).__name__}")
    for key in mapping:
        if key not in valid:
            _fail(f"{path}.{key}" if path else str(key),
                  f"unknown key{_suggest(key, valid)} (valid keys: {sorted(valid)})")


def _check_type(value, types, path, what):
    if isinstance(value, bool) and bool not in types:
        _fail(path, f"expected {what}, got {value!r}")
    if not isinstance(value, types):
        _fail(path, f"expected {what}, got {value!r} ({type(value).__name__})")


def _check_int(value, path, *, minimum=None, allow_none=False):
    if value is None and allow_none:
        return
    _check_type(value, (Integral,), path, "an integer")
    if minimum is not None and value < minimum:
        _fail(path, f"must be at least {minimum}, got {value}")


def _check_choice(value, choices, path):
    if value not in choices:
        _fail(path, f"unknown value {value!r}{_suggest(value, choices)} "
                    f"(choose one of {list(choices)})")


def validate(config):
    """Check a merged config; raise :class:`ConfigError` naming the key path."""
    _check_keys(config, DEFAULT_CONFIG, "")
    _check_int(config["seed"], "seed", minimum=0)
    _check_type(config["output"], (str,), "output", "a folder name")
    _check_data(config["dataset"], config["split"])
    _check_target(config["target"], config["split"])
    _check_shadows(config["shadows"])
    _check_attacks(config["attacks"])
    _check_metrics(config["metrics"])
    from ._one_run import check_audit

    _check_keys(config["audit"], DEFAULT_CONFIG["audit"], "audit")
    check_audit(config["audit"], config["target"], _fail)
    _check_sweep(config)
    return config


def _check_data(dataset, split):
    _check_keys(dataset, DEFAULT_CONFIG["dataset"], "dataset")
    _check_choice(dataset["name"], _DATASETS, "dataset.name")
    _check_type(dataset["params"], (dict,), "dataset.params", "a mapping")
    _check_keys(split, DEFAULT_CONFIG["split"], "split")
    _check_int(split["n_target"], "split.n_target", minimum=2)
    _check_int(split["n_target_out"], "split.n_target_out", minimum=2, allow_none=True)
    _check_int(split["n_pool"], "split.n_pool", minimum=1, allow_none=True)
    for key in ("members", "non_members"):
        if split[key] is not None:
            _check_type(split[key], (str,), f"split.{key}", "a file name")


def _check_target(target, split):
    _check_keys(target, DEFAULT_CONFIG["target"], "target")
    _check_choice(target["arch"], _ARCHS, "target.arch")
    _check_type(target["params"], (dict,), "target.params", "a mapping")
    from ._recipes import check_recipe

    check_recipe(target["recipe"])
    _check_from_file(target, split)
    defense = target["defense"]
    _check_keys(defense, DEFAULT_CONFIG["target"]["defense"], "target.defense")
    _check_choice(defense["kind"], _DEFENSES, "target.defense.kind")
    _check_type(defense["params"], (dict,), "target.defense.params", "a mapping")
    if defense["kind"] == "none" and defense["params"]:
        _fail("target.defense.params", "defense kind 'none' takes no params; set "
                                       "target.defense.kind to 'regularization' or 'dp'")


def _check_shadows(shadows):
    _check_keys(shadows, DEFAULT_CONFIG["shadows"], "shadows")
    _check_int(shadows["n_models"], "shadows.n_models", minimum=2)
    _check_type(shadows["n_jobs"], (Integral,), "shadows.n_jobs", "an integer")
    _check_choice(shadows["backend"], _BACKENDS, "shadows.backend")
    if shadows["backend"] == "dask" and shadows["scheduler"] is not None:
        _check_type(shadows["scheduler"], (str,), "shadows.scheduler", "an address")
    if shadows["cache"] is not None:
        _check_type(shadows["cache"], (str,), "shadows.cache", "a folder")
    _check_type(shadows["augmentations"], (bool,), "shadows.augmentations",
                "true or false")


def _check_attacks(attacks):
    _check_type(attacks, (list,), "attacks", "a list of attacks")
    if not attacks:
        _fail("attacks", "at least one attack is needed")
    for i, entry in enumerate(attacks):
        path = f"attacks[{i}]"
        if not isinstance(entry, dict) or "name" not in entry:
            _fail(path, "each attack needs a name, e.g. {name: threshold}")
        _check_choice(entry["name"], tuple(ATTACKS), f"{path}.name")
        keys = attack_keys(entry["name"])
        if keys is None:
            _fail(f"{path}.name", f"attack {entry['name']!r} is not available in this "
                                  "version of skmia")
        _check_keys(entry, keys, path)


def _check_metrics(metrics):
    _check_keys(metrics, DEFAULT_CONFIG["metrics"], "metrics")
    _check_type(metrics["fprs"], (list,), "metrics.fprs", "a list of rates")
    for j, fpr in enumerate(metrics["fprs"]):
        _check_type(fpr, (Real,), f"metrics.fprs[{j}]", "a number")
        if not 0 < fpr < 1:
            _fail(f"metrics.fprs[{j}]", f"must be in (0, 1), got {fpr}")
    _check_type(metrics["confidence"], (Real,), "metrics.confidence", "a number")
    if not 0 < metrics["confidence"] < 1:
        _fail("metrics.confidence", f"must be in (0, 1), got {metrics['confidence']}")
    _check_int(metrics["n_bootstraps"], "metrics.n_bootstraps", minimum=10)


def _check_sweep(config):
    sweep = config["sweep"]
    _check_type(sweep, (dict,), "sweep", "a mapping of key paths to value lists")
    for key, values in sweep.items():
        if not (key.startswith("target.") or key.startswith("seed")):
            _fail(f"sweep.{key}", "sweeps range over target (and defense) settings, "
                                  "e.g. target.defense.params.noise_multiplier")
        _check_type(values, (list,), f"sweep.{key}", "a list of values")
        try:
            get_value(config, key)
        except ConfigError:
            if not key.startswith(("target.params.", "target.defense.params.")):
                raise


def _check_from_file(target, split):
    """A target loaded from a file needs its members and non-members named."""
    _check_type(target["trusted"], (list,), "target.trusted", "a list of type names")
    if target["from_file"] is None:
        for key in ("members", "non_members"):
            if split[key] is not None:
                _fail(f"split.{key}", "only for a target loaded from a file "
                                      "(target.from_file)")
        return
    _check_type(target["from_file"], (str,), "target.from_file", "a file name")
    for key in ("members", "non_members"):
        if split[key] is None:
            _fail(f"split.{key}", "required with target.from_file: a .npy file of "
                                  "dataset indices or a .npz file with X and y")


def _merge(default, override, path=""):
    """Recursively merge ``override`` into a copy of ``default``."""
    if not isinstance(override, dict):
        _fail(path or "config", f"expected a mapping, got {type(override).__name__}")
    result = copy.deepcopy(default)
    for key, value in override.items():
        here = f"{path}.{key}" if path else str(key)
        if key not in default:
            _fail(here, f"unknown key{_suggest(key, default)} (valid keys: "
                        f"{sorted(default)})")
        free_form = key in ("params", "sweep")
        if isinstance(default[key], dict) and default[key] and not free_form:
            result[key] = _merge(default[key], value, here)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _parse_path(path):
    parts = []
    for token in path.split("."):
        if "[" in token and token.endswith("]"):
            name, index = token[:-1].split("[", 1)
            parts.append(name)
            parts.append(int(index))
        else:
            parts.append(token)
    return parts


def get_value(config, path):
    node = config
    for part in _parse_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise ConfigError(f"{path}: no such key in the configuration") from None
    return node


def set_value(config, path, value):
    """Set ``config[path]`` (dotted, with ``[i]`` list indices), in place."""
    parts = _parse_path(path)
    node = config
    for depth, part in enumerate(parts[:-1]):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            here = ".".join(str(p) for p in parts[: depth + 1])
            raise ConfigError(f"{here}: no such key in the configuration") from None
    last = parts[-1]
    if isinstance(node, dict) and last not in node and not _is_free_form(parts):
        _fail(path, f"unknown key{_suggest(last, node)} (valid keys: {sorted(node)})")
    node[last] = value


def _is_free_form(parts):
    return "params" in parts or "sweep" in parts or (len(parts) > 2 and parts[0] == "attacks")


def load_config(path=None, overrides=()):
    """Read a YAML config (or the default), apply ``--set`` overrides, validate.

    Parameters
    ----------
    path : str or path, default=None
        YAML file. ``None`` gives :data:`DEFAULT_CONFIG`.
    overrides : sequence of str
        ``"a.b=value"`` items; values are parsed as YAML (``3``, ``0.5``,
        ``true``, ``[1, 2]``).

    Returns
    -------
    dict
        The resolved configuration.
    """
    config = copy.deepcopy(DEFAULT_CONFIG)
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                loaded = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config ({exc.strerror})") \
                from None
        config = _merge(config, loaded or {})
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key.path=value")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            problem = str(getattr(exc, "problem", None) or exc)
            raise ConfigError(f"--set {item!r}: the value is not valid YAML "
                              f"({problem}); quote strings, close brackets") from None
        set_value(config, key.strip(), value)
    return validate(config)


def expand_sweep(config):
    """One config per point of ``config["sweep"]`` (just ``[config]`` without one)."""
    sweep = config["sweep"]
    if not sweep:
        return [config]
    keys = list(sweep)
    points = []
    for values in itertools.product(*(sweep[k] for k in keys)):
        point = copy.deepcopy(config)
        point["sweep"] = {}
        for key, value in zip(keys, values):
            set_value(point, key, value)
        points.append(validate(point))
    return points
