import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmia.shadow import ShadowModels
from skmia.signals import AugmentationQueries


def flatten(X):
    return np.reshape(X, (len(X), -1))


def shift_by_loops(image, dy, dx):
    """Zero-padded translation of one (H, W) image, pixel by pixel."""
    height, width = image.shape
    out = np.zeros_like(image)
    for i in range(height):
        for j in range(width):
            if 0 <= i - dy < height and 0 <= j - dx < width:
                out[i, j] = image[i - dy, j - dx]
    return out


@pytest.fixture
def images():
    return np.random.RandomState(0).rand(5, 2, 6, 7).astype(np.float32)


def test_offsets_identity_first_and_counts():
    assert AugmentationQueries(shifts=0).offsets() == [(0, 0)]
    offsets = AugmentationQueries(shifts=1).offsets()
    assert offsets[0] == (0, 0) and len(offsets) == len(set(offsets)) == 9
    assert set(offsets) == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    # explicit offsets: identity added first, duplicates dropped
    queries = AugmentationQueries(flip=False, shifts=[(1, 0), (0, 0), (1, 0), (0, -2)])
    assert queries.offsets() == [(0, 0), (1, 0), (0, -2)]
    assert queries.n_queries == 3
    assert AugmentationQueries().n_queries == 18


def test_copies_match_a_pixel_by_pixel_computation(images):
    queries = AugmentationQueries(flip=True, shifts=2)
    copies = queries(images)
    offsets = queries.offsets()
    assert len(copies) == 2 * len(offsets) == queries.n_queries
    np.testing.assert_array_equal(copies[0], images)
    for f, base in enumerate([images, images[..., ::-1]]):
        for o, (dy, dx) in enumerate(offsets):
            copy = copies[f * len(offsets) + o]
            assert copy.shape == images.shape and copy.dtype == images.dtype
            for n in range(len(images)):
                for c in range(images.shape[1]):
                    np.testing.assert_array_equal(
                        copy[n, c], shift_by_loops(base[n, c], dy, dx))


def test_torch_tensors_give_the_same_copies(images):
    queries = AugmentationQueries(flip=True, shifts=1)
    tensor = torch.as_tensor(images)
    before = tensor.clone()
    from_numpy = queries(images)
    from_torch = queries(tensor)
    assert all(torch.is_tensor(t) and t.dtype == torch.float32 for t in from_torch)
    for a, t in zip(from_numpy, from_torch):
        np.testing.assert_array_equal(a, t.numpy())
    assert torch.equal(tensor, before)  # input untouched
    # writing into a copy does not write into the input
    from_torch[0][...] = -1
    assert torch.equal(tensor, before)


def test_numpy_input_is_not_modified_and_copies_are_independent(images):
    before = images.copy()
    copies = AugmentationQueries()(images)
    for copy in copies:
        copy[...] = -1
    np.testing.assert_array_equal(images, before)


def test_pickles_hashes_and_compares_by_parameters():
    queries = AugmentationQueries(flip=True, shifts=1)
    back = pickle.loads(pickle.dumps(queries))
    assert back == queries and hash(back) == hash(queries)
    assert joblib.hash(AugmentationQueries(shifts=1)) == joblib.hash(queries)
    assert joblib.hash(AugmentationQueries(shifts=2)) != joblib.hash(queries)
    assert queries != AugmentationQueries(flip=False)
    # same offsets written differently are the same queries
    assert AugmentationQueries(shifts=0) == AugmentationQueries(shifts=[(0, 0)])
    assert repr(queries) == "AugmentationQueries(flip=True, shifts=1)"
    cloned = clone(queries)
    assert cloned == queries and cloned is not queries


@pytest.mark.parametrize("shifts", [-1, 1.5, [(1,)], [(0.5, 1)], "a"])
def test_bad_shifts(shifts, images):
    with pytest.raises(ValueError, match="shifts"):
        AugmentationQueries(shifts=shifts)(images)


def test_bad_inputs(images):
    with pytest.raises(ValueError, match=r"\(n, C, H, W\)"):
        AugmentationQueries()(np.zeros((4, 64)))
    with pytest.raises(ValueError, match="out of the frame"):
        AugmentationQueries(shifts=7)(images)
    with pytest.raises(ValueError, match="flip"):
        AugmentationQueries(flip="yes")(images)


def test_usable_as_shadow_queries_with_caching(tmp_path, digits_split):
    pool = digits_split.pool[:120]
    estimator = make_pipeline(FunctionTransformer(flatten), LogisticRegression(max_iter=200))
    queries = AugmentationQueries(flip=True, shifts=[(0, 1)])
    shadows = ShadowModels(estimator, n_models=2, random_state=0, memory=tmp_path,
                           queries=queries).fit(pool)
    assert shadows.outputs_.shape == (2, 120, 4, 10)
    # query 0 is the identity: the same as shadows queried without augmentations
    plain = ShadowModels(estimator, n_models=2, random_state=0).fit(pool)
    np.testing.assert_allclose(shadows.outputs_[:, :, 0], plain.outputs_[:, :, 0])
    # query 2 (the mirror image) is what the same models say on flipped inputs
    kept = ShadowModels(estimator, n_models=2, random_state=0,
                        keep_models=True).fit(pool)
    np.testing.assert_array_equal(kept.keep_, shadows.keep_)
    flipped = pool.X[..., ::-1]
    on_flipped = np.stack([m.predict_proba(flipped) for m in kept.estimators_])
    np.testing.assert_allclose(shadows.outputs_[:, :, 2], on_flipped, rtol=1e-5)
    # an equal (not the same) queries object hits the cache
    again = ShadowModels(estimator, n_models=2, random_state=0, memory=tmp_path,
                         queries=AugmentationQueries(flip=True, shifts=[(0, 1)])).fit(pool)
    assert again.n_reused_ == 2
    np.testing.assert_array_equal(again.outputs_, shadows.outputs_)

