"""Build the configured attacks and score the audited records with each."""

import inspect
import time

import numpy as np

from ._config import attack_class

__all__ = ["build_attacks", "needs_shadows", "score_attacks"]


def _label(entry):
    extras = ", ".join(f"{k}={v}" for k, v in entry.items() if k != "name")
    return f"{entry['name']} ({extras})" if extras else entry["name"]


def build_attacks(entries, target, *, seed):
    """The ``attacks`` config section as attacks on ``target``, shadows not yet set.

    Returns
    -------
    attacks : list of dict
        One per entry: ``label`` (the entry as text), ``attack`` (unfitted)
        and ``n_shadow_models`` (how many of the shared shadows it uses:
        the first ones; ``None`` means all).
    """
    built = []
    for entry in entries:
        cls = attack_class(entry["name"])
        params = {k: v for k, v in entry.items() if k != "name"}
        # shared shadows serve every attack; n_shadow_models picks the first ones
        # (RMIA's n_reference_models is its own parameter: it picks per record)
        n_shadow = params.pop("n_shadow_models", None)
        if ("random_state" in inspect.signature(cls.__init__).parameters
                and "random_state" not in params):
            params["random_state"] = seed
        built.append({"label": _label(entry), "attack": cls(target, **params),
                      "n_shadow_models": n_shadow})
    return built


def _takes_shadows(attack):
    return "shadow_models" in attack.get_params(deep=False)


def needs_shadows(attack):
    """Whether ``attack`` learns from shadow models.

    It does if it takes ``shadow_models``, unless it was given a
    ``threshold`` of its own (a :class:`~skmia.attacks.ThresholdAttack` with
    a user threshold ignores shadows).
    """
    return _takes_shadows(attack) and getattr(attack, "threshold", None) is None


def _with_shadows(item, shadows):
    attack, n_models = item["attack"], item["n_shadow_models"]
    if not _takes_shadows(attack):
        return attack
    if n_models is not None and n_models > shadows.n_models:
        raise ValueError(
            f"attack {item['label']!r} asks for {n_models} shadow models but the "
            f"run trains shadows.n_models={shadows.n_models}; raise shadows.n_models."
        )
    used = shadows if n_models is None else shadows.head(n_models)
    return attack.set_params(shadow_models=used)


def score_attacks(attacks, shadows, records, membership, pool, *, seed):
    """Fit every attack the way its kind requires and score ``records``.

    Parameters
    ----------
    attacks : list of dict
        From :func:`build_attacks`.
    shadows : ShadowModels or None
        The shared shadows, given to every attack that takes them.
    records, membership : Records, ndarray
        The audited records and their membership.
    pool : Records
        The shadows' pool (attacks fitted on a pool are fitted on it). Its
        records that are not among ``records`` are the population of the
        attacks fitted on known non-members.
    seed : int
        Seeds the cross-fitting folds of attacks that learn from membership.

    Returns
    -------
    scores : dict
        Label -> float64 scores of ``records``.
    seconds : float
        Wall time.
    """
    from .. import RecordIndex
    from ..attacks import fit_and_score

    start = time.perf_counter()
    # the attacker's own records: the pool less the audited records, none of
    # them a member (attacks fitted on known non-members learn from these)
    population = pool[np.flatnonzero(RecordIndex(records).find(pool) < 0)]
    scores = {}
    for item in attacks:
        attack = item["attack"] if shadows is None else _with_shadows(item, shadows)
        values = fit_and_score(attack, records, membership, pool=pool,
                               population=population, random_state=seed)
        scores[item["label"]] = np.asarray(values, dtype=np.float64)
    return scores, time.perf_counter() - start
