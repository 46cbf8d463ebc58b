"""Progress reporting for long jobs (the demo town, imports) without depending on the CLI."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Given by the command line: wraps an iterable of work with a progress bar labelled `label`.
Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def track(progress: Progress | None, items: Iterable[Any], label: str) -> Iterator[Any]:
    """Iterate `items`, through the caller's progress bar when there is one."""
    if progress is None:
        yield from items
        return
    wrapped = progress(items, label)
    if hasattr(wrapped, "__enter__"):  # click's progress bar only iterates inside `with`
        with wrapped as bar:
            yield from bar
    else:
        yield from wrapped
