"""Turns media files into records: embeddings, OCR text, thumbnails.

Knows nothing of stores; `search/` owns those.
"""
