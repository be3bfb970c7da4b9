"""Frozen dataclasses that cost less to define: most of the package's own start-up was spent there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar

_Class = TypeVar("_Class", bound=type)


def frozen(cls: _Class) -> _Class:
    """`@dataclass(frozen=True, slots=True)` with the same __eq__, __hash__ and __repr__, written
    once here: dataclasses generates (compiles) each of them anew for every class, which made
    this module alone a tenth of a command's start-up."""
    if not cls.__doc__:  # else dataclasses works out the signature to write one (costly)
        cls.__doc__ = cls.__name__
    made = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    compared = [f.name for f in fields(made) if f.compare]
    hashed = [f.name for f in fields(made) if (f.compare if f.hash is None else f.hash)]
    shown = [f.name for f in fields(made) if f.repr]

    def values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
        if len(names) == 1:
            one = attrgetter(names[0])
            return lambda obj: (one(obj),)
        return attrgetter(*names) if names else lambda obj: ()

    key, hash_key = values(compared), values(hashed)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hash_key(self))

    def __repr__(self: Any) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inside})"

    for method in (__eq__, __hash__, __repr__):
        if method.__name__ not in cls.__dict__:  # as dataclasses does: the class's own wins
            method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
            setattr(made, method.__name__, method)
    return made
