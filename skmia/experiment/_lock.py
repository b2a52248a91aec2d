"""One run per output folder: a lock file holding the running process's id."""

import contextlib
import json
import os
import socket
import time

from ._cli_errors import OutputError

__all__ = ["LOCK_NAME", "run_lock"]

LOCK_NAME = ".skmia-run.lock"


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
    for _ in range(3):
        try:
            _create(path)
            break
        except FileExistsError:
            holder = _holder(path)
            if holder is None:
                time.sleep(0.2)  # being written right now
                holder = _holder(path)
            host = socket.gethostname()
            same_host = holder is not None and holder.get("host") == host
            if holder is not None and (not same_host or _alive(int(holder["pid"]))):
                raise OutputError(
                    f"{folder} is in use by another skmia run (process "
                    f"{holder['pid']} on {holder['host']}, started "
                    f"{holder['started']}); wait for it, or choose another --output"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # stale: its process is gone
    else:
        raise OutputError(f"{folder}: cannot take the run lock {path}")
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
