"""A seeded cohort of Member messages for end-to-end tests.

Independent of the C++ generator on purpose: the tests check the server
against brute force over its own pair-score RPC, so the data only has to be
varied (languages, modalities, regions, zones with different DST rules,
stages, capacities, blocks, holds) and reproducible.
"""

import random

from peermatch.v1 import member_pb2 as pb

TAGS = [f"t{i}" for i in range(40)]
INTERESTS = [f"i{i}" for i in range(40)]
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo",
         "Australia/Sydney"]


def make_member(rng, i, role):
    stage = rng.randint(4, 5) if role == "mentor" else rng.randint(1, 4)
    mods = rng.sample([pb.MODALITY_TEXT, pb.MODALITY_VIDEO, pb.MODALITY_IN_PERSON],
                      rng.randint(1, 3))
    m = pb.Member(
        id=f"m-{i:04d}" if role == "mentor" else f"e-{i:04d}",
        roles=[pb.ROLE_MENTOR if role == "mentor" else pb.ROLE_MENTEE],
        triggers=rng.sample(TAGS[:15] if rng.random() < 0.7 else TAGS, rng.randint(0, 4)),
        interests=rng.sample(INTERESTS, rng.randint(0, 5)),
        recovery_stage=stage,
        time_zone=rng.choice(ZONES),
        languages=rng.sample(["en-GB", "en-US", "de", "fr"], rng.randint(1, 2)),
        modalities=mods,
        mentor_capacity=rng.randint(0, 3) if role == "mentor" else 0,
        screened=rng.random() < 0.95,
        safety_hold=rng.random() < 0.03,
    )
    if pb.MODALITY_IN_PERSON in mods:
        m.region = rng.choice(["berlin", "nyc"])
    for _ in range(rng.randint(1, 4)):
        start = rng.randint(0, 88) * 15
        m.availability.add(day=rng.randint(1, 7), start_minute=start,
                           end_minute=min(1440, start + rng.choice([60, 120, 180, 300])))
    return m


def cohort(seed, mentees, mentors):
    rng = random.Random(seed)
    out = [make_member(rng, i, "mentee") for i in range(mentees)]
    out += [make_member(rng, i, "mentor") for i in range(mentors)]
    ids = [m.id for m in out]
    for m in out:
        if rng.random() < 0.05:
            m.blocked.append(rng.choice([x for x in ids if x != m.id]))
    return out
