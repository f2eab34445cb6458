"""nbgrader configuration of the course.

It lives in grader/ rather than the repository root so that the root stays
a plain Python project; `python -m grader` runs nbgrader from this folder,
which is where nbgrader looks for its configuration. The course root is the
repository: `solutions/` is nbgrader's source folder and `lessons/` its
release folder. Working folders and the gradebook go to grader/work/ (or to
$GAPLAB_GRADER_WORK), which git ignores.
"""

import os
import sys
from pathlib import Path

# The course's own preprocessors, kernel manager and export plugin live in
# the grader package, which Formgrader's server may not have on its path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nbconvert.preprocessors import (  # noqa: E402
    ClearMetadataPreprocessor,
    CSSHTMLHeaderPreprocessor,
)
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    Execute,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from grader.preprocessors import (  # noqa: E402
    GuardChecks,
    RedactHiddenTests,
    ReportTimeouts,
    ZeroTamperedChecks,
)

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

WORK = Path(os.environ.get("GAPLAB_GRADER_WORK", ROOT / "grader" / "work"))
WORK.mkdir(parents=True, exist_ok=True)

c.CourseDirectory.course_id = "gaplab"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = os.environ.get(
    "GAPLAB_RELEASE_DIR", "lessons"
)
c.CourseDirectory.submitted_directory = str(WORK / "submitted")
c.CourseDirectory.autograded_directory = str(WORK / "autograded")
c.CourseDirectory.feedback_directory = str(WORK / "feedback")
# The course hands lessons out through an LMS or Colab; nbgrader's
# exchange, if a JupyterHub uses it, lives in the work folder unless the
# hub's configuration says otherwise (docs/INSTRUCTOR_GUIDE.md, step 4).
(WORK / "exchange").mkdir(exist_ok=True)
c.Exchange.root = str(WORK / "exchange")
# Parallel grading (`--jobs`) runs several nbgrader processes on one
# gradebook: SQLite makes a writer wait for the others, up to a minute.
# GAPLAB_GRADEBOOK_URL names another database (PostgreSQL, for several
# machines: see docs/INSTRUCTOR_GUIDE.md).
c.CourseDirectory.db_url = os.environ.get(
    "GAPLAB_GRADEBOOK_URL", f"sqlite:///{WORK / 'gradebook.db'}?timeout=60"
)

# Submissions downloaded from an LMS (`python -m grader zip-collect`): the
# files go to work/downloaded/LESSON/archive/, and their names say whose
# they are. nbgrader matches the pattern below against each file's path;
# it reads Canvas's "login_userid_submissionid_name" (and "login_LATE_...")
# in any folder of the archive. Change it for another LMS (see nbgrader's
# zip_collect documentation).
# (nbgrader joins this folder to the course root, so it must be relative.)
c.ZipCollectApp.downloaded_directory = os.path.relpath(
    WORK / "downloaded", ROOT
)
c.FileNameCollectorPlugin.named_regexp = (
    r"(?:.*/)?(?P<student_id>[^_/]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+)$"
)

# Lessons train small models; a cell may take longer than nbgrader's 30 s
# default on a slow laptop, so allow two minutes before calling it hung
# (`autograde --timeout SECONDS` changes it). nbgrader interrupts such a
# cell and goes on; grader.preprocessors.ReportTimeouts names it.
c.Execute.timeout = int(os.environ.get("GAPLAB_GRADER_TIMEOUT", "120"))
c.Execute.kernel_name = "python3"
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
# Every submission's kernel runs in a bubblewrap sandbox (grader/sandbox.py),
# and scores come from the checks, not from whatever the learner's kernel
# says about them (grader/preprocessors.py): nbgrader's own list, with the
# guard around Execute.
c.Execute.kernel_manager_class = "grader.sandbox.SandboxedKernelManager"
c.Autograde.autograde_preprocessors = [
    GuardChecks,
    Execute,
    ZeroTamperedChecks,
    ReportTimeouts,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# nbgrader scores a test cell 0 if it wrote anything to stderr. These are
# known harmless messages from torch and tqdm, never a learner's mistake.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(UserWarning: .*(CUDA|cuda|NumPy|TypedStorage)|"
    r"TqdmExperimentalWarning|IProgress not found)"
)

# Feedback shows learners their scores and the visible checks, never the
# hidden tests: neither their source nor the lines of them that a
# traceback quotes; `python -m grader feedback --show-hidden-tests` opts
# in to showing them.
hidden_tests_shown = os.environ.get("GAPLAB_FEEDBACK_SHOWS_HIDDEN_TESTS")
c.GenerateFeedback.preprocessors = [
    GetGrades,
    *([] if hidden_tests_shown else [RedactHiddenTests, ClearHiddenTests]),
    CSSHTMLHeaderPreprocessor,
]

# Scores go out through the csv module, so that any student id the
# submissions folder allows (commas, quotes, non-ASCII) stays one field.
c.ExportApp.plugin_class = "grader.export.CsvExport"
