"""The application layer: one function per use case, called alike by the CLI, the web app and the benches.

Each use case owns its rules once: validation, the library's writer lock, saving, and the errors
a caller turns into an exit code or an HTTP status. `web/` parses requests and formats answers;
`search/` and `indexer/` below know nothing of either. The settings (`settings.py`) are read once
at start-up by whoever starts the process and passed in.

| module | use cases |
|---|---|
| `library.py` | opening a library with the settings |
| `indexing.py` | index files and folders |
| `searching.py` | search by photo (a box in the photo's own pixels), by text, by a video frame |
| `people.py` | name, merge, split, reject, forget, hide, enroll a person |
| `moments.py` | moment queries, tags |
| `fancams.py` | a fancam request |
| `exporting.py` | cutting clips and reels |
"""
