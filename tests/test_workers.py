"""Tests that forked workers stop cleanly, between chunks, when the build is interrupted, and that a function run apart
sends its values back and stops when told."""
import os
import signal
import time

import pytest

from broadside.workers import Apart, can_fork, forked_workers


def slow_square(number: int) -> int:
    time.sleep(0.01)
    return number * number


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_workers_run_stops_them_and_is_raised_after(number):
    assert can_fork()
    seen = []
    stop = lambda signum, frame: (_ for _ in ()).throw(SystemExit(143))  # noqa: E731
    # The handlers a build.py run has, whatever this test was started with (a shell runs a command started
    # with `&` with SIGINT ignored).
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    try:
        with pytest.raises((KeyboardInterrupt, SystemExit)):
            with forked_workers(2) as workers:
                for result in workers.map(slow_square, range(200)):
                    seen.append(result)
                    if len(seen) == 5:
                        os.kill(os.getpid(), number)  # noted, not raised here: the loop goes on to the next result
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are back
        assert signal.getsignal(signal.SIGTERM) is stop
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
    assert 5 <= len(seen) <= 7 and seen == [n * n for n in range(len(seen))]


def test_workers_without_a_signal_give_every_result_in_order():
    with forked_workers(2) as workers:
        assert list(workers.map(slow_square, range(50), chunksize=4)) == [n * n for n in range(50)]


def send_squares(send, count: int, fail: bool) -> None:
    for number in range(count):
        send(number * number)
    if fail:
        raise ValueError("no more squares")


def test_a_function_apart_sends_its_values_in_order_and_its_error_comes_back():
    apart = Apart(send_squares, 3, True)
    try:
        assert [apart.receive() for _ in range(3)] == [0, 1, 4]
        with pytest.raises(ValueError, match="no more squares"):
            apart.receive()
        apart.wait()
    finally:
        apart.stop()
    assert apart.process.exitcode == 0


def sleep_then_send(send) -> None:
    time.sleep(60)
    send("too late")


def test_stopping_a_function_apart_ends_its_process_at_once():
    apart = Apart(sleep_then_send)
    started = time.monotonic()
    apart.stop()
    assert time.monotonic() - started < 10 and not apart.process.is_alive()
    assert apart.process.exitcode == -signal.SIGTERM
