"""Tests of fill_doc, the one engine filling shared texts into docstrings."""

from sklearn.base import BaseEstimator, _fit_context

from skmia.utils import fill_doc

SHARED = {
    "seed": "seed : int\n        Seeds everything.",
    "records": "records : Records\n            The records to score.",
}


def test_fills_a_function_and_leaves_other_braces():
    @fill_doc(SHARED)
    def draw(seed):
        """Draw from {0, 1} or {"a", "b"}.

        Parameters
        ----------
        {seed}
        """

    assert draw.__doc__ == (
        'Draw from {0, 1} or {"a", "b"}.\n\n        Parameters\n'
        "        ----------\n        seed : int\n        Seeds everything.\n        ")


def test_one_call_fills_a_class_and_the_methods_it_defines():
    @fill_doc(SHARED)
    class Attack(BaseEstimator):
        """An attack.

        Parameters
        ----------
        {seed}
        """

        def __init__(self, seed=0):
            self.seed = seed

        @_fit_context(prefer_skip_nested_validation=True)
        def fit(self, records):
            """Fit.

            Parameters
            ----------
            {records}
            """
            return self

        @staticmethod
        def check(records):
            """Check: {records}"""

        def undocumented(self):
            pass

    assert "seed : int\n        Seeds everything." in Attack.__doc__
    assert "records : Records\n            The records to score." in Attack.fit.__doc__
    assert Attack.check.__doc__ == (
        "Check: records : Records\n            The records to score.")
    assert Attack.undocumented.__doc__ is None
    for doc in (Attack.__doc__, Attack.fit.__doc__):
        assert "{" not in doc


def test_inherited_methods_keep_their_own_filling():
    base_fill = fill_doc({"what": "the base's text"})
    sub_fill = fill_doc({"what": "the subclass's text"})

    @base_fill
    class Base:
        def score(self):
            """Score {what}."""

    @sub_fill
    class Sub(Base):
        """A {what}."""

    assert Sub.score.__doc__ == "Score the base's text."
    assert Sub.__doc__ == "A the subclass's text."
