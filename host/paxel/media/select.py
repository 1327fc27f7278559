"""Which variant to fetch: the highest bandwidth, or with `max_height` the highest bandwidth
among those no taller than it (the smallest one when every variant is taller). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from paxel.media.model import Variant


def choose(variants: Sequence[Variant], max_height: int | None = None) -> Variant:
    if not variants:
        raise ValueError("no variants to choose from")
    pool = list(variants)
    if max_height is not None:
        fitting = [v for v in pool if v.height is not None and v.height <= max_height]
        if fitting:
            pool = fitting
        elif any(v.height is not None for v in pool):
            least = min(v.height for v in pool if v.height is not None)
            pool = [v for v in pool if v.height == least]
    # ties: the taller picture, then the first listed
    return max(pool, key=lambda v: (v.bandwidth, v.height or 0))
