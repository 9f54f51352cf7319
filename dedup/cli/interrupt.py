"""Ctrl-C: exit 130 with one line, quickly, whatever is running.

The first SIGINT raises :class:`KeyboardInterrupt` in the main thread, so
``finally`` blocks run (a half-written output file is removed, an index
transaction rolled back), and arms a watchdog: if the process has not exited
:data:`GRACE` seconds later, or on a second SIGINT, it kills its worker
processes and leaves at once with exit code 130. Worker processes ignore
SIGINT (see :func:`dedup.paragraphs.ignore_sigint`), so a Ctrl-C on the
terminal, which signals the whole process group, never prints their
tracebacks. A :class:`KeyboardInterrupt` that lands in a finaliser (a
``__del__``, where Python would print "Exception ignored in ..." and drop it)
is raised again in the main thread instead, so it still takes the orderly way.
A Ctrl-C that was swallowed anyway (by a library's ``except BaseException``,
or one landing while the interpreter shuts down, where nothing runs the
orderly way any more) still ends the process with the one line and 130, at
exit: a run that saw a Ctrl-C never exits 0.
"""

from __future__ import annotations

import _thread
import atexit
import contextlib
import os
import signal
import sys
import threading
from typing import Any

__all__ = ["EXIT_INTERRUPTED", "GRACE", "MESSAGE", "announce", "hard_exit", "install", "kill_children"]

#: Seconds the orderly way out may take before the watchdog ends the process.
GRACE = 1.2
#: The one line printed on stderr.
MESSAGE = "dedup: interrupted"
#: Exit code.
EXIT_INTERRUPTED = 130

_state = {"signals": 0, "announced": False, "lost": 0, "exiting": False}
_lock = threading.Lock()


def announce() -> None:
    """Print :data:`MESSAGE` on stderr, once per process."""
    with _lock:
        if _state["announced"]:
            return
        _state["announced"] = True
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream must not stop the exit
            stream.flush()
    with contextlib.suppress(OSError):
        os.write(2, (MESSAGE + "\n").encode())


def kill_children() -> None:
    """Kill the worker processes this process started (if multiprocessing is in use)."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    try:
        children = mp.active_children()
    except Exception:
        return
    for child in children:
        with contextlib.suppress(Exception):
            child.kill()


def hard_exit() -> None:
    """Announce, kill the workers and leave now with exit code 130."""
    announce()
    kill_children()
    os._exit(EXIT_INTERRUPTED)


def _on_sigint(signum: int, frame: Any) -> None:
    if _state["lost"]:  # not a new Ctrl-C: the one a finaliser swallowed, raised again
        _state["lost"] -= 1
        raise KeyboardInterrupt
    _state["signals"] += 1
    if _state["signals"] > 1:
        hard_exit()
    watchdog = threading.Timer(GRACE, hard_exit)
    watchdog.daemon = True
    watchdog.start()
    raise KeyboardInterrupt


def _unraisable(args: Any, previous: Any = sys.unraisablehook) -> None:
    """``sys.unraisablehook``: a Ctrl-C swallowed by a finaliser is raised again in the main thread."""
    if args.exc_type is not None and issubclass(args.exc_type, KeyboardInterrupt):
        if _state["exiting"] or sys.is_finalizing():
            hard_exit()  # the main thread runs no more of our code: no orderly way left
        _state["lost"] += 1
        # From another thread, a moment later: raised inside this hook, it would be lost too.
        later = threading.Timer(0.01, _thread.interrupt_main)
        later.daemon = True
        later.start()
        return
    previous(args)


def _at_exit() -> None:
    """``atexit``: a Ctrl-C was handled but the run went on to a normal exit: leave with 130."""
    _state["exiting"] = True
    if _state["signals"] and not _state["announced"]:
        hard_exit()


def install() -> None:
    """Route SIGINT through the handler above (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return  # started in the background with SIGINT ignored: keep it so
    signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = _unraisable
    atexit.unregister(_at_exit)  # install() may run twice (cli.main, then app.main)
    atexit.register(_at_exit)
