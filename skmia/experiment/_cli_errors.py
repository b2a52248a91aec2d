"""The command line's one error path: error kinds, exit codes, the traceback file.

Every expected failure of ``skmia run`` ends in one line ``skmia: error:
...`` and an exit code that says what kind of failure it was; the full
traceback goes to ``run.log`` in the output folder (and to the terminal
with ``--debug``).
"""

import datetime
import os
import traceback

from ._config import ConfigError

__all__ = ["EXIT_CODES", "DataError", "OutputError", "exit_code", "log_traceback",
           "one_line"]


class DataError(OSError):
    """Data the configuration names cannot be found or read."""


class OutputError(OSError):
    """The output folder cannot be used (not a folder, not writable, in use)."""


#: Exit status of ``skmia`` for each kind of failure.
EXIT_CODES = {
    "ok": 0,
    "error": 1,          # anything else: a parameter the library rejects, a bug
    "config": 2,         # usage or configuration
    "data": 3,           # data not found or unreadable
    "output": 4,         # output folder unusable or in use
    "interrupted": 130,  # Ctrl-C
}


def exit_code(exc):
    """The exit status for the exception ``exc``."""
    if isinstance(exc, ConfigError):
        return EXIT_CODES["config"]
    if isinstance(exc, OutputError):
        return EXIT_CODES["output"]
    if isinstance(exc, (DataError, FileNotFoundError)):
        return EXIT_CODES["data"]
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_CODES["interrupted"]
    return EXIT_CODES["error"]


def one_line(exc):
    """``exc`` as one line (its lines joined; the type for an empty message)."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__


def log_traceback(folder, exc):
    """Append ``exc``'s traceback to ``folder/run.log`` if the folder exists.

    Returns
    -------
    path : str or None
        The log file written, or ``None``.
    """
    if folder is None or not os.path.isdir(folder):
        return None
    path = os.path.join(folder, "run.log")
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    text = "".join(traceback.format_exception(exc))
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{stamp} skmia: error: {one_line(exc)}\n{text}")
    except OSError:
        return None
    return path
