"""One run per output folder: a lock file holding the running process's id."""

import contextlib
import fcntl
import json
import os
import socket
import time

from ._cli_errors import OutputError

__all__ = ["LOCK_NAME", "check_unlocked", "run_lock"]

LOCK_NAME = ".skmia-run.lock"
#: Never deleted: ``flock`` on it makes taking over a stale lock one step, so
#: two runs that find the same stale lock cannot both take it.
_GUARD_NAME = ".skmia-run.guard"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(path):
    """The lock's record, or ``None`` if it is unreadable (being written)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _create(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "started": time.strftime("%Y-%m-%dT%H:%M:%S")}, f)


def _refuse_if_held(folder, path):
    """Raise :class:`OutputError` if a live process holds the lock at ``path``."""
    holder = _holder(path)
    if holder is None and os.path.exists(path):
        time.sleep(0.2)  # being written right now
        holder = _holder(path)
    if holder is None:
        return
    host = socket.gethostname()
    if holder.get("host") != host:
        raise OutputError(
            f"{folder} is in use by another skmia run (process {holder['pid']} on "
            f"{holder['host']}, started {holder['started']}); wait for it, or "
            "choose another --output. If that run is gone (another machine or "
            f"container that was stopped), delete {path}")
    if _alive(int(holder["pid"])):
        raise OutputError(
            f"{folder} is in use by another skmia run (process {holder['pid']} on "
            f"{holder['host']}, started {holder['started']}); wait for it, or "
            "choose another --output")


def check_unlocked(folder):
    """Fail at once if another live run holds ``folder`` (nothing is taken)."""
    _refuse_if_held(folder, os.path.join(folder, LOCK_NAME))


@contextlib.contextmanager
def run_lock(folder):
    """Hold ``folder``'s run lock while the block runs.

    A lock left by a process that no longer exists on this host (a killed
    run) is stale and taken over.

    Raises
    ------
    OutputError
        If another live process holds the lock.
    """
    path = os.path.join(folder, LOCK_NAME)
    with open(os.path.join(folder, _GUARD_NAME), "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one run at a time checks and takes
        try:
            _create(path)
        except FileExistsError:
            _refuse_if_held(folder, path)
            os.unlink(path)  # stale: its process is gone
            _create(path)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
