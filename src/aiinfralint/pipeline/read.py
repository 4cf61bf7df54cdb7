"""The read step: one file's bytes become a `FileResult` (parse output, suppressions, text).

Both the engine (its results) and the parse pool (what a worker sends back) use it; the parse
cache stores what it produces. It imports parsers and the model, never the engine, the pool or
a cache, so the arrows go one way: engine -> parallel -> read -> parsers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiinfralint import fileio
from aiinfralint.parsers.base import ParseOutput, ParseProblem
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.pipeline.discovery import CANDIDATE_SUFFIXES
from aiinfralint.pipeline.suppress import FileSuppressions, parse_suppressions


@dataclass
class FileResult:
    """Everything the engine keeps about one file after parsing."""

    path: str
    output: ParseOutput
    suppressions: FileSuppressions = field(default_factory=FileSuppressions)
    # the decoded text of a file that was parsed (claimed, or with objects), kept only until
    # the run knows its findings; then `quote_lines` keeps the lines they point at and drops it
    text: str | None = None
    # (line number, line) for each line a finding points at: what reporters quote
    quoted: tuple[tuple[int, str], ...] = ()

    def quote_lines(self, numbers: set[int]) -> None:
        """Keep the lines numbered `numbers` (1-based) for reporters, and drop the full text."""
        if self.text is not None and numbers:
            lines = self.text.splitlines()
            self.quoted = tuple((n, lines[n - 1]) for n in sorted(numbers) if 1 <= n <= len(lines))
        self.text = None

    def line(self, number: int) -> str | None:
        """The source line a finding points at, as read when the file was parsed."""
        for n, text in self.quoted:
            if n == number:
                return text
        return None


def parse_data(display: str, data: bytes) -> FileResult:
    """Parse bytes already read (a file's, or standard input's). Pure function of its inputs."""
    output = parse_bytes(display, data)
    if not (output.claimed or output.objects):
        return FileResult(display, output)
    text = data.decode("utf-8", errors="replace")
    return FileResult(display, output, parse_suppressions(text), text)


def read_and_parse(path: str, display: str) -> FileResult:
    """Read one file (never blocking on a FIFO, skipping oversized files) and parse it."""
    data, reason = fileio.read_bytes(path)
    if data is None:
        return unreadable(display, reason or "cannot read")
    return parse_data(display, data)


def problem_result(display: str, problem: str) -> FileResult:
    """A recognised file that could not be checked: an AIL000 problem at line 1."""
    return FileResult(display, ParseOutput(problems=[ParseProblem(problem, line=1)], claimed=True))


def unreadable(display: str, reason: str) -> FileResult:
    """A file that could not be read: a finding for a file we would have parsed, else a skip.

    Oversized and non-regular files are skips (by design not read); a recognised file that
    cannot be opened (permission denied, an I/O error) is a finding at line 1, so a check
    that could not see a file never passes silently.
    """
    name = display.rsplit("/", 1)[-1]
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if reason.startswith("cannot read") and suffix in CANDIDATE_SUFFIXES:
        return problem_result(display, f"{reason}; not checked")
    return FileResult(display, ParseOutput(skipped=reason))
