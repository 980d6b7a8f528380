"""Two revisions side by side, against the same sandboxes, rounds alternated.

This machine's speed drifts by tens of percent within minutes, so a figure from an earlier
``make bench`` says little about a change. Here both revisions run the same work one after the
other in each round, and the medians are compared::

    python -m bench.compare c537fac HEAD --rounds 4
    python -m bench.compare c537fac HEAD --rounds 4 --bench push

``extract`` (the default) reads the same 100,000 tickets (rate limits off) from one sandbox.
``push`` pushes 10,000 new CRM rows of each object of ``bench.push_child.OBJECTS`` at each job
latency of ``bench.push``, and compares the time taken against the floor; the sandboxes are this
checkout's, so only the pushing code differs.

Each revision runs from a ``git archive`` of itself, with this checkout's environment, so a
revision whose dependencies differ from today's cannot be compared this way.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from bench import push, push_child
from bench.extract import Dataset, measure_in, sandbox

log = logging.getLogger("bench")
REPO = Path(__file__).resolve().parents[1]


def checkout(revision: str, into: Path) -> Path:
    """The tree of ``revision``, unpacked under ``into``."""
    archive = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "archive", revision],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    tree = into / revision.replace("/", "_")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs=2, metavar="REVISION", help="e.g. c537fac HEAD")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bench", choices=("extract", "push"), default="extract")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="zdsync-compare-") as tmp:
        work = Path(tmp)
        trees = {revision: checkout(revision, work) for revision in args.revisions}
        if args.bench == "push":
            compare_pushes(trees, args.rounds)
            return
        rates: dict[str, list[float]] = {revision: [] for revision in trees}
        peaks: dict[str, list[float]] = {revision: [] for revision in trees}
        with sandbox("--rate-limits", "off", dataset=Dataset()) as url:
            for round_ in range(args.rounds):
                for revision, tree in trees.items():
                    db = work / f"{round_}-{tree.name}.duckdb"
                    done = measure_in(
                        tree, url, db, "--resources", "tickets", ZENDESK_RATE_LIMITS="off"
                    )
                    rates[revision].append(done["records"] / done["seconds"])
                    peaks[revision].append(done["peak_rss_mb"])
                    log.info(
                        "round %d, %s: %.0f tickets/s, peak %.0f MB",
                        round_ + 1,
                        revision,
                        rates[revision][-1],
                        peaks[revision][-1],
                    )
        for revision in trees:
            log.info(
                "%s: median %.0f tickets/s, peak median %.0f MB",
                revision,
                statistics.median(rates[revision]),
                statistics.median(peaks[revision]),
            )
        first, second = args.revisions
        ratio = statistics.median(rates[second]) / statistics.median(rates[first])
        log.info("%s reads at %.2fx the rate of %s", second, ratio, first)


def compare_pushes(trees: dict[str, Path], rounds: int) -> None:
    """Each revision's pushes, per object and latency: the medians of time and of its ratio
    to the floor."""
    seconds: dict[tuple[str, str, float], list[float]] = {}
    loops: dict[tuple[str, str, float], list[float]] = {}
    start = 0
    with push.sandboxes(push.LATENCIES) as urls:
        for round_ in range(rounds):
            for revision, tree in trees.items():
                for latency, url in urls.items():
                    for name in push_child.OBJECTS:
                        measured = push.measure(tree, url, name, start, push.ROWS)
                        start += push.ROWS
                        key = (revision, name, latency)
                        seconds.setdefault(key, []).append(measured["seconds"])
                        loops.setdefault(key, []).append(measured["send_loop"])
                        push.report(
                            name, latency, push.ROWS, measured, f"round {round_ + 1}, {revision}, "
                        )
    for (revision, name, latency), taken in seconds.items():
        floor = push.floor_seconds(push.ROWS, latency)
        median = statistics.median(taken)
        loop = statistics.median(loops[revision, name, latency])
        log.info(
            "%s, %s at %gs latency: median %.2fs, %.3f of the floor %.1fs (each: %s); "
            "send loop median %.2fs, %.3f of the floor",
            revision,
            name,
            latency,
            median,
            floor / median,
            floor,
            ", ".join(f"{t:.2f}" for t in taken),
            loop,
            floor / loop,
        )


if __name__ == "__main__":
    main()
