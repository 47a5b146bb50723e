"""Fixtures for the browser tests: one JupyterLab server and one Chromium for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.jupyterlab import LabServer, launch_browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    server = LabServer(REPO, tmp_path_factory.mktemp("lab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch_browser(playwright, str(tmp_path_factory.mktemp("chromium-profile")))
        yield context
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
