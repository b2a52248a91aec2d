"""``python -m skmia``: the ``skmia`` command (:func:`skmia.experiment.main`)."""

import sys

from .experiment import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
