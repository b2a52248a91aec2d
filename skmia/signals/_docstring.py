"""Descriptions shared by the signals' docstrings, written once."""

from ..utils import fill_doc

_shared_docs = {
    "outputs": """Parameters
    ----------
    y : array-like of shape (n,)
        True labels as column indices.
    proba : array-like of shape (n, n_classes) or (n, n_queries, n_classes)
        Predicted probabilities. Give either ``proba`` or ``logits``.
    logits : array-like of the same shapes, optional
        Unnormalised log-probabilities (more accurate than ``proba``).""",
    "signal_returns": """Returns
    -------
    ndarray of shape (n,) or (n, n_queries)""",
}

#: Decorator filling the texts above into the signals' docstrings.
_fill_doc = fill_doc(_shared_docs)
