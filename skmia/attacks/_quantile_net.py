"""The default regressor of QuantileRegressionAttack for torch targets.

A skorch :class:`~skorch.NeuralNetRegressor` built from the target's own
module class, with ``n_outputs`` outputs per class of the target (the
Gaussian head's mean and log-scale, or one quantile); the record's label
selects its class's outputs, as in Bertran et al.'s label-conditioned
("target-dependent") scoring. The label travels in the regression target
``y = [label, score]``, so the inputs stay one array and training slices
batches from in-memory tensors (:class:`skmia.targets.TensorBatchIterator`),
the fast path skmia's targets train on.
"""

import inspect

import numpy as np
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit
from torch.utils.data import Subset, TensorDataset

from ..targets import TensorBatchIterator
from ..utils import to_numpy

__all__ = ["build_label_head_net", "fit_label_head_net", "label_head_outputs"]

#: Share of the non-member records held out to stop training early.
VALID_FRACTION = 0.1
#: Epochs without a better held-out loss before training stops.
PATIENCE = 5


def _select(outputs, labels, n_outputs):
    """``(n, n_outputs)``: the outputs of each record's class.

    ``outputs`` is ``(n, n_outputs * n_classes)`` laid out ``[k, class]``.
    """
    per_class = outputs.reshape(len(outputs), n_outputs, -1)
    index = labels.reshape(-1, 1, 1).expand(-1, n_outputs, 1)
    return per_class.gather(2, index)[..., 0]


class GaussianNLL(torch.nn.Module):
    """Gaussian negative log-likelihood of the score under its class's head.

    ``log sigma + (score - mu)**2 / (2 sigma**2)`` (the constant dropped),
    with ``(mu, log sigma)`` the outputs of the record's class.
    """

    def forward(self, y_pred, y_true):
        labels, score = y_true[:, 0].long(), y_true[:, 1]
        mean, log_scale = _select(y_pred, labels, 2).unbind(1)
        return (log_scale + 0.5 * torch.exp(-2 * log_scale) * (score - mean) ** 2).mean()


class PinballLoss(torch.nn.Module):
    """Pinball (quantile) loss of the record's class's output at ``quantile``."""

    def __init__(self, quantile):
        super().__init__()
        self.quantile = quantile

    def forward(self, y_pred, y_true):
        labels, score = y_true[:, 0].long(), y_true[:, 1]
        gap = score - _select(y_pred, labels, 1)[:, 0]
        return (torch.relu(gap) * self.quantile
                + torch.relu(-gap) * (1 - self.quantile)).mean()


class LabelHeadNet(NeuralNetRegressor):
    """A skorch regressor trained from in-memory tensors.

    ``fit(X, y)`` takes ``y = [label, score]`` rows (float32). Batches are
    sliced by :class:`~skmia.targets.TensorBatchIterator` (a random order
    each epoch in training, in order otherwise); ``train_split`` may be a
    :class:`~skorch.dataset.ValidSplit`.
    """

    def get_dataset(self, X, y=None):
        X = torch.as_tensor(np.asarray(to_numpy(X), dtype=np.float32))
        if y is None:
            return TensorDataset(X)
        return TensorDataset(X, torch.as_tensor(np.asarray(y, dtype=np.float32)))

    def get_iterator(self, dataset, training=False):
        indices = None
        if isinstance(dataset, Subset):
            indices = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.long)
            dataset = dataset.dataset
        X, y = (dataset.tensors + (None,))[:2]
        prefix = "iterator_train" if training else "iterator_valid"
        batch_size = self.get_params_for(prefix).get("batch_size", self.batch_size)
        return TensorBatchIterator(X, y, indices, batch_size=batch_size,
                                   shuffle=training)


def _module_class_and_params(target):
    module = target.module
    module_class = module if inspect.isclass(module) else type(module)
    params = target.get_params_for("module")
    if "n_classes" not in inspect.signature(module_class).parameters:
        raise TypeError(
            f"QuantileRegressionAttack builds its default regressor from the "
            f"target's module class, but {module_class.__name__} takes no "
            "n_classes parameter to size its outputs; pass a regressor as "
            "estimator=."
        )
    return module_class, params


def build_label_head_net(target, *, n_classes, loss, quantile, seed):
    """An unfitted :class:`LabelHeadNet` with the target's module and recipe.

    The module is the target's class with ``n_classes`` set to
    ``n_outputs * n_classes`` (2 for ``loss="gaussian"``, 1 for
    ``"pinball"``), trained with the target's optimizer, learning rate,
    batch size and device for at most its ``max_epochs``, stopping early
    when the loss on a seeded 10% of the records stops improving (the best
    epoch's weights are kept).
    """
    module_class, module_params = _module_class_and_params(target)
    n_outputs = 2 if loss == "gaussian" else 1
    module_params["n_classes"] = n_outputs * n_classes
    criterion = GaussianNLL if loss == "gaussian" else PinballLoss
    criterion_params = {} if loss == "gaussian" else {"criterion__quantile": quantile}
    optimizer_params = {f"optimizer__{k}": v
                        for k, v in target.get_params_for("optimizer").items()}
    return LabelHeadNet(
        module_class, criterion=criterion, optimizer=target.optimizer, lr=target.lr,
        batch_size=target.batch_size, max_epochs=target.max_epochs,
        device=target.device, verbose=0,
        iterator_valid__batch_size=target.get_params_for("iterator_valid").get(
            "batch_size", target.batch_size),
        train_split=ValidSplit(VALID_FRACTION, stratified=False, random_state=seed),
        callbacks=[("early_stopping", EarlyStopping(patience=PATIENCE, load_best=True))],
        **{f"module__{k}": v for k, v in module_params.items()},
        **criterion_params, **optimizer_params,
    )


def fit_label_head_net(net, X, labels, scores, *, seed):
    """Fit ``net`` on ``y = [label, score]`` under ``torch.manual_seed(seed)``.

    Torch's global random state is the same afterwards as before.
    """
    y = np.column_stack([labels, scores]).astype(np.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net.fit(X, y)
    return net


def label_head_outputs(net, X, labels, n_outputs):
    """``(n, n_outputs)`` float64: the fitted net's outputs of each record's class."""
    outputs = net.forward(X, training=False)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    return _select(outputs.cpu(), labels, n_outputs).double().numpy()
