"""Helm charts and Kustomize kustomizations: rendered once each, before files are parsed.

A folder with ``Chart.yaml`` is rendered with ``helm template``, a folder with
``kustomization.yaml`` with ``kubectl kustomize`` (or ``kustomize build``); each rendered
object is parsed under the path of the file it came from (Helm's ``# Source:`` comments,
Kustomize's ``config.kubernetes.io/origin`` annotations) at the line of its ``kind:`` there,
or of the key a finding names when the file has it. The files a render used (templates,
values files, patches, resources) are not linted on their own. An object that several top-level
kustomizations build from one file (a base of overlays) is one object per build, each named
by its kustomization folder (``Deployment default/x (kustomize overlay overlays/prod)``): two
overlays are two deployments, listed and counted apart.

What runs here runs on untrusted pull requests next to CI secrets (docs/security.md):

* never a plugin, never the network: kustomize without ``--enable-alpha-plugins``,
  ``--enable-exec`` or ``--enable-helm`` and with ``--load-restrictor
  LoadRestrictionsRootOnly``; a kustomization naming a URL, an absolute path, a path outside
  the checked folder (symlinks resolved) or ``helmCharts`` is not built (skipped, with the
  reason); ``helm template`` without ``--dependency-update``, on a copy of the chart that
  holds its regular files only (no symlink is followed);
* each command runs with a time limit and an output cap, in a temporary folder, with an
  environment of ``PATH`` and a temporary ``HOME`` only (no ``KUBECONFIG``, no tokens).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from aiinfralint.config import Config
from aiinfralint.fileio import read_bytes
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.pipeline.discovery import Candidate, display_path
from aiinfralint.pipeline.parallel import default_jobs
from aiinfralint.pipeline.read import FileResult
from aiinfralint.pipeline.suppress import parse_suppressions
from aiinfralint.yamlsafe import YamlError, YList, YMap, load_documents

TIME_LIMIT = 60.0  # seconds per helm/kustomize command
OUTPUT_CAP = 32 * 1024 * 1024  # bytes of rendered output per command
COPY_CAP = 64 * 1024 * 1024  # bytes of a chart copied for helm
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # with Chart.yaml: RENDER_MARKERS
HELM_HINT = "Helm chart not rendered: helm is not on PATH (install it: https://helm.sh/docs/intro/install/)"
_ORIGIN = "config.kubernetes.io/origin"
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|git::|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=", re.I)
# fields of a kustomization that name files or folders it reads
_PATH_LISTS = ("resources", "bases", "components", "crds", "configurations", "generators", "transformers", "validators")
_REFUSED_KEYS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals")


class RenderError(Exception):
    """A chart or kustomization that is not rendered; the message is the skip reason."""


@dataclass
class RenderedDoc:
    """One rendered document: its text, the line of its object in the source file, the
    display path of the kustomization folder that built it ("" for a chart) and the
    object's (kind, namespace, name)."""

    text: str
    anchor: int
    built_by: str = ""
    ident: tuple[str | None, str | None, str | None] = (None, None, None)


@dataclass
class Rendered:
    """Documents rendered for one source file."""

    docs: list[RenderedDoc] = field(default_factory=list)

    def overlays(self) -> list[str]:
        """For each document, the kustomization folder its object is told apart by: the one
        that built it when other kustomizations build the same object from this file (a base
        of several overlays: one object per overlay), else ""."""
        builders: dict[tuple[str | None, str | None, str | None], set[str]] = {}
        for d in self.docs:
            builders.setdefault(d.ident, set()).add(d.built_by)
        return [d.built_by if len(builders[d.ident]) > 1 else "" for d in self.docs]


