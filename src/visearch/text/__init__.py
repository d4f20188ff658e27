"""Text as people type it and OCR reads it: normalisation, Hangul, names, text-match ranking. Pure."""
