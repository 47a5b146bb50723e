"""Run grading jobs in worker processes, each job in its own process's care, with a progress bar.

Student code runs in a kernel, not in the worker, so a worker should never die; if one does
anyway (the OOM killer choosing it, a bug), the jobs it took down are retried one at a time in a
fresh single-worker pool, where the job that breaks the pool again is known exactly and recorded
as ``grader_error``. Nothing else in the batch is lost.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable

from .pipeline import grade_one


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (used on Ctrl-C)."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


def run_jobs(jobs: list[dict], workers: int, on_result: Callable[[dict, dict], None],
             on_crash: Callable[[dict], dict]) -> None:
    """Grade every job; `on_result(job, result)` is called in this process as each one ends."""
    retry = _run_pool(jobs, workers, on_result)
    for job in retry:
        if _run_pool([job], 1, on_result):
            on_result(job, on_crash(job))


def _run_pool(jobs: list[dict], workers: int, on_result) -> list[dict]:
    """Run `jobs` in one pool; returns the jobs lost to a broken pool (not yet graded)."""
    if not jobs:
        return []
    pool = _pool(max(1, min(workers, len(jobs))))
    lost = []
    try:
        futures = {pool.submit(grade_one, job): job for job in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except Exception:  # noqa: BLE001 - a broken pool (or result): retry it alone
                    lost.append(futures[future])
                    continue
                on_result(futures[future], result)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return lost
