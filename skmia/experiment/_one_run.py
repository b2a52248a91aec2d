"""The one-run privacy audit stage: canaries, one more training run, ε shown.

With ``audit: {kind: one_run, ...}`` a run trains the target's recipe once
more, on its members with canaries inserted
(:class:`~skmia.auditing.OneRunAudit`), and reports the ε that run shows
beside the ε the training claims (its accountant's, for DP-SGD).
"""

import time

__all__ = ["AUDIT_KINDS", "CANARY_KINDS", "check_audit", "run_one_run_audit"]

#: Values of ``audit.kind``.
AUDIT_KINDS = ("none", "one_run")
#: Values of ``audit.canaries``.
CANARY_KINDS = ("mislabeled", "records")


def check_audit(audit, target, fail):
    """Check the ``audit`` config section (``fail(path, message)`` raises)."""
    if audit["kind"] not in AUDIT_KINDS:
        fail("audit.kind", f"unknown value {audit['kind']!r} (choose one of "
                           f"{list(AUDIT_KINDS)})")
    if audit["canaries"] not in CANARY_KINDS:
        fail("audit.canaries", f"unknown value {audit['canaries']!r} (choose one of "
                               f"{list(CANARY_KINDS)})")
    n = audit["n_canaries"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        fail("audit.n_canaries", f"must be an integer of at least 2, got {n!r}")
    confidence = audit["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) \
            or not 0 < confidence < 1:
        fail("audit.confidence", f"must be a number in (0, 1), got {confidence!r}")
    delta = audit["delta"]
    if delta is not None and (isinstance(delta, bool)
                              or not isinstance(delta, (int, float))
                              or not 0 <= delta < 1):
        fail("audit.delta", f"must be null or a number in [0, 1), got {delta!r}")
    if audit["kind"] == "one_run" and target["from_file"] is not None:
        fail("audit.kind", "a one-run audit trains the target's recipe again, but "
                           "target.from_file gives a trained model without one; "
                           "set audit.kind to none")


def _fit_one_run(estimator, X, y, params, seed):
    """Train once with canaries; the figures of the audit (cached by joblib)."""
    from ..auditing import OneRunAudit

    start = time.perf_counter()
    audit = OneRunAudit(estimator, random_state=seed, **params).fit(X, y)
    claimed = audit.epsilon_claimed_
    return {
        "n_canaries": int(len(audit.included_)),
        "canaries": params["canaries"],
        "n_included": int(audit.included_.sum()),
        "n_guesses": int(audit.n_guesses_),
        "n_correct": int(audit.n_correct_),
        "epsilon_lower_bound": float(audit.epsilon_lower_),
        "epsilon_claimed": None if claimed is None else float(claimed),
        "delta": float(audit.delta_),
        "confidence": float(params["confidence"]),
        "train_seconds": time.perf_counter() - start,
    }


def run_one_run_audit(audit_config, members, estimator, *, seed, memory):
    """The one-run audit of the target's recipe, trained on ``members``.

    Parameters
    ----------
    audit_config : dict
        The ``audit`` config section.
    members : Records
        The target's training records; the canaries are drawn from them.
    estimator : estimator
        The target's recipe, unfitted.
    seed : int
        Seeds the canaries, their inclusion and the training run.
    memory : joblib.Memory
        Caches the result, so a rerun trains nothing.

    Returns
    -------
    result : dict or None
        ``None`` for ``kind: none``; else the canaries, guesses, the ε
        lower bound, the claimed ε (``None`` without an accountant; JSON
        has no infinity, so an infinite claim is the string ``"inf"``),
        delta and confidence, whether it came from the cache.
    """
    if audit_config["kind"] == "none":
        return None
    params = {"n_canaries": audit_config["n_canaries"],
              "canaries": audit_config["canaries"],
              "confidence": audit_config["confidence"],
              "delta": audit_config["delta"]}
    from sklearn.base import clone

    estimator = clone(estimator)  # the recipe, even if the target was fitted in place
    fit = memory.cache(_fit_one_run)
    cached = fit.check_call_in_cache(estimator, members.X, members.y, params, seed)
    result = dict(fit(estimator, members.X, members.y, params, seed))
    if result["epsilon_claimed"] == float("inf"):
        result["epsilon_claimed"] = "inf"
    result["cached"] = bool(cached)
    return result
