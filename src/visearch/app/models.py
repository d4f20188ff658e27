"""The person models a cut-out and a blur use: installing them, and opening them for a process."""
from __future__ import annotations

from dataclasses import dataclass

from visearch.app.settings import Settings
from visearch.errors import N_
from visearch.indexer.errors import ModelUnavailableError
from visearch.indexer.models.mediapipe_assets import fetch, models_missing
from visearch.indexer.models.persons import PersonModel


@dataclass(frozen=True)
class ModelsState:
    folder: str
    installed: list[str]
    missing: list[str]


def state(settings: Settings) -> ModelsState:
    """Which person models are installed in the settings' folder (and which are missing or damaged)."""
    missing = models_missing(settings.models_folder)
    from visearch.indexer.models.mediapipe_assets import PACKAGES

    every = [name for package in PACKAGES for name in package.files]
    return ModelsState(str(settings.models_folder), [n for n in every if n not in missing], missing)


def install(settings: Settings) -> ModelsState:
    """Fetch the person models from the npm registry (pinned, checksummed) into the settings' folder."""
    fetch(settings.models_folder)
    return state(settings)


NOT_INSTALLED = N_("the person model is not installed (`visearch models fetch`): the person was cut with GrabCut")


def person_model(settings: Settings) -> PersonModel | None:
    """The person model, loaded; None where it is not installed or damaged (a cut-out then says so)."""
    model = PersonModel(settings.models_folder, threads=settings.threads)
    try:
        model.load()
    except ModelUnavailableError:
        return None
    return model
