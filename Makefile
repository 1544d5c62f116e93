# Two commands for a fresh machine with Python >= 3.10:
#   make demo   set up .venv and serve the Gradio demo on the bundled models (http://127.0.0.1:7860)
#   make test   set up .venv and run the whole test suite
# Also: make cli-demo (the bundled models predict and score held-out RAVDESS actors from the shell)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RAVDESS ?= $(SER_HF_RAVDESS_DIR)

LINTED := ser_hf scripts tests spaces_app model_cards
HUB_FILES := ser_hf/configuration_ser.py ser_hf/modeling_ser.py ser_hf/feature_extraction_ser.py

.PHONY: setup test test-fast lint sync-bundled demo cli-demo clean

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
	@echo "test: running the whole suite (15-25 minutes on 2 cores; real-data tests need SER_HF_RAVDESS_DIR)"
	$(BIN)/python -m pytest -q

# the developer's loop: everything but training runs, the browser and other tests marked slow
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# the Hub-facing files of the bundled models are the package's (tests/test_bundled_models.py checks it)
sync-bundled:
	for folder in models/*/; do cp $(HUB_FILES) "$$folder"; done

demo: setup
	@echo "demo: serving the page on the bundled models at http://127.0.0.1:7860 (Ctrl-C stops it)"
	GRADIO_ANALYTICS_ENABLED=False $(BIN)/python spaces_app/app.py

cli-demo: setup
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) build *.egg-info
