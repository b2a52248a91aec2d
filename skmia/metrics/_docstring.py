"""Parameter descriptions shared by the metrics' docstrings, written once."""

from ..utils import fill_doc

_shared_docs = {
    "membership": """membership : array-like of shape (n_records,)
        Membership labels: ``1`` if the record was in the target's training
        set, ``0`` if not. Both classes must be present.""",
    "scores": """scores : array-like of shape (n_records,)
        Attack scores, e.g. an attack's ``decision_function``; higher means
        more likely a member. Must be finite.""",
    "confidence": """confidence : float, default=0.95
        Confidence level of the interval, in (0, 1).""",
    "n_bootstraps": """n_bootstraps : int, default=1000
        Number of bootstrap resamples.""",
    "random_state": (
        "random_state : int, RandomState instance or None, default=None\n"
        "        Controls the bootstrap resampling. Pass an int for reproducible\n"
        "        intervals across calls. See :term:`Glossary <random_state>`."
    ),
    "fpr": """fpr : float or array-like of float, default=0.001
        False positive rate(s) in [0, 1] at which to read the TPR.""",
    "bootstrap_notes": """The bootstrap is stratified: in every resample, members are
    drawn with replacement from the members and non-members from the
    non-members, so both classes are always present and keep their sizes.
    The interval is the percentile interval: the ``(1 - confidence) / 2``
    and ``(1 + confidence) / 2`` quantiles of the resampled statistic.""",
}
#: The resampling parameters of every bootstrap interval, in signature order.
_shared_docs["resampling"] = "\n\n    ".join(
    _shared_docs[key] for key in ("confidence", "n_bootstraps", "random_state"))

#: Decorator filling the texts above into a metric's docstring.
_fill_doc = fill_doc(_shared_docs)
