# visearch: two commands to know — `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LIBRARY ?= visearch-library

.PHONY: install demo test bench clean

# torch, torchvision and the rest in ONE pip step, pinned by constraints.txt (see README, "Install notes").
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/visearch --library $(LIBRARY) demo --out fixtures/out

test: install
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

bench: install
	$(PY) bench/index_throughput.py
	$(PY) bench/search_latency.py

clean:
	rm -rf $(LIBRARY) fixtures/out bench/out .pytest_cache
