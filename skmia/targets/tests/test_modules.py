"""Tests for the torch modules of :mod:`skmia.targets`."""

import pickle
import warnings

import pytest
import torch
from torch import nn

from skmia.targets import MLP, ResNet18, SmallCNN


@pytest.mark.parametrize("size", [8, 28, 32])
@pytest.mark.parametrize("in_channels", [1, 3])
def test_small_cnn_output_shape(size, in_channels):
    model = SmallCNN(n_classes=7, in_channels=in_channels)
    out = model(torch.randn(3, in_channels, size, size))
    assert out.shape == (3, 7)


@pytest.mark.parametrize("size", [8, 28, 32])
def test_resnet18_output_shape(size):
    model = ResNet18(n_classes=5, in_channels=1).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, size, size))
    assert out.shape == (2, 5)


@pytest.mark.parametrize("size", [8, 28, 32])
def test_mlp_flattens_images(size):
    model = MLP(n_classes=4, in_features=3 * size * size, hidden_sizes=(16, 8))
    assert model(torch.randn(6, 3, size, size)).shape == (6, 4)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [16, 8, 4]


def test_mlp_without_hidden_layers_is_linear():
    model = MLP(n_classes=3, in_features=10, hidden_sizes=())
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1 and linears[0].in_features == 10


def test_resnet18_cifar_stem():
    model = ResNet18(n_classes=10, in_channels=3)
    assert model.conv1.kernel_size == (3, 3)
    assert model.conv1.stride == (1, 1)
    assert model.conv1.padding == (1, 1)
    assert model.conv1.in_channels == 3
    assert isinstance(model.maxpool, nn.Identity)
    assert model.fc.out_features == 10
    # A 32x32 input keeps 32x32 resolution through the stem.
    with torch.no_grad():
        stem = model.relu(model.bn1(model.conv1(torch.zeros(1, 3, 32, 32))))
    assert stem.shape == (1, 64, 32, 32)


def test_resnet18_matches_torchvision_parameters():
    from torchvision.models import resnet18

    ours = ResNet18(n_classes=10, in_channels=3).state_dict()
    theirs = resnet18(num_classes=10).state_dict()
    assert ours.keys() == theirs.keys()
    changed = {k for k in ours if ours[k].shape != theirs[k].shape}
    assert changed == {"conv1.weight"}  # only the stem differs


def test_resnet18_group_norm_has_no_batch_norm():
    model = ResNet18(norm="group")
    batch_norm = nn.modules.batchnorm._BatchNorm
    assert not any(isinstance(m, batch_norm) for m in model.modules())
    groups = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
    assert groups and all(m.num_groups == min(32, m.num_channels) for m in groups)
    batch = ResNet18(norm="batch")
    assert any(isinstance(m, nn.BatchNorm2d) for m in batch.modules())


def test_resnet18_bad_norm():
    with pytest.raises(ValueError, match="norm.*'layer'"):
        ResNet18(norm="layer")


@pytest.mark.parametrize(
    "make_model, shape",
    [
        (lambda: ResNet18(n_classes=3, in_channels=1, norm="group"), (2, 1, 8, 8)),
        (lambda: SmallCNN(n_classes=3, in_channels=1), (2, 1, 8, 8)),
        (lambda: MLP(n_classes=3, in_features=64), (2, 1, 8, 8)),
    ],
    ids=["resnet18-group", "small_cnn", "mlp"],
)
def test_per_sample_gradients_with_opacus(make_model, shape):
    # DP-SGD hooks every layer; in-place ops on hooked outputs would raise.
    opacus = pytest.importorskip("opacus")
    model = opacus.GradSampleModule(make_model())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model(torch.randn(*shape)).sum().backward()
    for param in model.parameters():
        assert param.grad_sample.shape == (shape[0], *param.shape)


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    model = SmallCNN(n_classes=3, dropout=0.5)
    X = torch.randn(4, 1, 8, 8)
    assert not torch.equal(model.train()(X), model(X))
    model.eval()
    assert torch.equal(model(X), model(X))


@pytest.mark.parametrize(
    "model",
    [ResNet18(norm="group"), SmallCNN(dropout=0.1), MLP(3, 64)],
    ids=["resnet18", "small_cnn", "mlp"],
)
def test_modules_pickle(model):
    copy = pickle.loads(pickle.dumps(model))
    X = torch.randn(2, *((3, 8, 8) if isinstance(model, ResNet18) else (1, 8, 8)))
    model.eval(), copy.eval()
    with torch.no_grad():
        assert torch.equal(model(X), copy(X))
