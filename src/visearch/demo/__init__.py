"""The sample catalogue, photos and people video that `visearch demo` (and the tests) generate."""
