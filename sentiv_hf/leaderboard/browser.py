"""Headless Chromium for the board: the end-to-end test and ``make leaderboard-screens`` share this code.

Only Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` are used (``make system-deps`` installs them); the
driver path is passed explicitly, so selenium-manager never runs and nothing is downloaded. selenium is a
development dependency, imported only here.

Example (what ``make leaderboard-screens`` runs):
    python -m sentiv_hf.leaderboard.browser --data lb-data --out leaderboard-screens
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = "Chromium or its driver is missing ({}); run `make system-deps` (apt-get install chromium chromium-driver)."


def missing_browser() -> str | None:
    """The message to show when Debian's Chromium or chromedriver is absent; None when both are there."""
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return MISSING.format(", ".join(absent)) if absent else None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_board(
    data_dir: str | Path, *, dataset: str | Path | None = None, port: int | None = None, timeout: float = 60.0
) -> Iterator[str]:
    """Run ``sentiv leaderboard serve`` in a subprocess on 127.0.0.1 and yield its URL; always stops it.

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout`` seconds (with its output).
    """
    port = port or free_port()
    command = [sys.executable, "-m", "sentiv_hf.cli", "leaderboard", "serve", "--data", str(data_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port)] + (["--dataset", str(dataset)] if dataset else [])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"`sentiv leaderboard serve` exited with {server.returncode}: {server.stdout.read()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"`sentiv leaderboard serve` did not answer on {url} within {timeout:.0f} s.")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


@contextmanager
def chromium(width: int = 1400, height: int = 1600, timeout: float = 30.0):
    """A headless selenium Chrome driver on Debian's Chromium, quit on exit.

    Raises:
        RuntimeError: Chromium or chromedriver is missing (the message says to run ``make system-deps``).
    """
    problem = missing_browser()
    if problem:
        raise RuntimeError(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(timeout)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, condition, timeout: float = 20.0, message: str = ""):
    """`WebDriverWait(driver, timeout).until(condition)` with a message naming what was awaited."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition, message)


def open_tab(driver, name: str, timeout: float = 20.0) -> None:
    """Click the board's tab button labelled ``name``."""
    from selenium.webdriver.common.by import By

    button = wait_for(
        driver,
        lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "button[role='tab']") if b.text == name), None),
        timeout,
        f"tab {name!r}",
    )
    button.click()
    time.sleep(0.5)


def tab_names(driver, timeout: float = 30.0) -> list[str]:
    """The labels of the board's tabs, once the page has rendered them."""
    from selenium.webdriver.common.by import By

    buttons = wait_for(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "button[role='tab']"), timeout, "the board's tabs"
    )
    return [b.text for b in buttons if b.text]


def screenshot_tabs(url: str, out_dir: str | Path) -> list[Path]:
    """Open the board at ``url`` and write one PNG per tab to ``out_dir``; returns the files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with chromium() as driver:
        driver.get(url)
        for k, name in enumerate(tab_names(driver)):
            open_tab(driver, name)
            time.sleep(1.0)
            path = out_dir / f"{k:02d}-{name.lower().replace(' ', '-')}.png"
            driver.save_screenshot(str(path))
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m sentiv_hf.leaderboard.browser --data lb-data --out leaderboard-screens``."""
    parser = argparse.ArgumentParser(description="Screenshot each tab of the board in headless Chromium.")
    parser.add_argument("--data", required=True, help="the folder `sentiv leaderboard build` wrote")
    parser.add_argument("--dataset", default=None, help="the leaderboard's dataset (default: the demo corpus)")
    parser.add_argument("--out", default="leaderboard-screens")
    args = parser.parse_args(argv)
    problem = missing_browser()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with served_board(args.data, dataset=args.dataset) as url:
        for path in screenshot_tabs(url, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
