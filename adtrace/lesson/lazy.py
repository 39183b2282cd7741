"""A sequence made on demand: the steps of a section, the terms of a sum with thousands of parents.

`len` is known up front; an item is made when it is indexed or iterated, and never kept, so a view that
prints the head and the tail of a long sequence makes only those items, and one that prints all of them
holds one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Lazy(Sequence[T]):
    __slots__ = ("_count", "_make")

    def __init__(self, count: int, make: Callable[[int], T]) -> None:
        self._count, self._make = count, make

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, k: int) -> T: ...

    @overload
    def __getitem__(self, k: slice) -> list[T]: ...

    def __getitem__(self, k: int | slice) -> T | list[T]:
        if isinstance(k, slice):
            return [self._make(m) for m in range(*k.indices(self._count))]
        if k < 0:
            k += self._count
        if not 0 <= k < self._count:
            raise IndexError(k)
        return self._make(k)

    def __iter__(self) -> Iterator[T]:
        make = self._make
        for k in range(self._count):
            yield make(k)

    @staticmethod
    def of(items: Sequence[T]) -> Lazy[T]:
        return Lazy(len(items), items.__getitem__)

    def __repr__(self) -> str:
        return f"Lazy({self._count} items)"


class Kept(Lazy[T]):
    """A lazy sequence that keeps each item once made: a step's partials, which every line of its sum
    (symbols, rules, numbers) and its list of rules read again. Only the items asked for are made."""

    __slots__ = ("_made",)

    def __init__(self, count: int, make: Callable[[int], T]) -> None:
        self._made: dict[int, T] = {}
        super().__init__(count, self._keep(make))

    def _keep(self, make: Callable[[int], T]) -> Callable[[int], T]:
        made = self._made

        def get(k: int) -> T:
            item = made.get(k)
            if item is None:
                item = made[k] = make(k)
            return item

        return get
