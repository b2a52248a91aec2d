"""Fixtures shared by the attack tests (the experiments live in ``_fixtures``)."""

import pytest

from ._fixtures import digits_experiment


@pytest.fixture(scope="module")
def exp():
    """The digits experiment: pool, membership, MLP target, 8 shadows."""
    return digits_experiment()
