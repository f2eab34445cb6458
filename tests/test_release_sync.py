"""lessons/ is exactly what nbgrader generate_assignment makes from
solutions/: regenerate into a scratch folder and compare byte for byte."""

from tests.grading import run_grader
from tests.notebook_tools import LESSONS


def test_lessons_are_in_sync_with_solutions(tmp_path):
    release = tmp_path / "release"
    run_grader(tmp_path / "work", "release", "--into", str(release))
    made = {
        p.relative_to(release): p.read_bytes()
        for p in release.rglob("*")
        if p.is_file()
    }
    committed = {
        p.relative_to(LESSONS): p.read_bytes()
        for p in LESSONS.rglob("*")
        if p.is_file()
    }
    assert made.keys() == committed.keys(), (
        "lessons/ and the release differ in files: run `make release`"
    )
    stale = sorted(str(name) for name in made if made[name] != committed[name])
    assert not stale, f"out of date: {stale}; run `make release` and commit"
