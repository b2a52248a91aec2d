"""Config overrides and helpers shared by the experiment tests.

The runs they describe are small and fast: a narrow MLP on digits trained
for a few epochs, 200 target records and a pool of 400.
"""

import pytest

from skmia.experiment import ConfigError, load_config

#: A narrow MLP on digits; no shadow or attack settings.
FAST_TARGET = [
    "target.arch=mlp",
    "target.params.max_epochs=8",
    "split.n_target=200",
    "split.n_pool=400",
]
#: The same with 4 shadow models trained one at a time.
FAST_SHADOWS = FAST_TARGET + ["shadows.n_models=4", "shadows.n_jobs=1"]
#: A whole run: 4 shadows and three attacks.
FAST = FAST_SHADOWS + [
    "metrics.n_bootstraps=50",
    "attacks=[{name: threshold, signal: loss}, {name: shadow_model}, "
    "{name: meta_classifier}]",
]


def set_args(overrides):
    """``--set`` command-line arguments for ``overrides``."""
    return [arg for item in overrides for arg in ("--set", item)]


def assert_config_error(override, match):
    """Loading the default config with ``override`` fails, naming it."""
    with pytest.raises(ConfigError, match=match):
        load_config(None, [override])
