# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench corpus-deps clean

$(BIN)/syncready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,demucs,c2pa,postgres]'
	touch $(BIN)/syncready

install: $(BIN)/syncready

demo: install
	$(BIN)/syncready demo

test: install
	$(BIN)/python -m pytest -q

bench: install corpus-deps
	$(BIN)/python bench/bench_loudness.py
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_master.py
	$(BIN)/python bench/bench_edits.py
	$(BIN)/python bench/bench_stems.py
	$(BIN)/python bench/bench_separation.py
	$(BIN)/python bench/accuracy/run.py

# The accuracy benchmark's General MIDI soundfont (and portaudio for tinysoundfont's pyaudio),
# then the bench extra. Without root or apt-get: install them yourself or set $$SYNCREADY_SOUNDFONT.
corpus-deps: install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq fluid-soundfont-gm portaudio19-dev; \
	else \
		echo "corpus-deps: not root or no apt-get; skipping fluid-soundfont-gm and portaudio19-dev"; \
	fi
	$(BIN)/pip install --quiet -e '.[bench]'

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
