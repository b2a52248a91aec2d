"""Experiments from YAML configs: the engine behind ``skmia run``."""

from ._config import DEFAULT_CONFIG, ConfigError, expand_sweep, load_config
from ._cli import main
from ._run import run_experiment

__all__ = ["DEFAULT_CONFIG", "ConfigError", "expand_sweep", "load_config", "main",
           "run_experiment"]
