"""Benchmark: what the identity view's blocks cost a check, and what they reach, as the book grows.

The check reads every entry under a record's blocking keys (a non-exact block above
``max_block_size`` entries is skipped, like a stop word). This counts, on a generated
book, the postings a probe reads and whether each re-entry still shares a readable
block with its original, for the blocking keys in use and for candidate schemes that
bound the one-syllable-deletion (typo) keys - the evidence issue 34 asks for before the
blocks change. Profiles are built as filing builds them; nothing is written.

    python scripts/bench_blocks.py --customers 100000
    python scripts/bench_blocks.py --customers 1000000     # ~8 min, ~3 GiB here

Schemes: ``now`` (``crmcore.identity.blocking``: typo keys qualified by province, a
record with no region filed in every province, and a sound crowded in the probe's
provinces - more than ``typo_block_size`` - read through its surname block);
``province-only`` (the same without the surname blocks: every typo sound read in its
provinces, as before issue 34's second item); ``typo-unqualified`` (the typo keys as
they were before that, one block across the country); ``no-typo-keys`` (dropped: what
they alone reach).
"""

from __future__ import annotations

import argparse
import collections
import platform
import time
from collections.abc import Callable

from adapters.demo_data import DemoRecord, generate
from crmcore import RegisterCustomer, ValidationFailed, parse_command
from crmcore.config import IdentityConfig
from crmcore.identity.blocking import blocking_keys, blocks_of, crowded
from crmcore.identity.filing import record_profile
from crmcore.identity.profile import MatchProfile


def _province_only(profile: MatchProfile) -> set[str]:
    """The keys without the surname blocks (before issue 34's second item)."""
    return {k for k in blocking_keys(profile) if not k.startswith("s:")}


def _unqualified(profile: MatchProfile) -> set[str]:
    """The keys as they were before typo keys were qualified by province (issue 34):
    every ``t:`` key back in the ``n:`` namespace, once."""
    return {f"n:{k[2:].rpartition('@')[0]}" if k.startswith("t:") else k
            for k in _province_only(profile)}


def _without_typo_keys(profile: MatchProfile) -> set[str]:
    return {k for k in blocking_keys(profile) if not k.startswith(("t:", "s:"))}


SCHEMES: dict[str, Callable[[MatchProfile], set[str]]] = {
    "now": lambda profile: set(blocking_keys(profile)),
    "province-only": _province_only,
    "typo-unqualified": _unqualified,
    "no-typo-keys": _without_typo_keys,
}


def _readable(name: str, profile: MatchProfile, keys: set[str],
              counts: collections.Counter[str], cap: int, typo_cap: int) -> set[str]:
    """The blocks a probe reads: every exact key's, the others up to ``cap``; ``now``
    reads each typo sound as the check does (``crmcore.identity.blocking.crowded``)."""
    readable = {k for k in keys if k.startswith("k:") or counts[k] <= cap}
    if name != "now":
        return readable
    readable = {k for k in readable if not k.startswith(("t:", "s:"))}
    blocks = blocks_of(profile)
    for sound in blocks.sounds:
        province_keys = blocks.province_keys(sound)
        read = [k for k in province_keys if counts[k]]
        # Entries, each once: a record that says nowhere is in every province's block
        # (an oversized block's count alone makes the sound crowded, as in the check).
        size = sum(counts[k] for k in read) - max(0, len(read) - 1) * counts[f"*{sound}"]
        if not crowded(size, typo_cap):
            readable.update(k for k in province_keys if counts[k] <= cap)
        elif (surname_key := blocks.surname_key(sound)) and counts[surname_key] <= cap:
            readable.add(surname_key)
    return readable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    cap = IdentityConfig().max_block_size
    typo_cap = IdentityConfig().typo_block_size
    print(f"machine: {platform.node()} {platform.machine()} python {platform.python_version()}"
          f" | customers {args.customers:,} | seed {args.seed} | block cap {cap}"
          f" | typo block size {typo_cap}")
    began = time.perf_counter()
    share = min(0.5, args.queries / args.customers)
    data = generate(args.customers, args.seed, duplicate_share=share, negative_share=share / 4)
    counts = {name: collections.Counter[str]() for name in SCHEMES}
    of_entity = {name: collections.defaultdict[int, set[str]](set) for name in SCHEMES}
    probes: list[tuple[DemoRecord, MatchProfile]] = []
    for record in data.rows:
        if record.variation == "invalid":
            continue
        try:
            command = parse_command(RegisterCustomer, {"actor": "bench", **record.fields})
        except ValidationFailed:
            continue
        profile = record_profile(command.record())
        if record.variation == "original":
            for name, scheme in SCHEMES.items():
                keys = scheme(profile)
                counts[name].update(keys)
                if name == "now" and (filed := blocks_of(profile)).everywhere:
                    counts[name].update(f"*{sound}" for sound in filed.sounds)
                of_entity[name][record.entity] |= keys
        elif len(probes) < args.queries:
            probes.append((record, profile))
    print(f"book built in {time.perf_counter() - began:.0f} s; {len(probes):,} probes")
    for name, scheme in SCHEMES.items():
        postings: list[int] = []
        regionless: list[int] = []
        reached = 0
        duplicates = 0
        missed: collections.Counter[str] = collections.Counter()
        for record, profile in probes:
            readable = _readable(name, profile, scheme(profile), counts[name], cap, typo_cap)
            postings.append(sum(counts[name][k] for k in readable))
            if profile.company is not None and not profile.region:
                regionless.append(postings[-1])
            if record.is_duplicate:
                duplicates += 1
                if readable & of_entity[name].get(record.entity, set()):
                    reached += 1
                else:
                    missed[record.variation] += 1
        postings.sort()
        filed = sum(counts[name].values()) / max(1, len(of_entity[name]))
        alone = sum(regionless) / max(1, len(regionless))
        print(f"{name:20} postings a probe: mean {sum(postings) / len(postings):6.1f}, "
              f"p99 {postings[int(len(postings) * 0.99)]:4}, region-less probes "
              f"({len(regionless):,}) mean {alone:6.1f}; keys filed a customer {filed:5.1f}; "
              f"re-entries sharing a readable "
              f"block with their original {reached:,}/{duplicates:,} = "
              f"{reached / duplicates:.4f}; missed {dict(missed)}", flush=True)


if __name__ == "__main__":
    main()
