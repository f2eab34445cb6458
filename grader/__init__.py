"""The instructor's command line: release, autograde, feedback, export.

It wraps nbgrader's own commands (run from this folder, where the course's
nbgrader_config.py is) and adds only what nbgrader leaves out: a clear
report on submissions that cannot be graded as they are.
"""
