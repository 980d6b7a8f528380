"""Prefect flows: thin wrappers over the functions the CLI calls, plus scheduling concerns.

Importing this package sends dlt's and zdsync's log records to each flow run, through Prefect's
and dlt's own settings, unless the environment already sets them. Prefect reads its settings
once, when it is first imported, so ``zdsync demo`` and ``python -m flows.sync`` import this
package first; a worker, which imports Prefect before any flow, gets the same settings from the
work pool's environment in ``prefect.yaml``.
"""

import logging
import os

RUN_LOG_SETTINGS = {
    # Prefect gives these loggers the handler that sends records to the current run.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "dlt,pipelines,zdsync",
    # Records logged outside a run (the sandbox, a thread Prefect knows nothing of) stay local.
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # dlt puts its record format on the first handler of its logger, which is then Prefect's,
    # shared by every run logger: the bare message keeps Prefect's own lines as Prefect writes them.
    "RUNTIME__LOG_FORMAT": "{message}",
}
# dlt's level is dlt's own setting (RUNTIME__LOG_LEVEL, WARNING unless set); zdsync reports runs
# at INFO, which Prefect's root level (WARNING) would otherwise drop.
INFO_LOGGERS = ("pipelines", "zdsync")

for _name, _value in RUN_LOG_SETTINGS.items():
    os.environ.setdefault(_name, _value)
for _name in INFO_LOGGERS:
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.INFO)
