"""Privacy accounting glue: Opacus's accountants, noise calibration, epsilon."""

import math
import numbers
import warnings

from opacus.accountants import create_accountant
from opacus.accountants.utils import get_noise_multiplier


def _check_budget_epochs(target_epsilon, max_epochs):
    """A ``target_epsilon`` is spent over ``max_epochs``: it must be >= 1."""
    if target_epsilon is not None and not (
        isinstance(max_epochs, numbers.Integral) and max_epochs >= 1
    ):
        raise ValueError(
            f"target_epsilon={target_epsilon} is spent over max_epochs "
            f"epochs, but max_epochs={max_epochs!r}; set max_epochs to "
            "a positive integer, or set noise_multiplier instead of "
            "target_epsilon."
        )


def _warn_if_delta_too_large(delta, n_train):
    """Warn when ``delta >= 1 / n_train``, a delta that allows leaking a record."""
    if delta >= 1 / n_train:
        warnings.warn(
            f"target_delta={delta:g} is not below 1/n_train = "
            f"1/{n_train}: an (epsilon, delta) guarantee with such a delta "
            "allows publishing a whole training record. Use a delta well "
            "below 1/n_train.",
            UserWarning,
            stacklevel=3,
        )


def _warn_if_over_budget(epsilon, target_epsilon):
    """Warn when training spent more than ``target_epsilon`` (if set)."""
    if target_epsilon is not None and epsilon > target_epsilon * (1 + 1e-9):
        warnings.warn(
            f"Training spent epsilon={epsilon:.3g}, more than "
            f"target_epsilon={target_epsilon:g}: the noise was "
            "calibrated for max_epochs epochs from initialize(), and "
            "training continued past them.",
            UserWarning,
            stacklevel=3,
        )


def _calibrated_noise(*, target_epsilon, target_delta, sample_rate, steps, accountant):
    """The noise multiplier that spends ``target_epsilon`` in ``steps`` steps."""
    # The bisection tries noise levels far from the answer, for which
    # Opacus warns about RDP orders or GDP being experimental.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return get_noise_multiplier(
            target_epsilon=target_epsilon,
            target_delta=target_delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=accountant,
        )


def _with_mechanism(accountant, mechanism):
    """``accountant``, or a ``mechanism`` accountant that replays its history.

    So a net whose ``accountant`` parameter changed between training runs
    keeps the privacy spent so far.
    """
    if accountant.mechanism() == mechanism:
        return accountant
    replayed = create_accountant(mechanism)
    for noise, rate, steps in accountant.history:
        for _ in range(steps):
            replayed.step(noise_multiplier=noise, sample_rate=rate)
    return replayed


def _steps_taken(accountant):
    """Number of optimizer steps the accountant recorded."""
    return int(sum(steps for _, _, steps in accountant.history))


def _epsilon_spent(accountant, delta):
    """Epsilon for ``delta``: ``inf`` after a noiseless step, ``0.0`` before any."""
    if not (isinstance(delta, numbers.Real) and 0 < delta < 1):
        raise ValueError(f"delta must be in (0, 1), got delta={delta!r}.")
    history = accountant.history
    if not history:
        return 0.0
    if any(noise == 0 for noise, _, _ in history):
        return math.inf
    return float(accountant.get_epsilon(delta=float(delta)))
