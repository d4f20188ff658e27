"""schemathesis walks /api/openapi.json with generated valid and invalid input: no 5xx, ever.

Bounded: a fixed seed and a few dozen examples per operation, so it runs in about a minute.
"""
import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from visearch.web import create_app  # noqa: E402

@pytest.fixture(scope="module", autouse=True)
def served(web_library, tmp_path_factory):
    library = tmp_path_factory.mktemp("fuzz") / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library), "TESTING": True, "OCR": "off"})
    app.extensions["visearch"].load_models()
    yield app
    app.extensions["visearch"].close()


def test_no_input_makes_a_server_error(served):
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", served)
    failures, operations = [], 0
    from schemathesis import GenerationMode

    for result, mode in [(r, m) for r in schema.get_all_operations() for m in GenerationMode]:
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call()
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, case.body, response.text[:200]))

        try:
            run()
        except Unsatisfiable:  # an operation without parameters has no invalid input to make
            pass
    assert operations >= 24  # each operation, with valid and with invalid input
    assert not failures, failures[:5]
