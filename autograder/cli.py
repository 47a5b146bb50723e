"""The `course` command: release, validate and grade the lessons, self-check and open the lab.

Exit status: 0 when the command did its job (for `grade`: the batch completed, whatever the
submissions contained), 1 when `validate` or `check` found failures, 2 when the command could
not run (bad arguments, a missing folder, an unknown lesson).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .kernel import GIB, Limits
from .paths import Course, CourseError
from .pipeline import STATUSES

GRADE_EPILOG = "statuses in grades.csv:\n" + "\n".join(
    f"  {name:<14}{text}" for name, text in STATUSES.items()) + """

flags: a flagged row scores 0 in grades.csv (raw_score keeps the points) until an instructor
accepts it with --accept STUDENT/ASSIGNMENT (recorded in OUT/accepted.json, for that version of
the submission). Re-running with the same OUT grades only new or changed submissions."""


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=None,
                        help="course root holding notebooks/ (default: found from the cwd or "
                             "the installed package)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rel = sub.add_parser("release", help="write the student versions to release/<id>/")
    rel.add_argument("ids", nargs="*", metavar="ID", help="lesson ids (default: all)")
    val = sub.add_parser("validate", help="check every lesson's metadata, source and release")
    val.add_argument("ids", nargs="*", metavar="ID", help="lesson ids (default: all)")
    val.add_argument("--workers", type=_positive(int), default=None)
    val.add_argument("--budget", type=_positive(float), default=30.0,
                     help="seconds a source notebook may take to execute (default 30)")
    grd = sub.add_parser("grade", help="grade a folder of submissions",
                         epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    grd.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                     help="<student>/<assignment>/<assignment>.ipynb folders and/or "
                          "<student>.zip files")
    grd.add_argument("--out", type=Path, required=True, help="results folder")
    grd.add_argument("--workers", type=_positive(int), default=None,
                     help="parallel graders (default: the number of cores)")
    grd.add_argument("--cell-timeout", type=_positive(float), default=Limits.cell_timeout,
                     metavar="S", help=f"seconds per cell (default {Limits.cell_timeout:g})")
    grd.add_argument("--notebook-timeout", type=_positive(float),
                     default=Limits.notebook_timeout, metavar="S",
                     help=f"seconds per notebook (default {Limits.notebook_timeout:g})")
    grd.add_argument("--memory", type=_positive(float), default=Limits.memory_bytes / GIB,
                     metavar="GiB", help="memory cap per submission (default 4)")
    grd.add_argument("--force", action="store_true", help="regrade everything")
    grd.add_argument("--accept", action="append", default=[], metavar="STUDENT/ASSIGNMENT",
                     help="clear the flags of a graded submission (repeatable)")
    chk = sub.add_parser("check", help="self-check a notebook with its visible tests")
    chk.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    lab = sub.add_parser("lab", help="build the release if stale and start JupyterLab on it")
    lab.add_argument("--port", type=int, default=None)
    lab.add_argument("--no-browser", action="store_true")
    lab.add_argument("--token", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _dispatch(args, extra)
    except CourseError as exc:
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncourse {args.command}: interrupted; results written so far are kept, run the "
              "same command again to continue", file=sys.stderr)
        return 130


def _dispatch(args, extra: list[str]) -> int:
    course = Course.at(args.root)
    if args.command == "release":
        from .release import release

        lessons = course.select(args.ids)
        if not lessons:
            print("no lessons found under", course.source_dir)
            return 0
        release(course, lessons)
        return 0
    if args.command == "validate":
        from .validate import validate

        return validate(course, args.ids, workers=args.workers or os.cpu_count() or 1,
                        budget=args.budget)
    if args.command == "grade":
        from .grade import grade

        limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                        memory_bytes=int(args.memory * GIB))
        return grade(course, args.submissions.resolve(), args.out.resolve(),
                     workers=args.workers, limits=limits, force=args.force, accept=args.accept)
    if args.command == "check":
        from .check import check

        return check(course, args.notebook.resolve())
    from .lab import lab

    return lab(course, port=args.port, no_browser=args.no_browser, token=args.token, extra=extra)
