"""Visible exercise checks: each fails with a message that names the likely
mistake. Hidden tests live only in the solution notebooks."""
