"""Privacy audits of training algorithms: an epsilon lower bound from one run.

:class:`OneRunAudit` inserts canaries into a training set, each with
probability 1/2, trains the estimator once and turns membership guesses on
the canaries into a lower bound on the differential-privacy epsilon of the
training algorithm (Steinke, Nasr and Jagielski, 2023), to set beside the
epsilon that its privacy accountant claims. It sits above
:mod:`skmia.attacks` and :mod:`skmia.metrics`, beside
:mod:`skmia.model_selection`.
"""

from ._bound import one_run_bound
from ._one_run import OneRunAudit

__all__ = ["OneRunAudit", "one_run_bound"]
