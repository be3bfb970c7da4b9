"""`frozen` is `@dataclass(frozen=True, slots=True)`: the same equality, hash, repr and errors."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from safecity_cli.records import frozen


@frozen
class Pair:
    a: int
    b: str = "x"
    memo: dict[str, int] = dataclasses.field(
        default_factory=dict, compare=False, repr=False, hash=False
    )


@frozen
class One:
    a: int

    def __repr__(self) -> str:
        return f"One#{self.a}"


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    a: int
    b: str = "x"
    memo: dict[str, int] = dataclasses.field(
        default_factory=dict, compare=False, repr=False, hash=False
    )


def test_frozen_behaves_as_the_dataclass_it_stands_for() -> None:
    pair, ref = Pair(1, "y", {"k": 1}), Reference(1, "y", {"k": 1})
    assert pair == Pair(1, "y") and pair != Pair(2, "y") and pair != (1, "y")
    assert (pair == ref) is False  # another class, as a dataclass compares
    assert hash(pair) == hash(Pair(1, "y")) == hash((1, "y"))
    assert repr(pair) == repr(ref).replace("Reference", "Pair") == "Pair(a=1, b='y')"
    assert dataclasses.is_dataclass(pair) and [f.name for f in dataclasses.fields(pair)] == [
        "a",
        "b",
        "memo",
    ]
    assert dataclasses.replace(pair, b="z") == Pair(1, "z")
    assert pickle.loads(pickle.dumps(pair)) == pair
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.a = 2  # type: ignore[misc]
    assert {pair, Pair(1, "y")} == {pair}


def test_a_class_keeps_its_own_methods_and_one_field_compares_as_a_tuple() -> None:
    assert repr(One(3)) == "One#3"
    assert One(3) == One(3) and hash(One(3)) == hash((3,)) and One(3) != One(4)
