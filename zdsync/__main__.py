"""The ``zdsync`` program: the library's commands, and ``zdsync demo``, which runs the flows."""

from zdsync.cli import app, main
from zdsync.demo import demo

app.command()(demo)

if __name__ == "__main__":
    main()
