"""Filling texts written once (shared parameter descriptions) into docstrings."""

import inspect

__all__ = ["fill_doc"]


def _fill(doc, shared_docs):
    for key, text in shared_docs.items():
        doc = doc.replace("{" + key + "}", text)
    return doc


def _functions_of(cls):
    """The functions ``cls`` itself defines (methods, static and class methods)."""
    for member in vars(cls).values():
        member = getattr(member, "__func__", member)  # static and class methods
        if inspect.isfunction(member):
            yield member


def fill_doc(shared_docs):
    """Make a decorator that fills shared texts into docstrings.

    Each subpackage writes the descriptions that several of its docstrings
    share (a ``random_state`` parameter, a Notes paragraph) once, in a dict,
    and decorates the functions and classes that use them. A placeholder is
    a key between braces; the text replacing it indents its continuation
    lines as the docstring does at that place (8 spaces under a function's
    or class's Parameters, 12 under a method's). Braces around anything but
    a key are left as they are.

    Parameters
    ----------
    shared_docs : dict of str to str
        The texts, by key.

    Returns
    -------
    decorator : callable
        Takes a function or a class and returns it with placeholders filled:
        for a function, in its docstring; for a class, in its docstring and
        in those of the methods the class itself defines (inherited methods
        are filled where they are defined). Methods wrapped with
        :func:`functools.wraps` (e.g. by scikit-learn's ``_fit_context``)
        are filled through their wrapper.

    Examples
    --------
    >>> from skmia.utils import fill_doc
    >>> shared = {"seed": "seed : int\\n        Seeds everything."}
    >>> @fill_doc(shared)
    ... def draw(seed):
    ...     '''Draw a number.
    ...
    ...     Parameters
    ...     ----------
    ...     {seed}
    ...     '''
    >>> print(draw.__doc__.strip())
    Draw a number.
    <BLANKLINE>
        Parameters
        ----------
        seed : int
            Seeds everything.
    """

    def decorate(obj):
        if obj.__doc__:
            obj.__doc__ = _fill(obj.__doc__, shared_docs)
        if inspect.isclass(obj):
            for function in _functions_of(obj):
                if function.__doc__:
                    function.__doc__ = _fill(function.__doc__, shared_docs)
        return obj

    return decorate
