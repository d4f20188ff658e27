"""The store protocols are complete and narrow: each role is implemented whole by every backend, with the
protocol's parameters, and the roles together are the store (a new backend can be written a role at a time)."""
from __future__ import annotations

import inspect

import pytest

from visearch.storage.documents import CatalogueStore, DocumentStore, FailureStore, ItemStore, TextSearch, VideoStore
from visearch.storage.faces import Corrections, FaceRecords, FaceStore, PeopleStore

DOCUMENT_ROLES = (ItemStore, TextSearch, VideoStore, CatalogueStore, FailureStore)
FACE_ROLES = (FaceRecords, PeopleStore, Corrections)


def methods(protocol) -> dict[str, inspect.Signature]:
    own = {}
    for klass in reversed(protocol.__mro__):
        for name, value in vars(klass).items():
            if callable(value) and not name.startswith("_"):
                own[name] = inspect.signature(value)
    return own


def role_methods(role) -> set[str]:
    return {name for name, value in vars(role).items() if callable(value) and not name.startswith("_")}


def backends():
    from visearch.storage.elastic.documents import EsDocumentStore
    from visearch.storage.elastic.faces import EsFaceStore
    from visearch.storage.sqlite.documents import SqliteDocumentStore
    from visearch.storage.sqlite.faces import SqliteFaceStore

    return [(DocumentStore, SqliteDocumentStore), (DocumentStore, EsDocumentStore),
            (FaceStore, SqliteFaceStore), (FaceStore, EsFaceStore)]


@pytest.mark.parametrize("protocol, backend", backends(), ids=lambda x: getattr(x, "__name__", ""))
def test_every_backend_implements_every_role_with_its_parameters(protocol, backend):
    for name, signature in methods(protocol).items():
        assert hasattr(backend, name), f"{backend.__name__} lacks {name}"
        theirs = inspect.signature(getattr(backend, name))
        assert list(theirs.parameters) == list(signature.parameters), f"{backend.__name__}.{name}{theirs}"


@pytest.mark.parametrize("store, roles, small", [(DocumentStore, DOCUMENT_ROLES, 10), (FaceStore, FACE_ROLES, 13)])
def test_the_roles_split_the_store_and_each_stays_small(store, roles, small):
    split = [role_methods(role) for role in roles]
    assert all(len(methods_of) <= small for methods_of in split), [len(m) for m in split]
    assert sum(len(m) for m in split) == len(set().union(*split)), "a method belongs to two roles"
    left = set(methods(store)) - set().union(*split)
    assert left <= {"backend", "counts", "reserve_ids", "commit", "close", "export", "import_records"}, left
