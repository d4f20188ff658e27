"""visearch: visual search for product catalogues and media libraries (the lens, text, people, moments)."""

__version__ = "0.1.0"
