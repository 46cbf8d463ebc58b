"""Which browser the browser tests launch: Debian's headless shell when installed, else Chromium."""

import shutil

from tests.browser import conftest


def test_the_headless_shell_is_chosen_when_installed(monkeypatch) -> None:
    installed = {"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/shell"}
    monkeypatch.setattr(shutil, "which", installed.get)

    assert conftest.browser_path() == "/usr/bin/shell"


def test_chromium_is_chosen_without_the_headless_shell(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", {"chromium": "/usr/bin/chromium"}.get)

    assert conftest.browser_path() == "/usr/bin/chromium"
