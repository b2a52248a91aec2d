"""Fixtures of the defenses' tests: one torch thread, the digits, 200 of them."""

import pytest

from skmia.targets.tests._fixtures import digits, one_torch_thread  # noqa: F401


@pytest.fixture
def small(digits):  # noqa: F811 (the imported fixture)
    """200 digits: with ``batch_size=20`` the sample rate is q = 0.1."""
    X, y = digits
    return X[:200], y[:200]
