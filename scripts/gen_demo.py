#!/usr/bin/env python3
"""Writes a small, deterministic demo cohort as JSON Lines (one Member each).

    scripts/gen_demo.py [--count 60] [--seed 7] > demo.jsonl

Uses only the standard library, so the quickstart needs nothing else. Ids are
pseudonymous ("demo-001"); nothing here is real personal data. The benchmark
and test generator (bench/generator) is the realistic one; this one only has
to make a pool where matching and grouping produce something to look at.
"""

import argparse
import json
import random

TRIGGERS = ["phone-calls", "eating-in-public", "speaking-in-groups",
            "small-talk", "crowds", "authority-figures", "being-watched",
            "parties", "dating", "job-interviews"]
INTERESTS = ["hiking", "board-games", "reading", "cooking", "music",
             "gardening", "films", "running", "art", "coding", "photography"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "UTC",
         "Europe/Madrid"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
        "SUNDAY"]


def member(i, rng):
    stage = rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 3, 2, 2])[0]
    roles = []
    if stage <= 3:
        roles.append("ROLE_MENTEE")
    if stage >= 4:
        roles.append("ROLE_MENTOR")
    if rng.random() < 0.7:
        roles.append("ROLE_GROUP_MEMBER")
    if stage == 5 and rng.random() < 0.5:
        roles.append("ROLE_FACILITATOR")
    windows = []
    for day in rng.sample(DAYS, rng.randint(2, 4)):
        start = rng.choice([17, 18, 19]) * 60
        windows.append({"day": day, "start_minute": start,
                        "end_minute": start + rng.choice([120, 180, 240])})
    m = {
        "id": f"demo-{i:03d}",
        "roles": roles,
        "triggers": rng.sample(TRIGGERS, rng.randint(1, 3)),
        "interests": rng.sample(INTERESTS, rng.randint(1, 4)),
        "recovery_stage": stage,
        "availability": windows,
        "time_zone": rng.choice(ZONES[:2] if rng.random() < 0.7 else ZONES),
        "languages": ["en"] if rng.random() < 0.8 else ["de", "en"],
        "modalities": rng.sample(["MODALITY_TEXT", "MODALITY_VIDEO"], 2),
        "mentor_capacity": rng.randint(1, 3) if "ROLE_MENTOR" in roles else 0,
        "screened": True,
    }
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    rng = random.Random(a.seed)
    for i in range(1, a.count + 1):
        print(json.dumps(member(i, rng)))


if __name__ == "__main__":
    main()
