import pickle

import numpy as np
import pytest
import torch
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from skmia import Records


def make_records(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return Records(X, np.arange(n) % 3)


def test_len_shape_and_integer_indexing():
    records = make_records()
    assert len(records) == 10 and records.shape == (10,)
    sub = records[np.array([3, 1])]
    assert isinstance(sub, Records)
    np.testing.assert_array_equal(sub.X, records.X[[3, 1]])
    np.testing.assert_array_equal(sub.y, [0, 1])
    x, y = records[4]
    np.testing.assert_array_equal(x, [12, 13, 14])
    assert y == 1


def test_slice_and_boolean_mask():
    records = make_records()
    assert len(records[2:5]) == 3
    mask = records.y == 0
    np.testing.assert_array_equal(records[mask].y, np.zeros(4))
    with pytest.raises(IndexError, match="mask"):
        records[np.array([True, False])]
    with pytest.raises(IndexError, match="float"):
        records[np.array([0.5])]


def test_sklearn_splitters_slice_records():
    records = make_records(12)
    membership = np.arange(12) % 2
    train, test, m_train, m_test = train_test_split(
        records, membership, test_size=0.25, random_state=0
    )
    assert isinstance(train, Records) and len(train) == 9 and len(test) == 3
    # rows stay aligned with their labels and membership
    np.testing.assert_array_equal(train.X[:, 0] / 3 % 3, train.y)
    for cv in (KFold(3), StratifiedKFold(3)):
        for tr, te in cv.split(records, membership):
            assert len(records[tr]) + len(records[te]) == 12


def test_torch_tensor_inputs_are_kept():
    X = torch.arange(12.0).reshape(6, 2)
    records = Records(X, [0, 1, 0, 1, 0, 1])
    sub = records[np.array([5, 0])]
    assert isinstance(sub.X, torch.Tensor)
    assert sub.X.tolist() == [[10.0, 11.0], [0.0, 1.0]]


def test_labels_are_int64_and_integral_floats_accepted():
    assert Records(np.zeros((3, 1)), np.array([0.0, 1.0, 2.0])).y.dtype == np.int64
    assert Records(np.zeros((2, 1)), torch.tensor([1, 0])).y.tolist() == [1, 0]


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([0.5, 1.0, 2.0]), "integer"),
        (np.array(["a", "b", "c"]), "LabelEncoder"),
        (np.array([[0], [1], [2]]), "one-dimensional"),
        (np.array([0, 1]), "different lengths"),
        (np.array([0.0, np.nan, 1.0]), "integer"),
    ],
)
def test_bad_labels_are_clear_errors(y, match):
    with pytest.raises(ValueError, match=match):
        Records(np.zeros((3, 2)), y)


def test_pickle_round_trip():
    records = make_records()
    back = pickle.loads(pickle.dumps(records))
    np.testing.assert_array_equal(back.X, records.X)
    np.testing.assert_array_equal(back.y, records.y)
    assert "n_records=10" in repr(records)
