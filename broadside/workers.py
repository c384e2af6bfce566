"""Takes a number of jobs and gives a pool of forked worker processes that a signal can never catch half made.

Reading and rendering hand work to forked workers, which inherit the build's data instead of having it
pickled. A Ctrl-C that lands while the pool forks would be swallowed by Python's own fork handlers (the
build would go on and exit 0), so signals are held until every worker exists. Workers ignore SIGINT: the
parent stops the build (a terminal sends Ctrl-C to every process), cancels the work not yet started and
waits for the chunks in hand, then the writer cleans up.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor

STOPPING = {signal.SIGINT, signal.SIGTERM}


def can_fork() -> bool:
    """Forked workers exist on this system (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def forked_workers(jobs: int):
    """A ProcessPoolExecutor of `jobs` processes forked now, under the rules above."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
        pool.submit(int).result()  # with the fork start method, the first task forks every worker
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_start() -> None:
    """In each worker: leave stopping to the parent, then let signals in again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
