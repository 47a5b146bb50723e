"""Drive JupyterLab in headless Chromium the way a student uses it.

`LabServer` starts `course lab` on a free loopback port with a fresh token, serving a scratch
copy of the course (so the test never touches a student's own `release/`), with JupyterLab
user settings that render every cell (no windowing) and skip the news prompt. `LabPage` wraps
a Playwright page open on one notebook: run all cells, wait for the kernel, save, screenshot.

Chromium is Debian's (`/usr/bin/chromium`): Playwright's own browser download needs the
network. The launch flags are the ones that work offline, as root, in a container.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("COURSE_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# JupyterLab settings for a test browser: every cell in the DOM, no news prompt over the page.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """`course lab` on 127.0.0.1:<free port>, serving a scratch copy of the course root."""

    def __init__(self, repo: Path, scratch: Path):
        self.root = scratch / "course"
        shutil.copytree(repo / "notebooks", self.root / "notebooks")
        if (repo / "nbgrader_config.py").exists():
            shutil.copy(repo / "nbgrader_config.py", self.root / "nbgrader_config.py")
        self.settings = scratch / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            path = self.settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = scratch / "lab.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> None:
        course = Path(sys.executable).with_name("course")
        env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(self.settings)}
        command = [str(course), "--root", str(self.root), "lab", "--no-browser",
                   "--port", str(self.port), "--token", self.token]
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`course lab` exited with {self.process.returncode}:\n"
                                   f"{self.log_path.read_text()[-3000:]}")
            try:
                url = f"{self.base_url}/api/status?token={self.token}"
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n"
                           f"{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
        if getattr(self, "_log", None):
            self._log.close()

    def release_notebook(self, lesson_id: str) -> Path:
        return self.root / "release" / lesson_id / f"{lesson_id}.ipynb"


def launch_browser(playwright, user_data_dir: str | None = None):
    """A persistent Chromium context with a fresh profile directory."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: `make e2e` installs Debian's "
                           "chromium package; set COURSE_E2E_CHROMIUM to use another binary")
    return playwright.chromium.launch_persistent_context(
        user_data_dir or tempfile.mkdtemp(prefix="course-e2e-chromium-"),
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
        viewport={"width": 1400, "height": 1000})


class LabPage:
    """One notebook open in JupyterLab."""

    def __init__(self, page, server: LabServer, lesson_id: str):
        self.page = page
        self.server = server
        self.lesson_id = lesson_id

    def open(self, timeout_ms: int = 90_000) -> None:
        path = f"{self.lesson_id}/{self.lesson_id}.ipynb"
        # A workspace of its own (reset), so JupyterLab does not reopen the previous lesson.
        workspace = f"e2e-{self.lesson_id}"
        self.page.goto(f"{self.server.base_url}/lab/workspaces/{workspace}/tree/{path}"
                       f"?reset&token={self.server.token}")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
        self.wait_idle(timeout_ms)

    def wait_idle(self, timeout_ms: int = 90_000) -> None:
        self.page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                    timeout=timeout_ms)

    def run_all(self, cell_timeout_ms: int = 300_000) -> None:
        """Run every cell in order, as a student pressing Shift+Enter would.

        JupyterLab's "Run All Cells" stops at the first error, and the release raises
        NotImplementedError in every unsolved exercise, so each cell is run on its own and
        awaited (queued cells would be aborted by the kernel after an error too).
        """
        cells = self.page.locator(".jp-Notebook .jp-Cell")
        cells.first.click()
        self.page.keyboard.press("Escape")
        for index in range(cells.count()):
            cell = cells.nth(index)
            is_code = "jp-CodeCell" in (cell.get_attribute("class") or "")
            self.page.keyboard.press("Shift+Enter")
            if is_code:
                self.page.wait_for_function(
                    "cell => /\\[\\d+\\]/.test("
                    "cell.querySelector('.jp-InputPrompt').textContent)",
                    arg=cell.element_handle(), timeout=cell_timeout_ms, polling=200)
        self.wait_idle(cell_timeout_ms)

    def save(self) -> None:
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function(
            "() => !document.querySelector('.jp-mod-current.jp-mod-dirty')", timeout=30_000)
        time.sleep(0.5)

    def error_texts(self) -> list[str]:
        """Text of any 'Error displaying widget' or similar front-end failure in the page."""
        return self.page.locator(".jp-OutputArea-output", has_text="Error displaying widget"
                                 ).all_inner_texts()
