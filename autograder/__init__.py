"""The course's grading tool: nbgrader configuration plus the `course` command around it."""