@dataclass
class RenderPlan:
    """What rendering decided: candidates left to parse as files, rendered sources, skips."""

    candidates: list[Candidate]
    sources: dict[str, Rendered] = field(default_factory=dict)  # display path -> documents
    paths: dict[str, Path] = field(default_factory=dict)  # display path -> absolute path
    skipped: list[tuple[str, str]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # display path -> source text read


def minimal_env(home: str) -> dict[str, str]:
    """PATH and a temporary HOME: no credentials, no kubeconfig, no helm repositories or plugins.

    The Go runtime collects garbage less often (``GOGC=400``, a third less processor time for a
    kustomize build: 30 builds of the corpus 1.9 s user vs 1.3 s), and never lets the heap
    grow past ``GOMEMLIMIT`` without collecting.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "GOGC": "400", "GOMEMLIMIT": "1GiB"}
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_PLUGINS"):
        env[name] = os.path.join(home, name.lower())
    env["KUBECONFIG"] = os.path.join(home, "no-kubeconfig")
    return env


def _limit_output() -> None:
    """In the child: no file it writes (its output included) may grow past OUTPUT_CAP."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_CAP + 1, OUTPUT_CAP + 1))


_SPAWN = threading.Lock()
# kubectl's log prefix (level, date, time, pid, source line): not part of the reason, and never
# the same twice
_KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] ")


