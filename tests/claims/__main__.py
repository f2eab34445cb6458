"""Print how many claims of its prose each lesson asserts, and on which
seeds: `python -m tests.claims`, from the repository root."""

from tests.claims import lesson_claims

for lesson, claims in lesson_claims().items():
    seeds = ", ".join("as written" if s is None else str(s) for s in claims.seeds)
    print(f"{lesson:16} {len(claims.claims):3} claims, seeds {seeds}")
