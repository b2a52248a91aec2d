"""Tests for :class:`skmia.targets.RandomCropFlip`."""

import pickle

import pytest
import torch
import torch.nn.functional as F

from skmia.targets import RandomCropFlip


def _images(n=64, c=2, h=5, w=6):
    """``n`` copies of one asymmetric image (no two pixels equal)."""
    image = torch.arange(1, c * h * w + 1, dtype=torch.float32).reshape(c, h, w)
    return image.expand(n, c, h, w).clone()


def test_identity_without_padding_or_flip():
    X = torch.randn(10, 3, 8, 8)
    assert torch.equal(RandomCropFlip(padding=0, flip=False)(X), X)


def test_flip_only_mirrors_about_half_of_the_images():
    X = _images(n=200)
    torch.manual_seed(0)
    out = RandomCropFlip(padding=0, flip=True)(X)
    same = (out == X).flatten(1).all(1)
    mirrored = (out == X.flip(-1)).flatten(1).all(1)
    assert torch.all(same ^ mirrored)  # each image is one or the other
    assert 60 < int(mirrored.sum()) < 140


def test_flip_of_known_tensor():
    X = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]]).expand(50, 1, 2, 3)
    torch.manual_seed(0)
    out = RandomCropFlip(padding=0)(X)
    flipped = torch.tensor([[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]])
    is_flipped = (out[:, 0] == flipped).flatten(1).all(1)
    assert is_flipped.any() and not is_flipped.all()
    assert torch.equal(out[~is_flipped], X[~is_flipped])


@pytest.mark.parametrize("flip", [False, True])
def test_crop_is_a_window_of_the_zero_padded_image(flip):
    padding, n, c, h, w = 2, 300, 2, 5, 6
    X = _images(n, c, h, w)
    torch.manual_seed(0)
    out = RandomCropFlip(padding=padding, flip=flip)(X)
    assert out.shape == X.shape and out.dtype == X.dtype
    padded = F.pad(X[0], (padding,) * 4)
    windows = {}
    for dy in range(2 * padding + 1):
        for dx in range(2 * padding + 1):
            window = padded[:, dy : dy + h, dx : dx + w]
            windows[(dy, dx, False)] = window
            if flip:
                windows[(dy, dx, True)] = window.flip(-1)
    seen = set()
    for image in out:
        matches = [key for key, window in windows.items() if torch.equal(image, window)]
        assert matches, "output is not a (flipped) window of the padded image"
        seen.add(matches[0])
    # All shifts (and both orientations) occur over 300 draws.
    assert len(seen) == len(windows)


def test_does_not_modify_input_and_follows_global_rng():
    X = torch.randn(16, 3, 8, 8)
    before = X.clone()
    aug = RandomCropFlip()
    torch.manual_seed(3)
    a = aug(X)
    torch.manual_seed(3)
    b = aug(X)
    assert torch.equal(X, before)
    assert torch.equal(a, b)
    assert not torch.equal(a, aug(X))


@pytest.mark.parametrize("padding", [-1, 1.5, True])
def test_bad_padding(padding):
    with pytest.raises(ValueError, match="padding"):
        RandomCropFlip(padding=padding)(torch.zeros(1, 1, 4, 4))


def test_needs_4d_tensor():
    with pytest.raises(ValueError, match=r"\(n, C, H, W\)"):
        RandomCropFlip()(torch.zeros(4, 4))


def test_repr_equality_and_pickle():
    aug = RandomCropFlip(padding=3, flip=False)
    assert repr(aug) == "RandomCropFlip(padding=3, flip=False)"
    assert pickle.loads(pickle.dumps(aug)) == aug
    assert aug != RandomCropFlip(padding=3, flip=True)
