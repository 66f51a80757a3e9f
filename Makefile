# `make demo` and `make test` install everything they need (FFmpeg from apt, Python packages into .venv) by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sentiv-installed
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps test lint demo demo-corpus bench clean leaderboard-screens

system-deps:
	@command -v ffmpeg >/dev/null 2>&1 || { \
		echo "Installing FFmpeg (torchcodec needs its shared libraries)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg; }
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || { \
		echo "Installing Chromium and chromedriver (the leaderboard's browser test)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
		echo "python -m venv failed: installing Debian's python3-venv"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv && \
		$(PYTHON) -m venv --clear $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check sentiv_hf tests bench dataset_scripts
	$(VENV)/bin/ruff format --check sentiv_hf tests bench dataset_scripts

test: $(STAMP) system-deps lint
	$(OFFLINE) $(PY) -m pytest -q

demo: $(STAMP) system-deps
	$(OFFLINE) $(VENV)/bin/sentiv benchmark

# Regenerates the bundled demo corpus; needs espeak-ng (apt-get install espeak-ng), users never need this.
demo-corpus: $(STAMP)
	@command -v espeak-ng >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng; }
	$(OFFLINE) $(PY) dataset_scripts/make_demo_corpus.py --output_dir sentiv_hf/data/demo

# Every speed bench, then one summary table; faults.py is a fault suite, not a bench. `make bench BENCH_ARGS=--quick`
# smoke-tests the scripts at tiny sizes.
BENCH_SCRIPTS = $(filter-out bench/faults.py bench/summary.py bench/_common.py,$(wildcard bench/*.py))
bench: $(STAMP) system-deps
	$(OFFLINE) $(PY) bench/summary.py --run $(BENCH_ARGS) $(BENCH_SCRIPTS)

# A screenshot of each tab of the board over the demo's submissions (runs `make demo` first if it has not run).
leaderboard-screens: $(STAMP) system-deps
	test -f sentiv-demo-output/submission.json || $(MAKE) --no-print-directory demo
	$(OFFLINE) $(VENV)/bin/sentiv leaderboard build sentiv-demo-output/submissions/*.json --output_dir lb-data
	$(OFFLINE) $(PY) -m sentiv_hf.leaderboard.browser --data lb-data --out leaderboard-screens

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
