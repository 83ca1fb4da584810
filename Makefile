# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench corpus-deps clean

# System packages, when root with apt-get: a General MIDI soundfont (create, accuracy corpus),
# portaudio (tinysoundfont's pyaudio builds against it) and chromium (the studio's browser tests).
# Without root: install them yourself, or set $$SYNCREADY_SOUNDFONT; the tests that need them skip.
SYSTEM_PACKAGES := fluid-soundfont-gm portaudio19-dev chromium

$(BIN)/syncready: pyproject.toml
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); }; \
	else \
		echo "install: not root or no apt-get; skipping $(SYSTEM_PACKAGES)"; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,demucs,c2pa,postgres,ray,studio,create,musicgen]'
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
	$(BIN)/python bench/bench_dupes.py
	$(BIN)/python bench/accuracy/run.py

# The accuracy benchmark's extra (librosa baseline; the soundfont comes with `install`).
corpus-deps: install
	$(BIN)/pip install --quiet -e '.[bench]'

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
