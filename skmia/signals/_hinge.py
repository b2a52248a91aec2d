"""The hinge score: the true class's logit margin over the best other class."""

import numpy as np

from ._docstring import _fill_doc
from ._signals import _check_outputs, _label_mask, _log_proba, _take_label

__all__ = ["hinge"]


@_fill_doc
def hinge(y, proba=None, *, logits=None):
    """Hinge score ``z_y - max_{y' != y} z_{y'}`` of each record (Bertran et al. 2023).

    The margin of the true class's logit over the largest other logit: the
    score whose non-member distribution
    :class:`~skmia.attacks.QuantileRegressionAttack` learns to predict.
    Logits and log-probabilities differ by a per-record constant, so from
    probabilities it is ``log p_y - max_{y' != y} log p_{y'}`` (both floored
    at the smallest positive float64, so a probability of 0 gives a finite
    score).

    {outputs}

    {signal_returns}
        Higher means more likely a member; positive where the true class is
        predicted.

    References
    ----------
    .. [1] M. Bertran et al., "Scalable Membership Inference Attacks via
       Quantile Regression", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skmia.signals import hinge
    >>> hinge(np.array([0, 2]), logits=np.array([[3.0, 1.0, 0.5], [3.0, 1.0, 0.5]]))
    array([ 2. , -2.5])
    """
    y, out, from_logits = _check_outputs(y, proba, logits)
    if out.shape[-1] < 2:
        raise ValueError("The hinge score needs outputs with at least 2 classes.")
    log_p = out if from_logits else np.maximum(
        _log_proba(out, False), np.log(np.finfo(np.float64).tiny))
    others = np.where(_label_mask(y, out), -np.inf, log_p)
    return _take_label(log_p, y) - np.max(others, axis=-1)
