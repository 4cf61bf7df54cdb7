"""The whole project as rules see it: every object from every file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TypeVar

from aiinfralint.model.base import ModelObject

T = TypeVar("T", bound=ModelObject)


class Project:
    """All model objects of a run, indexed by type (including base classes)."""

    def __init__(self, objects: Iterable[ModelObject] = ()) -> None:
        self.objects: list[ModelObject] = list(objects)
        self._by_type: dict[type, list[ModelObject]] = defaultdict(list)
        for obj in self.objects:
            for cls in type(obj).__mro__:
                if cls is object:
                    break
                self._by_type[cls].append(obj)

    def of_type(self, cls: type[T]) -> Iterator[T]:
        yield from self._by_type.get(cls, ())  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.objects)
