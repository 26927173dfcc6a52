"""Where the shipped data folders (rules/, schemas/, features/) are, installed or in a checkout.

`data_folders(rules=FOLDER)` points a folder elsewhere for the code run inside it: `liftcheck
verify` re-judges a sweep with the rule book a bundle carries, through the same loaders
(rulebook, params, definitions, credit) that read the checkout's. A context variable, not a
global: it holds for this thread only (a thread started inside does not see it), so a portal
serving other requests meanwhile keeps reading the checkout's rules. The loaders' caches are
keyed by path, so a folder's files must not change while it is in use (verify unpacks each
bundle into a fresh folder)."""

from __future__ import annotations

import contextlib
import contextvars
from pathlib import Path
from typing import Iterator

_PACKAGE = Path(__file__).resolve().parent

_ELSEWHERE: contextvars.ContextVar[dict[str, Path]] = contextvars.ContextVar("liftcheck_data_folders", default={})


def data_dir(name: str) -> Path:
    """The folder `name` inside the wheel (checker/_data/NAME) or at the checkout's top, unless
    `data_folders` points it elsewhere."""
    elsewhere = _ELSEWHERE.get().get(name)
    if elsewhere is not None:
        return elsewhere
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"liftcheck data folder {name!r} is missing from this installation")


@contextlib.contextmanager
def data_folders(**folders: Path) -> Iterator[None]:
    """Inside the block, data_dir(NAME) is the folder given as NAME=FOLDER."""
    token = _ELSEWHERE.set({**_ELSEWHERE.get(), **{name: Path(folder) for name, folder in folders.items()}})
    try:
        yield
    finally:
        _ELSEWHERE.reset(token)
