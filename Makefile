# Two commands for a fresh machine with Python >= 3.10:
#   make demo   set up .venv and serve the Gradio demo on the bundled models (http://127.0.0.1:7860)
#   make test   set up .venv and run the whole test suite
# Also: make cli-demo (the bundled models predict and score held-out RAVDESS actors from the shell)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAVDESS ?= $(SER_HF_RAVDESS_DIR)

.PHONY: setup test demo cli-demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@echo "setup: creating $(VENV) and installing ser-hf with torch, transformers, gradio and the test tools"
	@echo "setup: the first time this downloads about 3 GB and takes several minutes; later runs skip it"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev]'
	@echo "setup: done"
	touch $@

test: setup
	@echo "test: running the whole suite (a few minutes; real-data tests need SER_HF_RAVDESS_DIR)"
	$(BIN)/python -m pytest -q

demo: setup
	@echo "demo: serving the page on the bundled models at http://127.0.0.1:7860 (Ctrl-C stops it)"
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python spaces_app/app.py

cli-demo: setup
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) build *.egg-info
