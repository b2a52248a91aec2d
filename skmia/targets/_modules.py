"""Torch modules for target and shadow models.

Every module returns logits (no softmax), so it pairs with
:class:`torch.nn.CrossEntropyLoss`, and takes its sizes as keyword
arguments, so that skorch can build it from ``module__*`` parameters::

    NeuralNetClassifier(SmallCNN, module__n_classes=10, module__in_channels=1)
"""

import functools

from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

__all__ = ["MLP", "ResNet18", "SmallCNN"]


def _group_norm(num_channels, max_groups=32):
    """GroupNorm with ``min(max_groups, num_channels)`` groups.

    A module-level function (not a lambda) so that networks holding it as
    their ``norm_layer`` pickle.
    """
    return nn.GroupNorm(min(max_groups, num_channels), num_channels)


class _BasicBlock(BasicBlock):
    """torchvision's residual block without in-place operations.

    Opacus computes per-sample gradients with backward hooks on every layer,
    and autograd rejects in-place changes (``ReLU(inplace=True)``,
    ``out += identity``) to a hooked layer's output. Same parameters and
    state-dict keys as :class:`~torchvision.models.resnet.BasicBlock`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(ResNet):
    """ResNet-18 with the CIFAR stem, for small images.

    torchvision's :func:`~torchvision.models.resnet18` with the first
    convolution replaced by a 3x3, stride-1 convolution and without the
    initial max-pool, as is usual for 32x32 inputs (He et al., 2016, Sec.
    4.2). The state-dict keys are those of torchvision's model. No layer
    works in place, so Opacus can hook every layer for per-sample gradients.

    Parameters
    ----------
    n_classes : int, default=10
        Number of classes (outputs).
    in_channels : int, default=3
        Number of input channels.
    norm : {"batch", "group"}, default="batch"
        Normalisation layers. ``"group"`` uses
        :class:`~torch.nn.GroupNorm` with ``min(32, channels)`` groups
        everywhere, so the network has no BatchNorm and per-sample gradients
        are well defined, as differentially private training (Opacus)
        requires.

    See Also
    --------
    SmallCNN : A much smaller convolutional network, fast on a CPU.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep Residual Learning for
       Image Recognition", CVPR 2016.

    Examples
    --------
    >>> import torch
    >>> from skmia.targets import ResNet18
    >>> model = ResNet18(n_classes=10, in_channels=3, norm="group")
    >>> model(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, n_classes=10, in_channels=3, norm="batch"):
        if norm == "batch":
            norm_layer = nn.BatchNorm2d
        elif norm == "group":
            norm_layer = functools.partial(_group_norm, max_groups=32)
        else:
            raise ValueError(f"norm must be 'batch' or 'group', got norm={norm!r}.")
        super().__init__(
            _BasicBlock, [2, 2, 2, 2], num_classes=n_classes, norm_layer=norm_layer
        )
        self.n_classes = n_classes
        self.in_channels = in_channels
        self.norm = norm
        self.conv1 = nn.Conv2d(
            in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False
        )
        # Same initialisation as torchvision gives its other convolutions.
        nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")
        self.maxpool = nn.Identity()
        self.relu = nn.ReLU()


class SmallCNN(nn.Module):
    """A small convolutional network, fast on a CPU.

    Two 3x3 convolutions (16 and 32 channels, ReLU, 2x2 max-pool after the
    first) followed by adaptive max-pooling to 4x4 and a two-layer
    classifier (128 hidden units). The adaptive pooling makes the same
    network work on 8x8 (scikit-learn's digits), 28x28 (MNIST,
    Fashion-MNIST) and 32x32 (CIFAR) inputs; about 1.1 million
    multiply-adds per 28x28 image. There is no BatchNorm and nothing works
    in place, so it can be trained with DP-SGD (Opacus) as is.

    Parameters
    ----------
    n_classes : int, default=10
        Number of classes (outputs).
    in_channels : int, default=1
        Number of input channels.
    dropout : float, default=0.0
        Dropout probability before each of the two fully connected layers; a
        regularising defense against membership inference.

    See Also
    --------
    ResNet18 : A standard, larger convolutional network.
    MLP : A fully connected network.

    Examples
    --------
    >>> import torch
    >>> from skmia.targets import SmallCNN
    >>> model = SmallCNN(n_classes=10, in_channels=1)
    >>> model(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, n_classes=10, in_channels=1, dropout=0.0):
        super().__init__()
        self.n_classes = n_classes
        self.in_channels = in_channels
        self.dropout = dropout
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d(4),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(32 * 4 * 4, 128),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(128, n_classes),
        )

    def forward(self, X):
        """Logits of shape ``(n, n_classes)`` for images ``(n, C, H, W)``."""
        return self.classifier(self.features(X))


class MLP(nn.Module):
    """A fully connected network that flattens its input.

    Parameters
    ----------
    n_classes : int
        Number of classes (outputs).
    in_features : int
        Number of input features once each input is flattened (``C * H * W``
        for images).
    hidden_sizes : sequence of int, default=(256,)
        Width of each hidden layer (ReLU); empty gives multinomial logistic
        regression.
    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    See Also
    --------
    SmallCNN : A small convolutional network for images.

    Examples
    --------
    >>> import torch
    >>> from skmia.targets import MLP
    >>> model = MLP(n_classes=10, in_features=64, hidden_sizes=(32, 32))
    >>> model(torch.zeros(5, 1, 8, 8)).shape
    torch.Size([5, 10])
    """

    def __init__(self, n_classes, in_features, hidden_sizes=(256,), dropout=0.0):
        super().__init__()
        self.n_classes = n_classes
        self.in_features = in_features
        self.hidden_sizes = hidden_sizes
        self.dropout = dropout
        layers = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Logits of shape ``(n, n_classes)``."""
        return self.layers(X)
