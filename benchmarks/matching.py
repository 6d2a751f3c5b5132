"""Benchmark of the matching engine: our optimal mode vs a greedy baseline vs the exact dense solver.

    .venv/bin/python benchmarks/matching.py           # 500-person course, 2,000 x 400, 10,000 x 2,000
    .venv/bin/python benchmarks/matching.py --quick   # the first two only

Profiles are random but seeded: 60 topics, mostly English speakers, twelve time zones, a few evening
slots each, some ranked choices. The program requires a shared language and 1 h/week of overlap.
Each measurement runs in a fresh process (after a warm-up on a tiny instance, so that imports and time
zone files are loaded), and reports that process's peak RSS, which includes the instance itself.
"exact" is ``linear_sum_assignment`` on the full slot-expanded matrix where that fits in memory. For
10,000 x 2,000 it would take 1.5 GiB, so there the exact optimum comes from the sparse solver given
*every* allowed pair instead of each mentee's best 30 (about 2 M pairs, 10 M slot edges: exact, but
~5x slower and ~3x bigger than our mode).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lti_tool.mentoring.matching import MatchOptions, Participant, match_greedy, match_optimal  # noqa: E402

SEED = 20250106
TOPICS = [f"topic {k}" for k in range(60)]
LANGUAGES = ["en"] * 8 + ["es", "fr", "de", "zh", "pt", "ar"]
ZONES = [
    "Europe/Madrid",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
    "UTC",
]
RULES = MatchOptions(require_shared_language=True, min_overlap_hours=1)
GIB = 1024**3


@dataclass(frozen=True)
class Instance:
    name: str
    mentees: int
    mentors: int
    capacity: tuple[int, int]
    exact: str
    """``dense``: LSA on the full matrix; ``all pairs``: the sparse solver with every allowed pair."""

    @property
    def label(self) -> str:
        low, high = self.capacity
        cap = f"capacity {low}" if low == high else f"capacity {low}-{high}"
        return f"{self.name}: {self.mentees:,} mentees x {self.mentors:,} mentors, {cap}"


COURSE = Instance("course", 400, 100, (2, 6), exact="dense")
MID = Instance("2k", 2_000, 400, (5, 5), exact="dense")
LARGE = Instance("10k", 10_000, 2_000, (5, 5), exact="all pairs")


def person(rng: random.Random, pid: str, mentor: bool, others: int, prefix: str, capacity: int) -> Participant:
    slots = []
    for _ in range(rng.randint(2, 5)):
        start = rng.randrange(8, 21) * 60
        slots.append((rng.randrange(7), start, min(1440, start + 60 * rng.randint(1, 3))))
    chance = 0.1 if mentor else 0.3
    prefs = [f"{prefix}{rng.randrange(others)}" for _ in range(rng.randint(1, 3))] if rng.random() < chance else []
    return Participant(
        pid,
        goals=set(rng.sample(TOPICS, rng.randint(1, 3))),
        interests=set(rng.sample(TOPICS, rng.randint(2, 5))),
        expertise=set(rng.sample(TOPICS, rng.randint(2, 6))) if mentor else set(),
        languages=set(rng.sample(LANGUAGES, rng.randint(1, 2))),
        time_zone=rng.choice(ZONES),
        availability=slots,
        capacity=capacity,
        preferences=prefs,
    )


def build(instance: Instance, seed: int) -> tuple[list[Participant], list[Participant]]:
    rng = random.Random(seed)
    mentees = [person(rng, f"e{k}", False, instance.mentors, "m", 1) for k in range(instance.mentees)]
    mentors = [
        person(rng, f"m{k}", True, instance.mentees, "e", rng.randint(*instance.capacity))
        for k in range(instance.mentors)
    ]
    return mentees, mentors


METHODS = {
    "optimal": lambda e, m: match_optimal(e, m, None, RULES),
    "optimal sparse": lambda e, m: match_optimal(e, m, None, RULES, method="sparse"),
    "greedy": lambda e, m: match_greedy(e, m, None, RULES),
    "exact": lambda e, m: match_optimal(e, m, None, RULES, method="dense"),
    "exact all pairs": lambda e, m: match_optimal(e, m, None, RULES, method="sparse", candidates=len(m)),
}


def measure(instance: Instance, method: str, seed: int, repeat: int) -> dict[str, float]:
    """Runs in a fresh process: warm up, build, then time ``repeat`` runs (the first with cold caches)."""
    tiny = build(Instance("warm-up", 20, 5, (2, 4), "dense"), seed + 1)
    METHODS[method](*tiny)
    mentees, mentors = build(instance, seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = METHODS[method](mentees, mentors)
        times.append(time.perf_counter() - start)
    assert result is not None
    out = {
        "time": times[0],
        "median": statistics.median(times),
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_instance": before,
        "total": result.total_score,
        "matched": len(result.pairs),
        "places": sum(m.capacity for m in mentors),
    }
    return out


def run(instance: Instance, method: str, seed: int, repeat: int) -> dict[str, float]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, instance, method, seed, repeat).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000 x 2,000 instance")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    instances = [COURSE, MID] if args.quick else [COURSE, MID, LARGE]
    print(
        f"Mentoring Space matching benchmark — seed {args.seed}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print("rules: shared language required, >= 1 h/week overlap; default weights")
    print("time: first run in a fresh process after a warm-up on a tiny instance\n")
    checks: list[tuple[str, bool, str]] = []
    for instance in instances:
        repeat = 5 if instance is COURSE else 1
        exact_method = "exact" if instance.exact == "dense" else "exact all pairs"
        methods = ["optimal", "optimal sparse", "greedy", exact_method]
        results = {m: run(instance, m, args.seed, repeat) for m in methods}
        people = instance.mentees + instance.mentors
        print(f"{instance.label}  ({people:,} people, {results['greedy']['places']:,} places)")
        exact = results[exact_method]["total"]
        greedy = results["greedy"]["total"]
        header = f"{'time':>9}{'peak RSS':>11}{'matched':>9}{'total score':>13}{'vs exact':>10}{'vs greedy':>11}"
        print(f"  {'method':<22}{header}")
        for method, r in results.items():
            ratio = f"{100 * r['total'] / exact:.3f}%"
            label = {
                "optimal": "optimal (auto)",
                "optimal sparse": "optimal (sparse K=30)",
                "greedy": "greedy baseline",
                "exact": "exact (dense LSA)",
                "exact all pairs": "exact (all pairs)",
            }[method]
            print(
                f"  {label:<22}{r['time']:>8.3f}s{r['rss'] / 2**20:>7.0f} MiB{int(r['matched']):>9,}"
                f"{r['total']:>13,.1f}{ratio:>10}{100 * (r['total'] / greedy - 1):>+10.2f}%"
            )
        if instance.exact != "dense":
            cells = instance.mentees * (instance.mentees + results["greedy"]["places"])
            print(f"  exact (dense LSA)     skipped: the slot-expanded matrix would take {cells * 8 / GIB:.1f} GiB")
        print(f"  (instance alone: {results['optimal']['rss_instance'] / 2**20:.0f} MiB peak RSS", end="")
        if repeat > 1:
            print(f"; optimal median of {repeat} runs with warm caches: {results['optimal']['median']:.3f} s", end="")
        print(")\n")
        opt = results["optimal"]
        if instance is COURSE:
            checks.append(("500-person course: optimal under 0.2 s", opt["time"] < 0.2, f"{opt['time']:.3f} s"))
        if exact > 0:
            for method in ("optimal", "optimal sparse"):
                share = results[method]["total"] / exact
                checks.append((f"{instance.name}: {method} >= 99.5% of exact", share >= 0.995, f"{100 * share:.3f}%"))
        if instance is LARGE:
            checks.append(("10k x 2k: optimal under 5 s", opt["time"] < 5, f"{opt['time']:.2f} s"))
            checks.append(("10k x 2k: peak RSS under 1 GiB", opt["rss"] < GIB, f"{opt['rss'] / 2**20:.0f} MiB"))
    print("targets")
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<45} {value}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
