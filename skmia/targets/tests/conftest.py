"""Fixtures of the targets' tests: one torch thread, the digits, 300 of them."""

import pytest

from skmia.targets.tests._fixtures import digits, one_torch_thread  # noqa: F401


@pytest.fixture
def small(digits):  # noqa: F811 (the imported fixture)
    X, y = digits
    return X[:300], y[:300]
