"""Parse results as msgpack: data that can only ever become the classes listed here.

A parse-cache entry holds one `FileResult` (its `ParseOutput`, the model objects in it and
the file's suppressions). Unlike a pickle, decoding cannot import a module, call a function
or build a class that is not on the allow-list below: the model's pydantic classes (every
`BaseModel` subclass defined in ``aiinfralint.model``) and the few dataclasses around them.

Every array in the encoding starts with a tag, and most with a *mask*: bit i is set when
item i is itself an array that must be decoded (-1: look at every item), so the common
flat values (strings, numbers, tuples of them, maps of them) are taken as msgpack gave
them, without a Python-level look at each:

    [LIST|TUPLE|SET|FROZENSET, mask, *items]    [CLASS + i, mask, *field values in declaration order]
    [DICT, {key: value}]  (a map holding arrays; a map that holds none is itself)
    [DECIMAL, "1.25"]  [DATE, "2027-01-31"]

Map keys are strings; scalars are themselves. Model objects are rebuilt without
validation (their field values are exactly what was encoded from a validated object, and the
entry is signed), the way pydantic restores a pickled model; the dataclasses through their
``__init__``. Anything that is not exactly one of these shapes fails to decode (a cache
miss). The field layout follows the classes' declaration, which is part of the code
fingerprint, so a changed class never meets an entry written for its old shape.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

import msgspec  # safe, fast msgpack: decoding builds only dicts, lists and scalars
from pydantic import BaseModel

from aiinfralint.model import base, finding, k8s, prompt, provider, retrieval
from aiinfralint.parsers.base import ParseOutput, ParseProblem
from aiinfralint.pipeline.read import FileResult
from aiinfralint.pipeline.suppress import FileSuppressions, Suppression

LIST, TUPLE, SET, FROZENSET, DECIMAL, DATE, DICT = range(7)
CLASS = 16
_MAX_MASKED = 62  # longer sequences are marked -1 (msgpack integers are 64-bit)


class CodecError(ValueError):
    """A value the codec does not know, or data that is not a valid encoding."""


@cache
def allowed_classes() -> tuple[type, ...]:
    """The classes an entry may contain, in a fixed order (their tag is CLASS + index)."""
    models: list[type] = []
    for mod in (base, finding, k8s, prompt, provider, retrieval):
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == mod.__name__:
                models.append(obj)
    models.sort(key=lambda c: (c.__module__, c.__qualname__))
    return (FileResult, ParseOutput, ParseProblem, FileSuppressions, Suppression, *models)


@cache
def _layouts() -> tuple[dict[type, tuple[int, tuple[str, ...], bool]], list[Callable[[list[Any]], Any]]]:
    """For encoding: class -> (tag, field names, is a pydantic model); for decoding: one
    builder per tag offset, taking the whole tagged array."""
    setattr_ = object.__setattr__
    enc: dict[type, tuple[int, tuple[str, ...], bool]] = {}
    builders: list[Callable[[list[Any]], Any]] = []
    for i, cls in enumerate(allowed_classes()):
        if issubclass(cls, BaseModel):
            names = tuple(cls.model_fields)
        else:
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
            if any(not f.init for f in fields):
                raise TypeError(f"{cls.__name__} has fields outside __init__")
            names = tuple(f.name for f in fields)
        if len(names) > _MAX_MASKED:
            raise TypeError(f"{cls.__name__} has more than {_MAX_MASKED} fields")
        enc[cls] = (CLASS + i, names, issubclass(cls, BaseModel))

        if issubclass(cls, BaseModel):

            def build(v: list[Any], cls: Any = cls, names: tuple[str, ...] = names) -> Any:
                if len(v) - 2 != len(names):
                    raise CodecError(f"{cls.__name__}: {len(v) - 2} values for {len(names)} fields")
                d = dict(zip(names, v[2:]))
                if v[1]:
                    for j in _positions(v[1]):
                        name = names[j]
                        d[name] = _convert(d[name])
                obj = cls.__new__(cls)
                setattr_(obj, "__dict__", d)
                setattr_(obj, "__pydantic_fields_set__", set(names))
                setattr_(obj, "__pydantic_extra__", None)
                setattr_(obj, "__pydantic_private__", None)
                return obj

        else:

            def build(v: list[Any], cls: Any = cls, names: tuple[str, ...] = names) -> Any:
                if len(v) - 2 != len(names):
                    raise CodecError(f"{cls.__name__}: {len(v) - 2} values for {len(names)} fields")
                return cls(*_items(v))

        builders.append(build)
    return enc, builders


# encode ----------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool, type(None))


def _mask(items: list[Any]) -> int:
    mask = 0
    for i, y in enumerate(items):
        if type(y) is list:
            if i >= _MAX_MASKED:
                return -1
            mask |= 1 << i
    return mask


def _to_tree(v: Any, classes: dict[type, tuple[int, tuple[str, ...], bool]]) -> Any:
    t = type(v)
    if t in _SCALARS:
        return v
    if t is tuple or t is list:
        items = [_to_tree(x, classes) for x in v]
        return [TUPLE if t is tuple else LIST, _mask(items), *items]
    if t is dict:
        out = {}
        nested = False
        for k, x in v.items():
            if type(k) is not str:
                raise CodecError(f"a map key of type {type(k).__name__}")
            y = out[k] = _to_tree(x, classes)
            nested = nested or type(y) is list
        return [DICT, out] if nested else out
    if t is frozenset or t is set:
        items = sorted((_to_tree(x, classes) for x in v), key=repr)
        return [FROZENSET if t is frozenset else SET, _mask(items), *items]
    if t is Decimal:
        return [DECIMAL, str(v)]
    if t is datetime.date:
        return [DATE, v.isoformat()]
    layout = classes.get(t)
    if layout is None:
        raise CodecError(f"{t.__module__}.{t.__qualname__} is not a cacheable class")
    tag, names, is_model = layout
    if is_model:
        if v.__pydantic_extra__ or v.__pydantic_private__:
            raise CodecError(f"{t.__name__} with extra or private attributes")
        d = v.__dict__
        items = [_to_tree(d[n], classes) for n in names]
    else:
        items = [_to_tree(getattr(v, n), classes) for n in names]
    return [tag, _mask(items), *items]


def encode(result: FileResult) -> bytes:
    """The msgpack bytes of `result`; CodecError if it holds anything not on the allow-list."""
    return msgspec.msgpack.encode(_to_tree(result, _layouts()[0]))


# decode ----------------------------------------------------------------------------------

_POSITIONS: dict[int, tuple[int, ...]] = {}


def _positions(mask: int) -> tuple[int, ...]:
    """The set bits of a mask (a handful of distinct masks per class: remembered)."""
    found = _POSITIONS.get(mask)
    if found is None:
        if type(mask) is not int or not 0 < mask < 1 << _MAX_MASKED:
            raise CodecError(f"bad mask {mask!r}")
        found = tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
        if len(_POSITIONS) < 4096:
            _POSITIONS[mask] = found
    return found


def _items(v: list[Any]) -> list[Any]:
    """The items of a masked array, each decoded where its mask says so."""
    mask = v[1]
    items = v[2:]
    if mask == -1:
        return [_convert(x) if type(x) is list else x for x in items]
    if mask:
        for j in _positions(mask):
            items[j] = _convert(items[j])
    return items


def _convert(v: list[Any]) -> Any:
    tag = v[0]
    if type(tag) is not int:
        raise CodecError("an array without a tag")
    if tag >= CLASS:
        return _BUILDERS[tag - CLASS](v)
    if tag == TUPLE:
        return tuple(_items(v) if v[1] else v[2:])
    if tag == LIST:
        return _items(v) if v[1] else v[2:]
    if tag == DICT:
        d = v[1]
        if type(d) is not dict:
            raise CodecError("DICT without a map")
        return {k: _convert(x) if type(x) is list else x for k, x in d.items()}
    if tag == FROZENSET:
        return frozenset(_items(v) if v[1] else v[2:])
    if tag == SET:
        return set(_items(v))
    if tag == DECIMAL and len(v) == 2 and type(v[1]) is str:
        return Decimal(v[1])
    if tag == DATE and len(v) == 2 and type(v[1]) is str:
        return datetime.date.fromisoformat(v[1])
    raise CodecError(f"bad array tag {tag}")


_BUILDERS: list[Callable[[list[Any]], Any]] = []
_decoder = msgspec.msgpack.Decoder()


def decode(data: bytes) -> FileResult:
    """The `FileResult` encoded in `data`; CodecError (or ValueError) if it is not one."""
    if not _BUILDERS:
        _BUILDERS.extend(_layouts()[1])
    try:
        tree = _decoder.decode(data)
        value = _convert(tree) if type(tree) is list else tree
    except (msgspec.DecodeError, TypeError, IndexError, KeyError, AttributeError, ArithmeticError) as exc:
        raise CodecError(str(exc)) from None
    if type(value) is not FileResult:
        raise CodecError("not a FileResult")
    return value