def run_tool(argv: Sequence[str], home: str) -> str:
    """Run one command in `home` with the minimal environment, a time limit and an output cap."""
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            # one start at a time: the child runs `_limit_output` between fork and exec, and no
            # other thread of ours may be forking then (the waits below run side by side)
            with _SPAWN:
                proc = subprocess.Popen(
                    list(argv),
                    cwd=home,
                    env=minimal_env(home),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    preexec_fn=_limit_output if sys.platform.startswith("linux") else None,
                )
            try:
                proc.wait(timeout=TIME_LIMIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RenderError(f"{argv[0]} took longer than {TIME_LIMIT:g} s") from None
            if out.tell() > OUTPUT_CAP or proc.returncode == -signal.SIGXFSZ:
                raise RenderError(f"{argv[0]} wrote more than {OUTPUT_CAP // (1024 * 1024)} MiB")
            out.seek(0)
            err.seek(0)
            text = out.read().decode("utf-8", errors="replace")
            if proc.returncode != 0:
                raw = err.read(4096).decode("utf-8", errors="replace").splitlines()
                lines = [ln for ln in raw if ln.strip() not in ("", ">")]  # `>` closes kubectl's err=<
                last = " ".join(_KLOG.sub("", lines[-1]).split()) if lines else f"exit {proc.returncode}"
                raise RenderError(f"{argv[0]} failed: {'...' + last[-240:] if len(last) > 240 else last}")
            return text
    except OSError as exc:
        raise RenderError(f"cannot run {argv[0]}: {exc.strerror}") from None


def _within(path: str, root: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == root or real.is_relative_to(root)


def _load_map(path: Path) -> YMap | None:
    data, _ = read_bytes(str(path))
    if data is None:
        return None
    try:
        docs = list(load_documents(data.decode("utf-8", errors="replace")))
    except YamlError:
        return None
    return docs[0] if docs and isinstance(docs[0], YMap) else None


def _strings(node: Any) -> list[str]:
    return [x for x in node if isinstance(x, str)] if isinstance(node, YList) else []


@dataclass
class Kustomization:
    """What one kustomization file reads: folders it builds on, files it uses, patches."""

    file: Path
    dirs: list[Path] = field(default_factory=list)  # resources/bases/components that are folders
    files: list[Path] = field(default_factory=list)  # resources that are files
    patches: list[Path] = field(default_factory=list)
    refused: str | None = None


def read_kustomization(file: Path, root: Path) -> Kustomization:
    """The kustomization in `file`, or why it is refused (a URL, outside `root`, helmCharts)."""
    k = Kustomization(file)
    doc = _load_map(file)
    if doc is None:
        k.refused = "kustomization is not a YAML mapping"
        return k
    here = file.parent
    refs: list[str] = [r for key in _PATH_LISTS for r in _strings(doc.get(key))]
    for key in ("patches", "patchesJson6902", "replacements"):
        for item in doc.get(key) or []:
            if isinstance(item, YMap) and isinstance(item.get("path"), str):
                k.patches.append(here / item["path"])
    for item in _strings(doc.get("patchesStrategicMerge")):
        if "\n" not in item:
            k.patches.append(here / item)
    for gen in ("configMapGenerator", "secretGenerator"):
        for item in doc.get(gen) or []:
            if isinstance(item, YMap):
                refs += [f.rsplit("=", 1)[-1] for f in _strings(item.get("files")) + _strings(item.get("envs"))]
                if isinstance(item.get("env"), str):
                    refs.append(item["env"])
    for key in _REFUSED_KEYS:
        if key in doc:
            k.refused = f"kustomization uses {key} (not built: charts would be fetched and rendered by kustomize)"
    for ref in refs:
        if _REMOTE.search(ref):
            k.refused = f"kustomization names a remote resource {ref!r} (not built: no network)"
        elif os.path.isabs(ref) or not _within(str(here / ref), root):
            k.refused = f"kustomization names {ref!r} outside the checked folder (not built)"
    for p in k.patches:
        if not _within(str(p), root):
            k.refused = f"kustomization names {display_path(p, here)!r} outside the checked folder (not built)"
    if k.refused is None:
        for ref in _strings(doc.get("resources")) + _strings(doc.get("bases")) + _strings(doc.get("components")):
            target = Path(os.path.normpath(here / ref))
            (k.dirs if target.is_dir() else k.files).append(target)
    return k


def kustomize_command() -> list[str] | None:
    """`kubectl kustomize` or `kustomize build` (whichever is on PATH), without plugin flags."""
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsRootOnly"]
    if shutil.which("kustomize"):
        return ["kustomize", "build", "--load-restrictor", "LoadRestrictionsRootOnly"]
    return None


def build_kustomization(folder: Path, command: Sequence[str]) -> list[tuple[str, str | None]]:
    """(document, absolute origin file or None) of `folder`'s build: `command` runs on a wrapper
    kustomization in a temporary folder that asks for origin annotations, so the checked tree
    is never written to."""
    with tempfile.TemporaryDirectory(prefix="aiinfralint-kustomize-") as home:
        wrap = Path(home) / "wrap"
        wrap.mkdir()
        rel = os.path.relpath(folder, wrap)
        (wrap / "kustomization.yaml").write_text(
            f"resources:\n- {rel!r}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8"
        )
        text = run_tool([*command, str(wrap)], home)
    out: list[tuple[str, str | None]] = []
    for doc_text in split_documents(text):
        origin = origin_of(doc_text)
        out.append((doc_text, os.path.normpath(wrap / origin) if origin else None))
    return out


# kustomize writes the origin annotation as a literal block: read it without parsing the document
_ORIGIN_BLOCK = re.compile(r"^([ \t]+)config\.kubernetes\.io/origin:[ \t]*\|[-+]?[ \t]*\n((?:\1[ \t]+\S.*\n?)*)", re.M)


def origin_of(doc_text: str) -> str | None:
    """The file a built document came from, as its origin annotation names it (relative to the
    build's folder), or None."""
    if _ORIGIN not in doc_text:
        return None
    m = _ORIGIN_BLOCK.search(doc_text)
    if m is not None:
        return _origin_path(m.group(2))
    try:  # written some other way (a quoted string): read it as YAML
        docs = list(load_documents(doc_text))
    except YamlError:
        return None
    return _origin(docs[0]) if docs and isinstance(docs[0], YMap) else None


def split_documents(text: str) -> list[str]:
    """Documents of a rendered stream, each with its leading comments."""
    return [d for d in re.split(r"^---[ \t]*$", text, flags=re.M) if d.strip()]


def _origin(doc: YMap) -> str | None:
    meta = doc.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, YMap) else None
    raw = ann.get(_ORIGIN) if isinstance(ann, YMap) else None
    return _origin_path(raw) if isinstance(raw, str) else None


def _origin_path(raw: str) -> str | None:
    m = re.search(r"^\s*path:\s*(\S.*)$", raw, re.M) or re.search(r"^\s*configuredIn:\s*(\S.*)$", raw, re.M)
    return m.group(1).strip() if m else None


def anchor_line(source_text: str, kind: str | None, name: str | None) -> int:
    """The line of the object of `kind` named `name` in a source file (its `kind:` line), else
    the first `kind:` line of that kind, else 1."""
    lines = source_text.splitlines()
    kinds = [i for i, ln in enumerate(lines) if kind and re.match(rf"\s*kind:\s*[\"']?{re.escape(kind)}[\"']?\s*$", ln)]
    if name:
        for i in kinds:
            window = "\n".join(lines[max(0, i - 8) : i + 12])
            if re.search(rf"^\s*name:\s*[\"']?{re.escape(name)}[\"']?\s*$", window, re.M):
                return i + 1
    return kinds[0] + 1 if kinds else 1


def kind_and_name(doc: YMap) -> tuple[str | None, str | None]:
    kind = doc.get("kind")
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, YMap) else None
    return (kind if isinstance(kind, str) else None, name if isinstance(name, str) else None)


