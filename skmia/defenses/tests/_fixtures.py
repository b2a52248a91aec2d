"""Helpers shared by the tests of :class:`skmia.defenses.DPNeuralNetClassifier`."""

import pytest
import torch
from skorch.callbacks import Callback

from skmia.defenses import DPNeuralNetClassifier
from skmia.targets import MLP


def dp_mlp(**params):
    """A tiny DP MLP on 8x8 digits; ``batch_size=20`` on 200 records is q = 0.1."""
    params = {
        "module__n_classes": 10,
        "module__in_features": 64,
        "module__hidden_sizes": (16,),
        "optimizer": torch.optim.SGD,
        "lr": 0.5,
        "batch_size": 20,
        "max_epochs": 3,
        "target_delta": 1e-5,
        "verbose": 0,
        "random_state": 0,
        **params,
    }
    return DPNeuralNetClassifier(MLP, **params)


def flat_params(module):
    """All parameters of ``module`` as one detached vector."""
    return torch.cat([p.detach().flatten().clone() for p in module.parameters()])


class StepRecorder(Callback):
    """Records, for every training step, the batch and the parameter change."""

    def on_train_begin(self, net, **kwargs):
        self.batches, self.sizes, self.updates = [], [], []

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self._before = flat_params(net.module_)
            self.batches.append(batch[0].clone())
            self.sizes.append(len(batch[0]))

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.updates.append(flat_params(net.module_) - self._before)


def dp_accounting_epsilon(kind, noise, sample_rate, steps, delta):
    """Epsilon from Google's dp_accounting, independent of Opacus.

    ``kind`` is ``"rdp"`` (at Opacus's RDP orders) or ``"pld"``; the test
    is skipped without the ``dp_accounting`` package.
    """
    from opacus.accountants import RDPAccountant

    dp_accounting = pytest.importorskip("dp_accounting")
    from absl import logging

    # Its RDP code logs a warning for each order it cannot compute.
    logging.set_verbosity(logging.ERROR)
    event = dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(
            sample_rate, dp_accounting.GaussianDpEvent(noise)
        ),
        steps,
    )
    if kind == "rdp":
        accountant = dp_accounting.rdp.RdpAccountant(
            orders=RDPAccountant.DEFAULT_ALPHAS
        )
    else:
        accountant = dp_accounting.pld.PLDAccountant()
    return float(accountant.compose(event).get_epsilon(delta))
