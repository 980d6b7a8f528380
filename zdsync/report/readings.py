"""The one line under each chart that says what it shows, computed from the chart's frame."""

from __future__ import annotations

import pandas as pd


def backlog(df: pd.DataFrame) -> str:
    """How many tickets were open on the last day, and in which status most were."""
    if df.empty:
        return "No ticket was open on any day the data covers."
    last_day = df["day"].max()
    today = df[df["day"] == last_day].groupby("status")["open_tickets"].sum()
    peak = df.groupby("day")["open_tickets"].sum()
    return (
        f"On {_day(last_day)}, {int(today.sum()):,} tickets were open, most of them "
        f"{today.idxmax()} ({int(today.max()):,}); the backlog peaked at {int(peak.max()):,} "
        f"on {_day(peak.idxmax())}."
    )


def volume(df: pd.DataFrame) -> str:
    """How many tickets came in, over how many weeks, and through which channel most came."""
    if df.empty:
        return "No ticket was created in the period the data covers."
    channels = df.groupby("channel")["tickets"].sum()
    total = int(channels.sum())
    return (
        f"{total:,} tickets over {df['week'].nunique()} weeks; {channels.idxmax()} brought the "
        f"most ({int(channels.max()):,}, {channels.max() / total:.0%})."
    )


def distribution(what: str, df: pd.DataFrame) -> str:
    """The median and 90th percentile of a time, in hours."""
    hours = df["hours"]
    if hours.empty:
        return f"No ticket has a {what} time yet."
    return (
        f"Half of {len(hours):,} tickets had their {what} within {hours.median():.1f} hours, "
        f"nine in ten within {hours.quantile(0.9):.1f}."
    )


def gdpr(df: pd.DataFrame) -> str:
    """How many deleted users have their deletion complete, and how many wait."""
    users = df.set_index("deletion_state")["users"]
    total = int(users.sum())
    if not total:
        return "No user has been deleted."
    parts = ", ".join(f"{int(n):,} {state}" for state, n in users.items() if state != "complete")
    return f"{int(users.get('complete', 0)):,} of {total:,} deleted users are erased" + (
        f"; {parts}." if parts else "."
    )


def health(df: pd.DataFrame) -> str:
    """How many runs of each kind, how many 429s they met, and how the last push ended."""
    if df.empty:
        return "No extract or push has finished yet."
    kinds = df["kind"].value_counts()
    pushes = df[df["kind"] == "push"]
    last_push = (
        f"; the last push had {_count(pushes['failed_rows'].iloc[-1], 'failed row')}"
        if not pushes.empty
        else ""
    )
    return (
        f"{_count(kinds.get('extract', 0), 'extract')} and {_count(kinds.get('push', 0), 'push')} "
        f"met {_count(df['rate_limited'].sum(), '429')} in "
        f"{_count(df['requests'].sum(), 'request')}{last_push}."
    )


def _count(n: object, noun: str) -> str:
    number = int(n)  # type: ignore[call-overload]
    plural = "es" if noun.endswith("sh") else "s"
    return f"{number:,} {noun}{'' if number == 1 else plural}"


def _day(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]