def remap_spans(value: Any, fix: Callable[[Span], Span]) -> Any:
    """`value` (a model object, or a list/dict/tuple of them) with every Span passed through `fix`."""
    if isinstance(value, Span):
        return fix(value)
    if isinstance(value, BaseModel):
        updates = {}
        for name in type(value).model_fields:
            old = getattr(value, name)
            new = remap_spans(old, fix)
            if new is not old:
                updates[name] = new
        return value.model_copy(update=updates) if updates else value
    if isinstance(value, list | tuple):
        items = [remap_spans(v, fix) for v in value]
        return type(value)(items) if any(a is not b for a, b in zip(items, value)) else value
    if isinstance(value, dict):
        out = {k: remap_spans(v, fix) for k, v in value.items()}
        return out if any(out[k] is not value[k] for k in value) else value
    return value


def _copy_chart(src: Path, dst: Path) -> None:
    """The chart's regular files (no symlink, no .git), at most COPY_CAP bytes."""
    total = 0
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != ".git" and not os.path.islink(os.path.join(folder, d))]
        target = dst / os.path.relpath(folder, src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            total += os.path.getsize(path)
            if total > COPY_CAP:
                raise RenderError(f"chart larger than {COPY_CAP // (1024 * 1024)} MiB (not rendered)")
            shutil.copyfile(path, target / name)


def _missing_dependencies(chart: Path) -> list[str]:
    doc = _load_map(chart / "Chart.yaml")
    deps = doc.get("dependencies") if doc is not None else None
    req = _load_map(chart / "requirements.yaml")
    if not isinstance(deps, YList) and req is not None:
        deps = req.get("dependencies")
    have = {p.name for p in (chart / "charts").iterdir()} if (chart / "charts").is_dir() else set()
    missing: list[str] = []
    for dep in deps if isinstance(deps, YList) else []:
        name = dep.get("name") if isinstance(dep, YMap) else None
        if isinstance(name, str) and name not in have and not any(h.startswith(f"{name}-") for h in have):
            missing.append(name)
    return missing


def render_chart(chart: Path, values: Sequence[str]) -> list[tuple[str, str]]:
    """(document, template path relative to the chart) of `helm template` on a copy of `chart`."""
    missing = _missing_dependencies(chart)
    if missing:
        raise RenderError(
            f"Helm chart not rendered: dependencies {', '.join(missing)} are not in charts/ "
            "(never fetched: run helm dependency build and commit them, or exclude the chart)"
        )
    with tempfile.TemporaryDirectory(prefix="aiinfralint-helm-") as home:
        copy = Path(home) / "chart"
        _copy_chart(chart, copy)
        argv = ["helm", "template", "release", str(copy)]
        for name in values:
            if not _within(str(chart / name), chart.resolve()) or not (chart / name).is_file():
                raise RenderError(f"values file {name!r} is not a file inside the chart")
            argv += ["--values", str(copy / name)]
        text = run_tool(argv, home)
    return source_documents(text)


def source_documents(text: str) -> list[tuple[str, str]]:
    """(document, template path relative to the chart) for each `# Source:` document of helm output."""
    out: list[tuple[str, str]] = []
    for doc in split_documents(text):
        m = re.search(r"^# Source: ([^\n]+)$", doc, re.M)
        if m is None or not doc[m.end() :].strip():
            continue
        parts = m.group(1).strip().split("/", 1)
        if len(parts) == 2:
            out.append((doc, parts[1]))
    return out


def _is_marker(c: Candidate) -> bool:
    return c.path.name == "Chart.yaml" or c.path.name in KUSTOMIZATION_NAMES


def _under(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _members(candidates: Sequence[Candidate], folders: Sequence[Path]) -> dict[Path, list[Path]]:
    """The candidates inside each folder (by path prefix: one pass, not folders x files)."""
    out: dict[Path, list[Path]] = {f: [] for f in folders}
    by_name = {str(f): f for f in folders}
    for c in candidates:
        path = _norm(c.path)
        for parent in path.parents:
            folder = by_name.get(str(parent))
            if folder is not None:
                out[folder].append(path)
    return out


def _norm(path: Path) -> Path:
    """`path` without `..` parts (a checked path given as `../repo`): kustomizations name their
    bases as normalised paths, and candidates are compared with them."""
    return Path(os.path.normpath(path))


T = TypeVar("T")
R = TypeVar("R")


def _each(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R | RenderError]:
    """`fn` of each item, side by side in up to `jobs` threads (each mostly waits on a
    subprocess, which releases the GIL), in the order of `items`; a RenderError is returned."""

    def one(item: T) -> R | RenderError:
        try:
            return fn(item)
        except RenderError as exc:
            return exc

    if jobs <= 1 or len(items) <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(jobs, len(items)), thread_name_prefix="aiinfralint-render") as pool:
        return list(pool.map(one, items))


class _Planner:
    def __init__(
        self, candidates: Sequence[Candidate], config: Config, cwd: Path, roots: Sequence[Path], jobs: int
    ) -> None:
        self.plan = RenderPlan(list(candidates))
        self.config = config
        self.cwd = cwd
        self.roots = [r.resolve() for r in roots]
        self.jobs = jobs
        self.consumed: set[Path] = set()
        self.texts: dict[Path, str] = {}  # source file -> its text, read once

    def root_of(self, path: Path) -> Path:
        real = path.resolve()
        for r in sorted(self.roots, key=lambda p: len(p.parts), reverse=True):
            if _under(real, r):
                return r
        return real.parent

    def source_text(self, file: Path) -> str:
        if file not in self.texts:
            data, _ = read_bytes(str(file))
            self.texts[file] = data.decode("utf-8", errors="replace") if data is not None else ""
        return self.texts[file]

    def add(self, file: Path, doc: str, built_by: str = "") -> None:
        """`doc`, rendered from `file` (by the kustomization folder `built_by`, or a chart)."""
        display = display_path(file, self.cwd)
        try:
            first = next(iter(load_documents(doc)), None)
        except YamlError:
            first = None
        kind, name = kind_and_name(first) if isinstance(first, YMap) else (None, None)
        meta = first.get("metadata") if isinstance(first, YMap) else None
        ns = meta.get("namespace") if isinstance(meta, YMap) else None
        rendered = self.plan.sources.setdefault(display, Rendered())
        self.plan.paths[display] = file
        # a base built by two overlays is two objects (two deployments), each named by its overlay
        if all(d.text != doc or d.built_by != built_by for d in rendered.docs):
            anchor = anchor_line(self.source_text(file), kind, name)
            ident = (kind, ns if isinstance(ns, str) else None, name)
            rendered.docs.append(RenderedDoc(doc, anchor, built_by, ident))

    def charts(self, charts: list[Path]) -> None:
        helm = shutil.which("helm")
        home = Path(os.path.abspath(self.config.source)).parent if self.config.source else self.cwd
        wanted = {os.path.normpath(home / k): v for k, v in self.config.helm.values.items()}

        def render(chart: Path) -> list[tuple[str, str]]:
            if helm is None:
                raise RenderError(HELM_HINT)
            return render_chart(chart, wanted.get(os.path.normpath(chart), []))

        inside = _members(self.plan.candidates, charts)
        for chart, built in zip(charts, _each(render, charts, self.jobs)):
            if isinstance(built, RenderError):
                self.plan.skipped.append((display_path(chart, self.cwd), str(built)))
                self.consumed |= {p for p in inside[chart] if "templates" in p.relative_to(chart).parts}
                continue
            for doc, rel in built:
                self.add(chart / rel, doc)
            self.consumed |= set(inside[chart])

    def kustomizations(self, files: list[Path]) -> None:
        ks = {f.parent: read_kustomization(f, self.root_of(f)) for f in files}
        used = {d for k in ks.values() for d in k.dirs}
        command = kustomize_command()
        for k in ks.values():
            for p in k.patches:
                self.consumed.add(p)
                why = "Kustomize patch: linted through its kustomization's build, not on its own"
                self.plan.skipped.append((display_path(p, self.cwd), why))
        if command is None:
            return
        top = [k for folder, k in sorted(ks.items()) if folder not in used]

        def build(k: Kustomization) -> list[tuple[str, str | None]]:
            if k.refused:
                raise RenderError(k.refused)
            return build_kustomization(k.file.parent, command)

        for k, built in zip(top, _each(build, top, self.jobs)):
            if isinstance(built, RenderError):
                self.plan.skipped.append((display_path(k.file, self.cwd), f"kustomization not built: {built}"))
                self.consumed.add(k.file)  # its one skip entry: not parsed again as a file
                continue
            # the folder as the checked tree names it (the same from any working folder)
            folder = Path(os.path.relpath(k.file.parent.resolve(), self.root_of(k.file))).as_posix()
            for doc, origin in built:
                self.add(Path(origin) if origin else k.file, doc, folder)
            self.consumed |= set(_resources(k, ks))

    def finish(self) -> RenderPlan:
        real = {_norm(Path(os.path.abspath(p))) for p in self.consumed} | {_norm(p) for p in self.plan.paths.values()}
        self.plan.candidates = [c for c in self.plan.candidates if _norm(c.path) not in real]
        self.plan.skipped = sorted(set(self.plan.skipped))
        return self.plan


def _resources(k: Kustomization, ks: dict[Path, Kustomization]) -> list[Path]:
    """The resource files of `k` and of the kustomizations it builds on."""
    out: list[Path] = []
    todo, seen = [k], set()
    while todo:
        cur = todo.pop()
        if cur.file in seen:
            continue
        seen.add(cur.file)
        out += [Path(os.path.abspath(f)) for f in cur.files]
        todo += [ks[d] for d in cur.dirs if d in ks]
    return out


def plan_renders(
    candidates: Sequence[Candidate],
    config: Config,
    cwd: Path,
    roots: Sequence[Path],
    extra: Sequence[Path] = (),
    jobs: int | None = None,
) -> RenderPlan:
    """Render the charts and top-level kustomizations among `candidates` (and the `Kustomization`
    files in `extra`), up to `jobs` commands at a time; what is left to parse as files, the
    rendered sources, and the skips."""
    if not extra and not any(_is_marker(c) for c in candidates):
        return RenderPlan(list(candidates))  # the common case: nothing to render, nothing spent
    p = _Planner(candidates, config, cwd, roots, jobs if jobs and jobs > 0 else default_jobs())
    charts = sorted(_norm(c.path.parent) for c in candidates if c.path.name == "Chart.yaml")
    outer = [c for c in charts if not any(o != c and _under(c, o) for o in charts)]
    p.charts(outer)
    kfiles = [_norm(c.path) for c in candidates if c.path.name in KUSTOMIZATION_NAMES] + [_norm(e) for e in extra]
    p.kustomizations(sorted(f for f in kfiles if not any(_under(f, c) for c in outer)))
    plan = p.finish()
    plan.texts = {display_path(f, cwd): t for f, t in p.texts.items()}
    return plan


@dataclass
class RenderedBatch:
    """The rendered sources as parse candidates: one per source file, its documents joined.

    A candidate's path is never a file (it ends in NUL): its bytes are in `contents`, so the
    parse pool parses it with the files, in the same workers and with the same time limit."""

    candidates: list[Candidate] = field(default_factory=list)
    contents: dict[str, tuple[bytes | None, str | None]] = field(default_factory=dict)
    maps: list[tuple[str, _LineMap]] = field(default_factory=list)  # (source text, line map) per candidate
    overlays: list[list[str]] = field(default_factory=list)  # per candidate, per document: Rendered.overlays


def rendered_batch(plan: RenderPlan) -> RenderedBatch:
    batch = RenderedBatch()
    for display, rendered in sorted(plan.sources.items()):
        source = plan.texts.get(display)
        if source is None:
            data, _ = read_bytes(str(plan.paths[display]))
            source = data.decode("utf-8", errors="replace") if data is not None else ""
        starts: list[int] = []
        chunks: list[str] = []
        line = 1
        for doc in rendered.docs:
            body = doc.text.strip("\n") + "\n"
            starts.append(line)
            chunks.append(body)
            line += body.count("\n") + 1
        text = "---\n".join(chunks)
        key = f"{plan.paths[display]}\0"
        batch.candidates.append(Candidate(Path(key), display))
        batch.contents[key] = (text.encode("utf-8"), None)
        batch.maps.append((source, _LineMap(text, source, starts, [d.anchor for d in rendered.docs])))
        batch.overlays.append(rendered.overlays())
    return batch


def finish_rendered(results: Sequence[FileResult], batch: RenderedBatch) -> list[FileResult]:
    """The parse results of `batch`'s candidates (in its order) with every span moved to the
    source file's lines, and the source file's suppressions and text."""
    out: list[FileResult] = []
    for fr, (source, fix), overlays in zip(results, batch.maps, batch.overlays):
        parsed = fr.output
        parsed.objects = [remap_spans(_named_by_overlay(o, fix, overlays), fix.span) for o in parsed.objects]
        for prob in parsed.problems:
            prob.line, prob.column = fix.line(prob.line), 1
        out.append(FileResult(fr.path, parsed, parse_suppressions(source), source))
    return out


def _named_by_overlay(obj: ModelObject, fix: _LineMap, overlays: list[str]) -> ModelObject:
    """`obj` (at its line in the rendered text) with the overlay of its document, if it has one."""
    if "via" not in type(obj).model_fields:
        return obj
    via = overlays[fix.document(obj.span.line)] if overlays else ""
    return obj.model_copy(update={"via": via}) if via else obj


class _LineMap:
    """A line of the rendered text -> the line of the source file it stands for: the line of
    the same key below the object's anchor, else the anchor."""

    def __init__(self, rendered: str, source: str, starts: list[int], anchors: list[int]) -> None:
        self.rendered = rendered.splitlines()
        self.source = source.splitlines()
        self.starts = starts
        self.anchors = anchors

    def document(self, n: int) -> int:
        """The index of the document that holds line `n` of the rendered text."""
        return max((i for i, s in enumerate(self.starts) if s <= n), default=0)

    def line(self, n: int) -> int:
        j = self.document(n)
        anchor = self.anchors[j] if self.anchors else 1
        text = self.rendered[n - 1] if 1 <= n <= len(self.rendered) else ""
        m = re.match(r"\s*(?:-\s+)?([\w.-]+):", text)
        if m:
            key = re.compile(rf"\s*(?:-\s+)?{re.escape(m.group(1))}:")
            for i in range(anchor - 1, min(len(self.source), anchor + 400)):
                if i > anchor - 1 and self.source[i].startswith("---"):
                    break
                if key.match(self.source[i]):
                    return i + 1
        return anchor

    def span(self, s: Span) -> Span:
        line = self.line(s.line)
        end = self.line(s.end_line) if s.end_line is not None else None
        return s.model_copy(update={"line": line, "column": 1, "end_line": end})
