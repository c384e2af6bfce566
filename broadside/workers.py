"""Takes a number of jobs (or one function) and gives forked worker processes that a Ctrl-C can stop only between
chunks of work (or a process of its own that runs the function while the caller goes on).

Reading and rendering hand work to forked workers, which inherit the build's data instead of having it
pickled. A signal that lands while the pool forks, hands out work or shuts down can be swallowed by Python's
fork handlers or leave the pool's locks and pipes half changed (a build that exits 0, or hangs). So while the
workers exist, SIGINT and SIGTERM are only noted; the next chunk that comes back stops the work, the chunks
not started are cancelled, and then the signal is raised again for its usual handler (exit 130 or 143 after
every clean-up). The workers ignore SIGINT: a terminal sends Ctrl-C to every process, and the parent decides.
"""
from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Generator, Iterable, Iterator

STOPPING = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """A stopping signal was noted while the workers ran."""


class Workers:
    """Forked workers whose results (of `map`, or of `start` through `results`) stop at the first chunk that
    comes back after a stopping signal."""

    def __init__(self, pool: ProcessPoolExecutor, noted: list[int]):
        self.pool, self.noted = pool, noted

    def map(self, function: Callable, items: Iterable, chunksize: int = 1) -> Iterator:
        """Like Executor.map: every item is handed out now, and the results come in order."""
        return self._checked(self.pool.map(function, items, chunksize=chunksize))

    def start(self, function: Callable, items: Iterable) -> list[Future]:
        """Hand every item out now; the caller may look at the futures, then take `results`."""
        return [self.pool.submit(function, item) for item in items]

    def results(self, futures: list[Future]) -> Iterator:
        """The futures' results in order, under the same rule as `map`."""
        return self._checked(future.result() for future in futures)

    def _checked(self, results: Iterator) -> Iterator:
        for result in results:
            if self.noted:
                raise Interrupted()
            yield result


def step(steps: Generator) -> dict | None:
    """Advance `steps` (the parent's own work, done a step at a time while workers run) by one; its return value
    once it is finished, None before."""
    try:
        next(steps)
    except StopIteration as finished:
        return finished.value
    return None


def run_through(steps: Generator) -> dict:
    """Run `steps` to its end; give its return value."""
    while (made := step(steps)) is None:
        pass
    return made


def can_fork() -> bool:
    """Forked workers exist on this system (not on Windows), and this is the main thread (signals are its)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def forked_workers(jobs: int):
    """`jobs` worker processes, forked now, under the rules above."""
    noted: list[int] = []
    previous = {number: signal.signal(number, lambda signum, frame: noted.append(signum)) for number in STOPPING}
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
        try:
            pool.submit(int).result()  # with the fork start method, the first task forks every worker
            yield Workers(pool, noted)
        except Interrupted:
            pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if noted:
        signal.raise_signal(noted[0])  # now the build's own handler stops it


def _worker_start() -> None:
    """In each worker: leave stopping to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def collection_paused():
    """Pause Python's cycle collector: unpickling many rows or readings makes it walk every new object again and
    again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Apart:
    """A function run in a forked process of its own while this one goes on: what it sends comes back in order, and
    an exception it raises comes back from `receive`. The process ignores SIGINT (the caller decides): `stop` ends it."""

    def __init__(self, function: Callable, *args):
        context = multiprocessing.get_context("fork")
        self.connection, sending = context.Pipe(duplex=False)
        self.process = context.Process(target=_run_apart, args=(sending, function, args))
        self.process.start()
        sending.close()  # so that `receive` sees the end when the process is gone

    def receive(self):
        """The next value the function sent (waiting for it); its exception, raised here, if it failed."""
        try:
            kind, value = self.connection.recv()
        except EOFError:
            self.process.join()
            raise RuntimeError(f"a worker process ended unexpectedly (exit code {self.process.exitcode})") from None
        if kind == "raised":
            raise value
        return value

    def wait(self) -> None:
        """Wait for the process to end by itself (after the last value it sends)."""
        self.process.join()

    def stop(self) -> None:
        """End the process if it still runs (a build that failed or was interrupted) and wait for it."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.connection.close()


def _run_apart(connection, function: Callable, args: tuple) -> None:
    """In the process of its own: run the function, handing it the way to send values back."""
    _worker_start()
    gc.freeze()  # a collection here would copy every page of memory the caller's objects share with this process
    try:
        function(lambda value: connection.send(("sent", value)), *args)
    except Exception as error:  # noqa: BLE001 - it travels back to the caller, who reports it
        connection.send(("raised", error))
    finally:
        connection.close()
