"""Run one piece of a job in a forked child process, in parallel with the rest of the job.

The bill run writes its Bills workbook this way while it posts: the workbook is built from
objects already in memory (the fork shares them without copying or pickling), the posting
is SQLite work in the parent, and the two use both cores of a clerk's PC instead of taking
turns on one. A thread would not do: the writer is Python and holds the interpreter lock,
and the inserting thread needs it back after every row.

Where fork is not available (Windows) or is turned off (UTILBILL_NO_FORK=1), the work runs in
the parent when the job asks for its result, in the same order as before.

The child only runs the function and exits: it never touches the store (it inherits the
parent's open connections, and must not use or close them), prints nothing, and reports a
failure through a pipe as "ExceptionType: message".
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Callable


def fork_available() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux") and os.environ.get("UTILBILL_NO_FORK") != "1"


class ForkedTaskError(RuntimeError):
    pass


class Forked:
    """`Forked(fn)` starts fn() in a child; `.wait()` returns when it is done (raising
    ForkedTaskError with the child's error); `.cancel()` stops it."""

    def __init__(self, fn: Callable[[], None]):
        self._fn = fn
        self._pid: int | None = None
        self._pipe: int | None = None
        self._done = False
        if not fork_available():
            return
        r, w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                os.close(r)
                _die_with_parent()
                if os.getppid() != parent:  # the job died before the line above took effect
                    raise RuntimeError("the job's process ended")
                fn()
            except BaseException as e:  # reported to the parent, never raised here
                code = 1
                try:
                    os.write(w, f"{type(e).__name__}: {e}".encode("utf-8", "replace")[:8000])
                except OSError:
                    pass
            finally:
                os._exit(code)
        os.close(w)
        self._pid, self._pipe = pid, r

    @property
    def parallel(self) -> bool:
        return self._pid is not None

    def wait(self) -> None:
        if self._done:
            return
        self._done = True
        if self._pid is None:
            self._fn()
            return
        chunks = []
        while True:
            data = os.read(self._pipe, 65536)
            if not data:
                break
            chunks.append(data)
        os.close(self._pipe)
        _, status = os.waitpid(self._pid, 0)
        message = b"".join(chunks).decode("utf-8", "replace")
        if os.waitstatus_to_exitcode(status) != 0 or message:
            raise ForkedTaskError(message or f"the writer process ended with status {os.waitstatus_to_exitcode(status)}")

    def cancel(self) -> None:
        if self._done:
            return
        self._done = True
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        os.close(self._pipe)


def _die_with_parent() -> None:
    """Ask Linux to kill this child if the job's process dies (kill -9 of a bill run must not
    leave a writer running on its own)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not fatal: the child ends when its work does
        pass
