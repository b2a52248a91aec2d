import numpy as np
import pytest

from skmia import RecordIndex, Records


def brute_force_find(pool, records):
    """Position of each record's first byte-and-label match in ``pool``, or -1."""
    pool_rows = np.asarray(pool.X).reshape(len(pool), -1)
    rows = np.asarray(records.X).reshape(len(records), -1)
    out = []
    for x, y in zip(rows, records.y):
        same = np.flatnonzero((pool_rows == x).all(axis=1) & (pool.y == y))
        out.append(same[0] if len(same) else -1)
    return np.array(out, dtype=np.intp)


class CollidingIndex(RecordIndex):
    """Every record has the same digest: every match is settled on the bytes."""

    @staticmethod
    def digest(words, labels):
        return np.zeros(len(words), dtype=np.uint64)


@pytest.mark.parametrize("index_type", [RecordIndex, CollidingIndex])
@pytest.mark.parametrize("dtype, shape", [
    (np.float64, (8, 8)),  # whole words: looked up without a copy
    (np.uint8, (3, 5)),  # 15 bytes a row: padded
    (np.float32, (1, 3, 3)),
])
def test_find_matches_a_brute_force_search(index_type, dtype, shape):
    rng = np.random.RandomState(0)
    X = rng.randint(0, 4, size=(60,) + shape).astype(dtype)
    X[10] = X[3]  # a duplicate record: its first occurrence is reported
    y = rng.randint(0, 3, 60)
    y[10] = y[3]
    pool = Records(X, y)
    index = index_type(pool)
    perm = rng.permutation(60)
    queries = Records(
        np.concatenate([X[::-1], X[perm[:7]], X[:5] + 1, X[:5]]),
        # the last five have other labels: absent
        np.concatenate([y[::-1], y[perm[:7]], y[:5], (y[:5] + 1) % 3]),
    )
    expected = brute_force_find(pool, queries)
    assert expected[-1] == -1 and 3 in expected and 10 not in expected
    assert (expected[:60] == np.arange(60)[::-1]).sum() == 59  # all but row 10
    np.testing.assert_array_equal(index.find(queries), expected)
    np.testing.assert_array_equal(index.find(pool), brute_force_find(pool, pool))
    np.testing.assert_array_equal(index.find(pool[perm]),
                                  brute_force_find(pool, pool[perm]))
    np.testing.assert_array_equal(index.find(queries[:0]), [])


def test_the_set_itself_in_order_is_found_without_hashing():
    hashed = []

    class CountingIndex(RecordIndex):
        @staticmethod
        def digest(words, labels):
            hashed.append(len(words))
            return RecordIndex.digest(words, labels)

    pool = Records(np.arange(20.0).reshape(10, 2), np.arange(10) % 3)
    index = CountingIndex(pool)
    np.testing.assert_array_equal(index.find(pool), np.arange(10))
    assert hashed == [10]  # the index's own digests only
    np.testing.assert_array_equal(index.find(pool[::-1]), np.arange(10)[::-1])
    assert hashed == [10, 10]
    twice = Records(np.concatenate([pool.X, pool.X]), np.concatenate([pool.y] * 2))
    np.testing.assert_array_equal(CountingIndex(twice).find(twice),
                                  np.tile(np.arange(10), 2))  # first occurrences


def test_records_with_equal_digests_are_told_apart():
    # The label enters the digest as label * w with w odd, which is
    # invertible mod 2**64: solve for the label that gives record 1 the
    # digest of record 0, so the two really collide.
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    words = X.view(np.uint64)
    zero, one = np.zeros(2, dtype=np.int64), np.ones(1, dtype=np.int64)
    w = int(RecordIndex.digest(np.zeros((1, 2), dtype=np.uint64), one)[0])
    d0, d1 = (int(d) for d in RecordIndex.digest(words, zero))
    label = (d0 - d1) * pow(w, -1, 2**64) % 2**64
    y = np.array([0, label], dtype=np.uint64).view(np.int64)
    digests = RecordIndex.digest(words, y)
    assert digests[0] == digests[1] and label != 0  # a real collision

    both = Records(X, y)
    np.testing.assert_array_equal(RecordIndex(both).find(both[[1, 0, 1]]), [1, 0, 1])
    np.testing.assert_array_equal(RecordIndex(both[:1]).find(both), [0, -1])
    np.testing.assert_array_equal(RecordIndex(both[1:]).find(both), [-1, 0])


def test_digests_separate_rows_that_differ_only_in_high_bits():
    # +-1.0 features differ only in the sign bit: a plain weighted sum of the
    # words would give every such row one of two digests
    rng = np.random.RandomState(0)
    signs = np.unique(rng.choice([-1.0, 1.0], size=(3000, 64)), axis=0)
    binary = np.unique(rng.randint(0, 2, size=(3000, 64)).astype(np.float64), axis=0)
    for X in (signs, binary):
        labels = np.zeros(len(X), dtype=np.int64)
        assert len(np.unique(RecordIndex.digest(X.view(np.uint64), labels))) == len(X)
    # and the two encodings of the same bits are different records
    index = RecordIndex(Records(signs, np.zeros(len(signs), dtype=int)))
    as_binary = Records((signs > 0).astype(np.float64), np.zeros(len(signs), dtype=int))
    assert np.all(index.find(as_binary) == -1)
    perm = rng.permutation(len(signs))
    np.testing.assert_array_equal(
        index.find(Records(signs[perm], np.zeros(len(signs), dtype=int))), perm)


def test_rows_of_another_byte_length_never_match():
    X = np.arange(30, dtype=np.uint8).reshape(2, 15)  # 15 bytes, padded to 16
    index = RecordIndex(Records(X, [0, 1]))
    wider = np.zeros((2, 16), dtype=np.uint8)
    wider[:, :15] = X  # the same bytes and the padding's zero
    assert np.all(index.find(Records(wider, [0, 1])) == -1)
    assert np.all(index.find(Records(X[:, :-1], [0, 1])) == -1)
    # the bytes decide, not the dtype: 16 uint8 are 4 float32
    assert np.all(RecordIndex(Records(wider, [0, 1])).find(
        Records(wider.view(np.float32), [0, 1])) == [0, 1])


def test_tensors_copies_and_bad_input():
    torch = pytest.importorskip("torch")

    X = np.arange(16, dtype=np.float32).reshape(4, 4)  # whole words: no padded copy
    labels = [0, 1, 0, 1]
    index = RecordIndex(Records(torch.as_tensor(X), labels))  # shares X's memory
    X_seen = X.copy()
    X[0] += 1  # the index copied the set: changing the caller's array changes nothing
    np.testing.assert_array_equal(index.find(Records(X_seen[[2, 0]], [0, 0])), [2, 0])
    fortran = Records(np.asfortranarray(X_seen), labels)
    np.testing.assert_array_equal(index.find(fortran), np.arange(4))
    assert len(index) == 4 and len(RecordIndex(Records(X[:0], []))) == 0
    assert np.all(RecordIndex(Records(X[:0], [])).find(Records(X, labels)) == -1)
    with pytest.raises(TypeError, match="Records"):
        RecordIndex(X)
    with pytest.raises(TypeError, match="Records"):
        index.find(X)
