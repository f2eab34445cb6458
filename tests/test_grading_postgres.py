"""nbgrader's gradebook on PostgreSQL, written by two graders at once.

A real PostgreSQL server (Debian's `postgresql` package) starts in a
fresh cluster; the grader grades four learners of lesson 01 into it with
`--jobs 2`, two nbgrader processes writing at the same time, and the
export must hold every expected score. This is how several machines
share one gradebook (docs/INSTRUCTOR_GUIDE.md).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.grading import run_grader
from tests.lesson01_class import HONEST, exported, hand_in, honest_scores

pytestmark = [pytest.mark.notebook, pytest.mark.sandbox]


def postgres_program(name: str) -> str | None:
    """A PostgreSQL server program: Debian keeps them off PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as `postgres` there."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def run(*command: str) -> None:
    subprocess.run(
        as_server_user(list(command)), check=True, capture_output=True
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def database():
    """A running PostgreSQL server with an empty database; its URL."""
    initdb, pg_ctl = postgres_program("initdb"), postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        message = (
            "PostgreSQL is not installed: `sudo apt-get install postgresql` "
            "enables this test"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    cluster = Path(tempfile.mkdtemp(prefix="gaplab-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(cluster, "postgres")
    data, port = cluster / "data", free_port()
    run(initdb, "-D", str(data), "-U", "gaplab", "--auth=trust")
    options = f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1"
    log = str(cluster / "server.log")  # the server keeps no pipe of ours
    run(pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start")
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=port,
            user="gaplab",
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute("CREATE DATABASE gradebook")
        yield f"postgresql://gaplab@127.0.0.1:{port}/gradebook"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(cluster, ignore_errors=True)


def test_two_graders_write_one_postgresql_gradebook(database, tmp_path):
    folder, work = tmp_path / "class", tmp_path / "work"
    for student, build in HONEST.items():
        hand_in(folder, student, build())
    environment = {"GAPLAB_GRADEBOOK_URL": database}
    run_grader(
        work,
        "autograde",
        str(folder),
        "--jobs",
        "2",
        environment=environment,
    )
    assert exported(work, tmp_path, environment) == honest_scores()
    assert not (work / "gradebook.db").exists()
    with psycopg.connect(database) as connection:
        rows = connection.execute("SELECT count(*) FROM submitted_assignment")
        assert rows.fetchone() == (len(HONEST),)
