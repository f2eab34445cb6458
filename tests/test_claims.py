"""Every claim the lessons' prose makes about a computed result holds on the
solution notebook's own values, on every seed its lesson names (see
tests/claims/). A claim that fails names the lesson, the sentence, the seed
and the measured numbers."""

from __future__ import annotations

import dataclasses

import pytest

from tests.claims import (
    Claim,
    Evidence,
    Namespace,
    all_claims,
    check_claim,
    claim_counts,
    lesson_claims,
    show,
)


def claim_id(value: object) -> str:
    """Test ids such as `01-losses/every_gap_is_positive-seed0`, which
    `pytest -k` can select by lesson, claim or seed."""
    if isinstance(value, Claim):
        return f"{value.lesson}/{value.name}"
    return "as_written" if value is None else f"seed{value}"


@pytest.mark.parametrize(("claim", "seed"), all_claims(), ids=claim_id)
def test_claim_holds(claim: Claim, seed: int | None) -> None:
    check_claim(claim, seed)


def test_claims_are_counted_per_lesson() -> None:
    counts = claim_counts()
    for lesson, count in counts.items():
        print(f"{lesson}: {count} claims asserted")
    assert all(counts.values()), counts


def test_claim_names_are_unique_within_a_lesson() -> None:
    for lesson, claims in lesson_claims().items():
        names = [claim.name for claim in claims.claims]
        assert len(names) == len(set(names)), f"{lesson}: {names}"


def first_claim() -> Claim:
    """A real claim of lesson 01, for the tests of the checker itself."""
    return lesson_claims()["01-losses"].claims[0]


def test_a_falsified_claim_fails_naming_lesson_sentence_seed_and_numbers():
    real = first_claim()
    measured = {}

    def inverted(ns: Namespace) -> Evidence:
        holds, numbers = real.check(ns)
        measured.update(numbers)
        return not holds, numbers

    with pytest.raises(AssertionError) as failure:
        check_claim(dataclasses.replace(real, check=inverted), 1)
    message = str(failure.value)
    for expected in (real.lesson, real.sentence, "SEED = 1"):
        assert expected in message
    for name, value in measured.items():
        assert f"{name} = {show(value)}" in message


def test_a_claim_whose_sentence_left_the_prose_fails_naming_it():
    moved = dataclasses.replace(first_claim(), sentence="no such sentence")
    with pytest.raises(AssertionError, match="01-losses: the sentence"):
        check_claim(moved, 0)
