"""Sphinx configuration of the skmia documentation.

Build the HTML documentation, the example gallery included, with::

    pip install -e ".[docs]"
    python -m sphinx -b html -W --keep-going doc doc/_build/html

The build needs no network. Links to the documentation of Python, NumPy,
scikit-learn, PyTorch and skorch (intersphinx) are off by default, because
fetching their inventories needs the internet; set
``SKMIA_DOCS_INTERSPHINX=1`` to turn them on.
"""

import os
from datetime import date

import matplotlib

matplotlib.use("Agg")  # examples draw without a display

import skmia  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skmia"
author = "the skmia developers"
copyright = f"{date.today().year}, {author}"
release = skmia.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"

# -- autodoc / autosummary / numpydoc ------------------------------------------

# api.rst lists every public name in autosummary tables with
# ":toctree: generated/"; a page per name is written there on each build.
autosummary_generate = True

# Document methods and properties on each class page, including those
# inherited from skmia's own bases and from scikit-learn's ``BaseEstimator``
# (``set_params``). Members inherited from torch, torchvision and skorch are
# left to their own documentation (their docstrings are not numpydoc and
# there are dozens), and so is ``ClassifierMixin.score``, which every skmia
# estimator that has a ``score`` overrides or inherits from skorch.
autodoc_default_options = {
    "members": True,
    "inherited-members": "Module,ResNet,NeuralNetClassifier,NeuralNet,ClassifierMixin",
}
autodoc_typehints = "none"

# Autosummary and autodoc drive the class members, not numpydoc.
numpydoc_show_class_members = False


def _skip_sklearn_plumbing(app, what, name, obj, skip, options):
    """Leave out methods that scikit-learn's mixins add to every estimator.

    ``get_metadata_routing``, the generated ``set_*_request`` methods and
    ``set_output`` are documented by scikit-learn; their docstrings point
    into its glossary and user guide, which this build does not have.
    """
    if name in ("get_metadata_routing", "set_output") or (
        name.startswith("set_") and name.endswith("_request")
    ):
        return True
    return None

# -- intersphinx -------------------------------------------------------------

_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "torch": ("https://docs.pytorch.org/docs/stable/", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
}
if os.environ.get("SKMIA_DOCS_INTERSPHINX", "").lower() in ("1", "true", "yes"):
    intersphinx_mapping = _INTERSPHINX
else:
    intersphinx_mapping = {}

# -- sphinx-gallery ------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every plot_*.py example is executed on each build
    "filename_pattern": "/plot_",
    "image_scrapers": ("matplotlib",),
    # link names in the examples' code to the API reference
    "doc_module": ("skmia",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "remove_config_comments": True,
    "show_memory": False,
}

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skmia {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}


# -- Hooks -------------------------------------------------------------------


def _documented_names(api_rst):
    """Fully qualified names listed in the autosummary tables of api.rst."""
    names, module, in_table = set(), None, False
    with open(api_rst, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith(".. currentmodule::"):
                module = stripped.split("::", 1)[1].strip()
                in_table = False
            elif stripped.startswith(".. autosummary::"):
                in_table = True
            elif in_table and line.startswith("   ") and stripped:
                if not stripped.startswith(":"):
                    names.add(f"{module}.{stripped.lstrip('~')}")
            elif stripped:
                in_table = False
    return names


def _check_api_coverage(app):
    """Warn about public names that api.rst does not list.

    Public means listed in ``skmia.__all__`` or in the ``__all__`` of a
    subpackage that ``skmia.__all__`` names (subpackages not written yet,
    with no ``__all__``, are skipped). With ``-W`` a missing name fails the
    build, so the reference cannot fall behind the code.
    """
    import importlib
    import types

    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    api_rst = os.path.join(app.srcdir, "api.rst")
    documented = _documented_names(api_rst)
    public = set()
    for name in skmia.__all__:
        if name.startswith("__"):
            continue
        value = getattr(skmia, name, None)
        if isinstance(value, types.ModuleType):
            module = importlib.import_module(f"skmia.{name}")
            public.update(f"skmia.{name}.{item}" for item in getattr(module, "__all__", ()))
        else:
            public.add(f"skmia.{name}")
    for missing in sorted(public - documented):
        logger.warning(
            "%s is public (in an __all__) but not listed in doc/api.rst", missing,
            location="api",
        )


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_plumbing)
    app.connect("builder-inited", _check_api_coverage)
