"""Reports handed to a consumer in its own thread: order, batching, errors."""

from __future__ import annotations

import threading

import pytest

from zdsync.reverse_etl.write_behind import WriteBehind


def test_what_queues_while_the_consumer_works_reaches_it_in_one_call_in_order() -> None:
    calls: list[list[int]] = []
    first_taken, go_on = threading.Event(), threading.Event()

    def consume(items: list[int]) -> None:
        calls.append(items)
        first_taken.set()
        assert go_on.wait(30)

    with WriteBehind(consume) as writer:
        writer.put([1])
        assert first_taken.wait(30)
        writer.put([2, 3])
        writer.put([4])
        go_on.set()

    assert calls == [[1], [2, 3, 4]]


def test_leaving_waits_until_everything_is_consumed() -> None:
    consumed: list[int] = []
    with WriteBehind(consumed.extend) as writer:
        for n in range(100):
            writer.put([n])
    assert consumed == list(range(100))


def test_a_consumers_error_is_raised_again_and_nothing_more_is_consumed() -> None:
    calls: list[list[str]] = []

    def consume(items: list[str]) -> None:
        calls.append(items)
        raise OSError("No space left on device")

    writer = WriteBehind(consume).__enter__()
    writer.put(["a"])
    with pytest.raises(OSError, match="No space left"):
        writer.close()
    with pytest.raises(OSError, match="No space left"):
        writer.put(["b"])
    assert calls == [["a"]]


def test_an_error_on_the_way_out_wins_over_the_consumers() -> None:
    def consume(items: list[str]) -> None:
        raise OSError("No space left on device")

    def send() -> None:
        with WriteBehind(consume) as writer:
            writer.put(["a"])
            raise KeyError("the sender's own")

    with pytest.raises(KeyError):
        send()
