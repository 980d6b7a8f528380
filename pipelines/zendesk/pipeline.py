"""The dlt pipeline an extract loads through, and the DuckDB file it holds open meanwhile."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.common.storages import NormalizeStorage, NormalizeStorageConfiguration
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.zendesk.destination import TypedDuckDb
from pipelines.zendesk.options import DATASET, ExtractOptions
from pipelines.zendesk.resources import SOURCE

PIPELINE = "zendesk"


def working_dir(options: ExtractOptions) -> Path:
    """Where dlt keeps the pipeline's state and load packages, beside the database."""
    if options.destination:
        return options.db_path.parent / f".zendesk-{options.destination}.dlt"
    return options.db_path.parent / f".{options.db_path.stem}.dlt"


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """The DuckDB file, opened once for a whole run and shared by every load job.

    Left to itself dlt opens and closes the file around each load job, and each close
    checkpoints: a 50,000-ticket batch then spent longer opening, checkpointing and closing than
    inserting. Held open, the file checkpoints when its log fills and once at the end; a killed
    run's committed work is replayed from the log on the next open.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        str(path),
        config={
            # Merges spill to disk past this rather than grow with the batch; one thread keeps
            # scan buffers to one set; row order within a table carries no meaning, so DuckDB
            # need not keep it. DuckDB keeps the file's blocks cached up to the limit, so the
            # limit is most of a long run's peak: 64 MB loaded 20,000 tickets with every stream
            # on as fast as 80 MB did, at a peak 12 MB lower (files load through a read buffer
            # of their own size, ``destination.py``; 80 MB loaded 100,000 tickets as fast as
            # 128 MB).
            "memory_limit": os.environ.get("ZDSYNC_DUCKDB_MEMORY", "64MB"),
            "preserve_insertion_order": False,
            "threads": int(os.environ.get("ZDSYNC_DUCKDB_THREADS", "1")),
        },
    )


def make_pipeline(
    options: ExtractOptions, warehouse: duckdb.DuckDBPyConnection | None = None
) -> Any:
    """The dlt pipeline for ``options``: DuckDB at ``db_path`` unless another destination.

    ``warehouse``, from ``open_warehouse``, is the connection the loads use; without one dlt
    opens the file itself for each job.
    """
    if options.destination:
        destination: Any = options.destination
    else:
        if warehouse is None:
            options.db_path.parent.mkdir(parents=True, exist_ok=True)
            credentials = DuckDbCredentials(str(options.db_path))
        else:
            credentials = DuckDbCredentials(warehouse)
        destination = TypedDuckDb(credentials, destination_name="duckdb")
    return dlt.pipeline(
        pipeline_name=PIPELINE,
        destination=destination,
        dataset_name=DATASET,
        pipelines_dir=str(working_dir(options)),
    )


def saved_state(pipeline: Any) -> dict[str, Any]:
    """Every stream's saved state, by stream name, as the last committed load left it."""
    sources = pipeline.state.get("sources", {})
    resources: dict[str, Any] = sources.get(SOURCE, {}).get("resources", {})
    return resources


def drop_normalized_twins(pipeline: Any) -> list[str]:
    """Delete extracted packages that dlt already normalized; returns their load ids.

    dlt commits a normalized package before it deletes the extracted one it came from, so a
    process killed between the two leaves both, and normalizing the extracted copy again fails
    on its twin. The twin holds the same rows, so the copy goes and the twin is loaded.
    """
    normalized = set(pipeline.list_normalized_load_packages())
    twins = [i for i in pipeline.list_extracted_load_packages() if i in normalized]
    if twins:
        # The pipeline's own layout: its normalize storage under its working directory.
        where = NormalizeStorageConfiguration(
            normalize_volume_path=os.path.join(pipeline.working_dir, "normalize")
        )
        storage = NormalizeStorage(False, where)
        for load_id in twins:
            storage.extracted_packages.delete_package(load_id)
    return twins
