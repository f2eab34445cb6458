"""Print how many claims of its prose each lesson asserts, and on which
seeds: `python -m tests.claims`, from the repository root."""

from tests.claims import lesson_claims, seed_label

for lesson, claims in lesson_claims().items():
    seeds = ", ".join(map(seed_label, claims.seeds))
    print(f"{lesson:16} {len(claims.claims):3} claims, {seeds}")
