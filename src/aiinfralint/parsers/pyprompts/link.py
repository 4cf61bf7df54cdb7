"""Project-wide resolution of Python prompts: text defined in another checked module.

Each file is read on its own (in a worker, cached by content). There a name that is neither
local nor a module constant but imported (`from .prompts import lead_prompt`, `import
pkg.prompts as P` then `P.SYSTEM`, an imported class's attribute `self.prompts.main`), or a
prompt file read from disk (`(Path(__file__).parent / "system.md").read_text()`), becomes a
slot marked `unresolved`, with a `LinkRef` saying where its text lives; a call of an imported
function (`build_prompt(date=...)`) is marked too, but stays the slot it was if it cannot be
read. After every file is parsed, `link` runs once in the main process: for each file holding
such a slot it maps the imports to checked `.py` files (relative imports from the file's
package; absolute ones by path suffix, `a/b.py` or `a/b/__init__.py`, so src-layouts work),
reads those modules' definitions (`extract.definitions`: constants, class attributes, small
functions returning text) and reads the file again with an external lookup over them, so
`.format(date=...)` on an imported template is substituted by the same code as on a local one.
A notebook is read again the same way (its code cells as one module, `notebooks.read_again`),
so `from prompts import SYSTEM` in a cell takes the text of the project's `prompts.py`.

Text inserted from another module is reported where it is used: its segments take the span of
the placeholder in the prompt's own file (suppressions and fingerprints stay in that file).
Bounded: an imported module may itself import the text, followed at most `MAX_HOPS` modules
deep; each module is parsed at most once per run; an import cycle is cut. What still cannot be
read (a module that is not checked, a value built at run time) stays a slot saying why.
Files are read only through the `load` callback the pipeline gives (inside the checked roots).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.prompt import LinkRef, PromptTemplate, Segment
from aiinfralint.parsers import notebooks
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.pyprompts.evaluate import FILE_LINK
from aiinfralint.parsers.pyprompts.extract import definitions
from aiinfralint.parsers.pyprompts.ir import CONSTANT_KIND, Definition, ExternalLookup, Part
from aiinfralint.parsers.pyprompts.scope import Imported, bound_import, imports
from aiinfralint.parsers.pyprompts.source import Source
from aiinfralint.parsers.pysource import module
from aiinfralint.parsers.python_prompts import read_templates

MAX_HOPS = 4
# the files whose prompts are read again: Python modules and notebooks (their code cells as one module)
RELINKED = (".py", ".ipynb")
# a checked file's path (as the run shows it) -> its text, or None (not readable, outside the roots)
Loader = Callable[[str], str | None]


def needs_link(objects: Iterable[ModelObject]) -> bool:
    """Whether some Python prompt takes text from another module (a run without one pays nothing more)."""
    return any(isinstance(o, PromptTemplate) and any(s.link is not None for s in o.segments) for o in objects)


def link(objects: Sequence[ModelObject], py_files: Iterable[str], load: Loader) -> list[ModelObject]:
    """`objects` with the imported text of their Python prompts read from the checked modules."""
    linker = _Linker(py_files, load)
    out: list[ModelObject] = []
    relinked: dict[str, dict[str, PromptTemplate]] = {}
    for o in objects:
        if not isinstance(o, PromptTemplate) or not any(s.link is not None for s in o.segments):
            out.append(o)
            continue
        path = o.span.path
        if path not in relinked:
            relinked[path] = linker.relink(path) if path.endswith(RELINKED) else {}
        new = relinked[path].get(o.name)
        if new is not None:
            out.append(linker.finish(o, new))
        else:
            out.append(linker.explain(o) if path.endswith(RELINKED) else o)
    return out


@dataclass
class _Module:
    """One checked module as the linker read it (at most once per run)."""

    names: dict[str, Definition] = field(default_factory=dict)
    imports: dict[str, Imported] = field(default_factory=dict)


class _Linker:
    def __init__(self, py_files: Iterable[str], load: Loader) -> None:
        self.files = {p for p in py_files if p.endswith(".py")}
        self.by_tail: dict[str, list[str]] = {}
        for p in sorted(self.files):
            self.by_tail.setdefault(p.rsplit("/", 1)[-1], []).append(p)
        self.load = load
        self.modules: dict[str, _Module] = {}
        self.texts: dict[str, Definition | None] = {}
        self.busy: set[str] = set()

    # --- modules --------------------------------------------------------------------------

    def path_of(self, importer: str, name: str, level: int) -> str | None:
        """The checked file a module name denotes, seen from the file `importer`."""
        parts = [p for p in name.split(".") if p]
        if level:
            base = importer.split("/")[:-1]
            if level - 1 > len(base):
                return None
            base = base[: len(base) - (level - 1)]
            for cand in ("/".join([*base, *parts]) + ".py", "/".join([*base, *parts, "__init__.py"])):
                if cand.lstrip("/") in self.files:
                    return cand.lstrip("/")
            return None
        if not parts:
            return None
        for tail in ("/".join(parts) + ".py", "/".join([*parts, "__init__.py"])):
            found = [p for p in self.by_tail.get(tail.rsplit("/", 1)[-1], ()) if p == tail or p.endswith("/" + tail)]
            if found:
                # the nearest to the importer (a monorepo may hold several packages of that name)
                return max(found, key=lambda p: (_shared(p, importer), -len(p)))
        return None

    def read(self, path: str, hops: int) -> _Module:
        """A module's definitions, following its own imports up to `MAX_HOPS` (a cycle is cut)."""
        if path in self.modules:
            return self.modules[path]
        if path in self.busy:
            return _Module()
        text = self.load(path)
        parsed = module(FileInput(path, text)) if text is not None else None
        if parsed is None or parsed.tree is None or text is None:
            self.modules[path] = _Module()
            return self.modules[path]
        self.busy.add(path)
        try:
            table = imports(parsed.tree)
            external = self.lookup(path, table, hops + 1) if hops < MAX_HOPS else None
            defs = definitions(path, parsed.tree, Source(text), external)
        except RecursionError:
            defs, table = (), {}
        finally:
            self.busy.discard(path)
        found = _Module({d.name: d for d in defs}, table)
        self.modules[path] = found
        return found

    def lookup(self, importer: str, table: dict[str, Imported], hops: int) -> ExternalLookup:
        """Names imported by `importer`, looked up in the modules they come from."""

        def find(name: str) -> Definition | None:
            if name.startswith(FILE_LINK):
                return self.prompt_file(importer, name[len(FILE_LINK) :])
            found = bound_import(table, name)
            if found is None or hops > MAX_HOPS:
                return None
            imp, rest = found
            for mod, symbol in _candidates(imp, rest):
                path = self.path_of(importer, mod, imp.level)
                if path is None or not symbol:
                    continue
                target = self.read(path, hops)
                d = target.names.get(symbol)
                if d is None and bound_import(target.imports, symbol) is not None and hops < MAX_HOPS:
                    d = self.lookup(path, target.imports, hops + 1)(symbol)  # re-exported
                if d is not None:
                    return d
            return None

        return find

    def prompt_file(self, importer: str, rel: str) -> Definition | None:
        """The text of a prompt file read by `importer` (a path relative to its folder)."""
        path = file_path(importer, rel)
        if path is None:
            return None
        if path not in self.texts:
            text = self.load(path)
            part = Part("text", text or "", path, 1, 1)
            self.texts[path] = Definition(path, rel, CONSTANT_KIND, 1, (part,)) if text is not None else None
        return self.texts[path]

    # --- templates ------------------------------------------------------------------------

    def relink(self, path: str) -> dict[str, PromptTemplate]:
        """The templates of `path` (a module, or a notebook's code cells), read again with the names it
        imports resolved."""
        text = self.load(path)
        if text is None:
            return {}
        f = FileInput(path, text)
        templates = notebooks.read_again(f, self.templates) if path.endswith(".ipynb") else self.templates(f)
        return {t.name: t for t in templates}

    def templates(self, f: FileInput) -> list[PromptTemplate]:
        """The templates of one Python module with its imported names looked up."""
        parsed = module(f)
        if parsed.tree is None:
            return []
        try:
            return read_templates(f.path, parsed.tree, f.text, self.lookup(f.path, imports(parsed.tree), 0))
        except RecursionError:
            return []

    def finish(self, old: PromptTemplate, new: PromptTemplate) -> PromptTemplate:
        """`new` with the text from other files placed where it is used in `old`'s file."""
        path = old.span.path
        placeholders = [s for s in old.segments if s.link is not None]
        spans: dict[str, Span] = {}
        for s in placeholders:
            assert s.link is not None
            if s.link.file is not None:
                spans.setdefault(file_path(path, s.link.file) or "", s.span)
            for mod in _modules(s.link):
                target = self.path_of(path, mod, s.link.level)
                if target is not None:
                    spans.setdefault(target, s.span)
        default = placeholders[0].span
        segments = tuple(
            s if s.span.path == path else s.model_copy(update={"span": spans.get(s.span.path, default)})
            for s in new.segments
        )
        return self.explain(new.model_copy(update={"segments": segments}))

    def explain(self, t: PromptTemplate) -> PromptTemplate:
        """A slot still unread says why: its module is not checked, or its value is not text."""
        if not any(s.link is not None for s in t.segments):
            return t
        path = t.span.path
        segments = tuple(self._why(path, s) if s.link is not None else s for s in t.segments)
        return t.model_copy(update={"segments": segments})

    def _why(self, path: str, s: Segment) -> Segment:
        ref = s.link
        assert ref is not None
        if ref.call:
            return s.model_copy(update={"link": None})  # a call of something that is not a text function
        if ref.file is not None:
            return s.model_copy(
                update={"unresolved": f"prompt file `{ref.file}` read from disk, not found in the checked tree"}
            )
        where = "." * ref.level + ref.module
        if not any(self.path_of(path, m, ref.level) for m in _modules(ref)):
            why = f"template `{ref.name}` imported from `{where}`, a module that is not among the checked files"
        else:
            why = f"template `{ref.name}` imported from `{where}` is not a string the module defines"
        return s.model_copy(update={"unresolved": why})


def _candidates(imp: Imported, rest: str) -> list[tuple[str, str]]:
    """(module, symbol) pairs an imported name may denote: `from pkg import x` is `pkg`'s `x`, or module `pkg.x`."""
    if imp.name is None:
        return [(imp.module, rest)]
    joined = ".".join(p for p in (imp.name, rest) if p)
    return [(imp.module, joined), (".".join(p for p in (imp.module, imp.name) if p), rest)]


def file_path(importer: str, rel: str) -> str | None:
    """The path, as the run shows paths, of a file named relative to the folder of `importer`."""
    folder = posixpath.dirname(importer)
    joined = posixpath.normpath(posixpath.join(folder, rel)) if folder else posixpath.normpath(rel)
    return None if joined in (".", "") else joined


def _modules(ref: LinkRef) -> list[str]:
    """The module names a link may point at (`from pkg import prompts`: `pkg`, or `pkg.prompts`)."""
    if ref.file is not None:
        return []
    head = ref.name.split(".", 1)[0]
    return [m for m, _ in _candidates(Imported(ref.module, ref.level, head), "")]


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
