"""End to end: `sentiv leaderboard serve` in a subprocess, driven by headless Debian Chromium through selenium.

Not skipped when Chromium is absent: it fails and says to run `make system-deps` (`make test` runs it first)."""

from __future__ import annotations

import copy
import json

import pytest

from sentiv_hf.benchmark.submission import read_submission
from sentiv_hf.leaderboard.board import Board, budget_text
from sentiv_hf.leaderboard.browser import chromium, missing_browser, open_tab, served_board, tab_names, wait_for


def _text(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def _shows(driver, element_id: str, expected: list[str], what: str) -> None:
    wait_for(driver, lambda d: all(e in _text(d, element_id) for e in expected), 20, f"{what}: {expected}")


def _cells(board: Board, task: str, budget: float) -> list[str]:
    ranking = board.ranking(task, budget)
    return list(ranking["model"]) + list(ranking[f"{board.headline(task)} (mean ± std)"])


def test_board_in_headless_chromium(board_data, board_corpus, board_submissions, tmp_path):
    problem = missing_browser()
    if problem:
        pytest.fail(problem)
    from selenium.webdriver.common.by import By

    board = Board.load(board_data)
    document, _ = read_submission(board_submissions[1][-1])
    bad = copy.deepcopy(document)
    run = bad["entries"][0]["runs"][0]
    run["claimed_metrics"]["macro_f1"] -= 0.25
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(bad))

    with served_board(board_data, dataset=board_corpus, timeout=60) as url, chromium() as driver:
        driver.get(url)
        assert tab_names(driver) == ["text", "speech", "Submit", "About"]
        # the ranking shows the results dataset's numbers, at the largest budget first
        _shows(driver, "ranking-text", _cells(board, "text", 1.0), "text ranking at 100%")
        # switching the budget updates it
        assert _cells(board, "text", 0.5) != _cells(board, "text", 1.0)
        radio = driver.find_element(By.ID, "budget-text")
        next(label for label in radio.find_elements(By.TAG_NAME, "label") if label.text == budget_text(0.5)).click()
        _shows(driver, "ranking-text", _cells(board, "text", 0.5), "text ranking at 50%")
        # the plot renders: an image with pixels
        plot = wait_for(
            driver,
            lambda d: d.execute_script(
                "const img = document.querySelector('#curve-text img');"
                "return img && img.complete && img.naturalWidth > 100 ? img.naturalWidth : 0;"
            ),
            20,
            "the text curve image",
        )
        assert plot > 100
        # switching the task
        open_tab(driver, "speech")
        _shows(driver, "ranking-speech", _cells(board, "speech", 1.0), "speech ranking at 100%")
        # a tampered submission: the validator's message
        open_tab(driver, "Submit")
        upload = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#submit-file input[type=file]"), 20)
        upload.send_keys(str(tampered))
        _shows(driver, "submit-report", ["Refused", "claimed macro_f1", "but the predictions give"], "validator")
        open_tab(driver, "About")
        _shows(driver, "about", ["paired bootstrap", "200 resamples", "@article{sentiv2026"], "About tab")
