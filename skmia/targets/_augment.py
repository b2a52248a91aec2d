"""Batched data augmentation on image tensors."""

import numbers

import torch
import torch.nn.functional as F

__all__ = ["RandomCropFlip"]


class RandomCropFlip:
    """Random shifted crop and horizontal flip of a batch of images.

    Each image is zero-padded by ``padding`` pixels on every side, cropped
    back to its size at a random offset and, if ``flip``, mirrored
    left-right with probability 1/2: the standard CIFAR-10 augmentation
    (``RandomCrop(32, padding=4)`` + ``RandomHorizontalFlip()``), applied to
    a whole ``(n, C, H, W)`` batch at once with two gathers, on the batch's
    device. Offsets and flips are drawn from torch's global random number
    generator, so :class:`TensorNeuralNetClassifier`'s ``random_state``
    makes them reproducible.

    Pass an instance as ``augmentation=`` to
    :class:`TensorNeuralNetClassifier` (or :func:`make_target`): it is
    applied to every training batch and never at evaluation.

    Parameters
    ----------
    padding : int, default=4
        Maximal shift in pixels, in each direction.
    flip : bool, default=True
        Whether to mirror half of the images left-right.

    See Also
    --------
    TensorNeuralNetClassifier : The network that applies it to training batches.

    Examples
    --------
    >>> import torch
    >>> from skmia.targets import RandomCropFlip
    >>> X = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4)
    >>> RandomCropFlip(padding=2)(X).shape
    torch.Size([2, 1, 4, 4])
    >>> torch.equal(RandomCropFlip(padding=0, flip=False)(X), X)
    True
    """

    def __init__(self, padding=4, flip=True):
        self.padding = padding
        self.flip = flip

    def __call__(self, X):
        """Augment a batch.

        Parameters
        ----------
        X : Tensor of shape (n, C, H, W)
            Images.

        Returns
        -------
        Tensor of shape (n, C, H, W)
            Augmented images, on the device of ``X``. ``X`` is not modified.
        """
        padding = self.padding
        if (
            not isinstance(padding, numbers.Integral)
            or isinstance(padding, bool)
            or padding < 0
        ):
            raise ValueError(
                f"RandomCropFlip: padding must be a non-negative int, got {padding!r}."
            )
        if not torch.is_tensor(X) or X.dim() != 4:
            shape = tuple(X.shape) if hasattr(X, "shape") else type(X).__name__
            raise ValueError(
                f"RandomCropFlip expects a tensor of images (n, C, H, W), got {shape}."
            )
        if padding == 0 and not self.flip:
            return X
        n, c, h, w = X.shape
        device = X.device
        # Column j of the output reads padded column shift_x + j, or
        # shift_x + (w - 1 - j) when the image is flipped; rows likewise
        # without the flip. So cropping and flipping are two gathers.
        rows = torch.arange(h, device=device)
        cols = torch.arange(w, device=device)
        shift_y = torch.randint(0, 2 * padding + 1, (n, 1), device=device)
        shift_x = torch.randint(0, 2 * padding + 1, (n, 1), device=device)
        col_index = cols.expand(n, w)
        if self.flip:
            flipped = torch.rand(n, 1, device=device) < 0.5
            col_index = torch.where(flipped, (w - 1) - cols, cols)
        row_index = shift_y + rows  # (n, h)
        col_index = shift_x + col_index  # (n, w)
        if padding:
            X = F.pad(X, (padding, padding, padding, padding))
        out = X.gather(2, row_index[:, None, :, None].expand(n, c, h, X.shape[3]))
        return out.gather(3, col_index[:, None, None, :].expand(n, c, h, w))

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding!r}, flip={self.flip!r})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self.padding, self.flip) == (other.padding, other.flip)

    def __hash__(self):
        return hash((type(self), self.padding, self.flip))
