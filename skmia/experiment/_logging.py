"""The run's one message path: logger ``"skmia"`` to the console and ``run.log``."""

import contextlib
import io
import logging
import os
import sys

from ._output import write_log

__all__ = ["run_log"]


@contextlib.contextmanager
def run_log(folder, *, quiet):
    """Send the ``"skmia"`` logger's messages to stderr and ``folder/run.log``.

    The console gets the INFO messages alone (none if ``quiet``); ``run.log``
    gets every message with its time, tracebacks included (DEBUG), and is
    written atomically when the run ends, however it ends. A resumed run
    appends to the log of the run it resumes.
    """
    logger = logging.getLogger("skmia")
    path = os.path.join(folder, "run.log")
    buffer = io.StringIO()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            buffer.write(f.read())
    to_file = logging.StreamHandler(buffer)
    to_file.setLevel(logging.DEBUG)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handlers = [to_file]
    if not quiet:
        to_console = logging.StreamHandler(sys.stderr)
        to_console.setLevel(logging.INFO)
        handlers.append(to_console)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield logger
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
        logger.setLevel(level)
        write_log(folder, buffer.getvalue())
