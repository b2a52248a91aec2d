"""Tests of make_membership_split."""

import numpy as np
import pytest

from skmia import Records
from skmia.datasets import load_digits_images, make_membership_split

SETS = ("target_in", "target_out", "pool")


@pytest.fixture(scope="module")
def digits():
    return load_digits_images()


def assert_consistent(split, X, y):
    """Each set's records are X[indices], y[indices]; the sets are disjoint."""
    for name in SETS:
        indices = split[f"{name}_indices"]
        assert indices.dtype == np.int64
        assert isinstance(split[name], Records)
        np.testing.assert_array_equal(np.asarray(split[name].X), np.asarray(X)[indices])
        np.testing.assert_array_equal(split[name].y, np.asarray(y)[indices])
    all_indices = np.concatenate([split[f"{name}_indices"] for name in SETS])
    assert len(np.unique(all_indices)) == len(all_indices)


def set_sizes(split):
    """Number of records in each set, in the order of ``SETS``."""
    return tuple(len(split[name]) for name in SETS)


def test_sizes_disjointness_and_defaults(digits):
    split = make_membership_split(
        digits.data, digits.target, n_target=500, random_state=0
    )
    assert set_sizes(split) == (500, 500, 797)
    assert_consistent(split, digits.data, digits.target)
    # n_pool=None: every record is used exactly once.
    all_indices = np.concatenate([split[f"{name}_indices"] for name in SETS])
    np.testing.assert_array_equal(np.sort(all_indices), np.arange(1797))


def test_explicit_sizes(digits):
    split = make_membership_split(digits.data, digits.target, n_target=300,
                                  n_target_out=200, n_pool=400, random_state=1)
    assert set_sizes(split) == (300, 200, 400)
    assert_consistent(split, digits.data, digits.target)


def test_pool_empty_when_everything_is_used(digits):
    split = make_membership_split(
        digits.data, digits.target, n_target=900, n_target_out=897, random_state=0
    )
    assert len(split.pool) == 0 and split.pool.X.shape == (0, 1, 8, 8)
    assert_consistent(split, digits.data, digits.target)


def test_stratified(digits):
    split = make_membership_split(digits.data, digits.target, n_target=600,
                                  n_target_out=400, n_pool=500, random_state=0)
    assert set_sizes(split) == (600, 400, 500)
    proportions = np.bincount(digits.target) / len(digits.target)
    for name, size in zip(SETS, set_sizes(split)):
        counts = np.bincount(split[name].y, minlength=10)
        # a stratified draw of `size` records is within one of the expected count
        assert np.abs(counts - size * proportions).max() <= 1, name


def test_stratified_on_imbalanced_classes():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [900, 90, 10])
    X = rng.normal(size=(1000, 4))
    split = make_membership_split(X, y, n_target=300, n_pool=300, random_state=0)
    for name in SETS:
        np.testing.assert_array_equal(np.bincount(split[name].y), [270, 27, 3])


def test_same_seed_same_split_different_seed_different_split(digits):
    def indices(seed):
        split = make_membership_split(
            digits.data, digits.target, n_target=200, n_pool=300, random_state=seed
        )
        return [split[f"{name}_indices"] for name in SETS]

    for a, b in zip(indices(3), indices(3), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(indices(3)[0], indices(4)[0])
    # A RandomState instance seeded the same way gives the same split too.
    for a, b in zip(
        indices(np.random.RandomState(3)),
        indices(np.random.RandomState(3)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def test_records_input_matches_arrays(digits):
    from_records = make_membership_split(digits.records, n_target=300, random_state=0)
    from_arrays = make_membership_split(
        digits.data, digits.target, n_target=300, random_state=0
    )
    for name in SETS:
        np.testing.assert_array_equal(
            from_records[f"{name}_indices"], from_arrays[f"{name}_indices"]
        )


def test_tensor_and_list_inputs(digits):
    torch = pytest.importorskip("torch")
    X = torch.as_tensor(digits.data)
    split = make_membership_split(
        X, digits.target.tolist(), n_target=300, random_state=0
    )
    assert isinstance(split.target_in.X, torch.Tensor)
    assert split.target_in.X.shape == (300, 1, 8, 8)
    assert_consistent(split, digits.data, digits.target)


@pytest.mark.parametrize(
    "sizes, numbers",
    [
        (
            dict(n_target=1000),
            ["n_target (1000)", "n_target_out (1000)", "2000", "1797"],
        ),
        (
            dict(n_target=500, n_target_out=500, n_pool=800),
            ["n_pool (800)", "1800", "1797"],
        ),
    ],
)
def test_sizes_too_large(digits, sizes, numbers):
    with pytest.raises(ValueError) as excinfo:
        make_membership_split(digits.data, digits.target, **sizes)
    for number in numbers:
        assert number in str(excinfo.value)


@pytest.mark.parametrize(
    "sizes, param",
    [
        (dict(n_target=0), "n_target"),
        (dict(n_target=-5), "n_target"),
        (dict(n_target=2.5), "n_target"),
        (dict(n_target=100, n_target_out=0), "n_target_out"),
        (dict(n_target=100, n_pool=0), "n_pool"),
    ],
)
def test_non_positive_sizes(digits, sizes, param):
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        make_membership_split(digits.data, digits.target, **sizes)


def test_too_few_records_per_class():
    X = np.zeros((40, 2))
    y = np.r_[np.zeros(38), [1, 1]]  # class 1: two records for three sets
    with pytest.raises(ValueError, match="class 1 has 2 record"):
        make_membership_split(X, y, n_target=10, random_state=0)
    # Without a pool two sets need two records per class: that works.
    split = make_membership_split(X, y, n_target=20, random_state=0)
    assert np.bincount(split.target_in.y).tolist() == [19, 1]


def test_set_smaller_than_number_of_classes(digits):
    match = r"n_target \(5\) is smaller than the number of classes \(10\)"
    with pytest.raises(ValueError, match=match):
        make_membership_split(digits.data, digits.target, n_target=5)
    with pytest.raises(ValueError, match=r"the pool \(3\) is smaller"):
        make_membership_split(digits.data, digits.target, n_target=100, n_pool=3)


def test_records_and_labels_arguments(digits):
    with pytest.raises(ValueError, match="pass y=None"):
        make_membership_split(digits.records, digits.target, n_target=100)
    with pytest.raises(ValueError, match="y .* is required"):
        make_membership_split(digits.data, n_target=100)
    with pytest.raises(ValueError, match="different lengths"):
        make_membership_split(digits.data, digits.target[:-1], n_target=100)


def test_pool_leaving_fewer_unused_records_than_classes():
    X, y = np.zeros((30, 2)), np.arange(30) % 2
    with pytest.raises(ValueError, match=r"leaves 1 record\(s\) unused.*n_pool <= 12"):
        make_membership_split(X, y, n_target=8, n_pool=13)
    split = make_membership_split(X, y, n_target=8, n_pool=12, random_state=0)
    assert len(split.pool) == 12
    assert np.bincount(split.pool.y).tolist() == [6, 6]
