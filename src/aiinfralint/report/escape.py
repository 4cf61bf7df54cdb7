"""Text from scanned files, made safe for each output format.

Names, paths, messages and assumptions come from pull-request content. Whatever bytes they
hold, no report may let them start a line, a terminal escape sequence, a GitHub workflow
command, rich markup or emoji, or Markdown links, images, HTML, mentions and references.

``printable`` is the base of every format: one line of display text, in which control
characters (C0 but tab, DEL, C1), Unicode line and paragraph separators and bidirectional
overrides are written as backslash escapes (``\\n``, ``\\x1b``, ``\\u202e``), so ANSI/OSC
sequences and extra lines cannot survive, and an undecodable byte of a file name (a
``surrogateescape`` character from ``os.fsdecode``) is written ``\\xNN``. The format escapes
are applied on top of it. JSON and SARIF keep input text as data (JSON escapes control
characters itself); only undecodable bytes are rewritten there, so the file is valid UTF-8.

Kept free of heavy imports: replaying a stored report writes through ``no_surrogates``.
"""

from __future__ import annotations

import hashlib
import re

# Characters that control a terminal or a line, reorder text, or cannot be encoded.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
_SPACE = re.compile(r"\s+")


def _one(m: re.Match[str]) -> str:
    c = m.group()
    named = _NAMED.get(c)
    if named is not None:
        return named
    n = ord(c)
    if n < 0x100:
        return f"\\x{n:02x}"
    if 0xDC80 <= n <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{n - 0xDC00:02x}"
    return f"\\u{n:04x}"


def printable(text: str) -> str:
    """`text` as one line that shows every character and controls nothing."""
    if text.isprintable():  # no control, format, separator or surrogate character at all
        return text
    return _UNSAFE.sub(_one, text)


def printable_lines(text: str) -> str:
    """A block of our own lines (joined with ``\\n``) whose content may carry input text."""
    return "\n".join(printable(line) for line in text.split("\n"))


def no_surrogates(text: str) -> str:
    """`text` encodable as UTF-8: an undecodable byte becomes ``\\xNN``, any other lone surrogate
    ``\\udNNN``. A last guard where whole reports are written."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_one, text)


def json_text(text: str) -> str:
    """A JSON document dumped with ``ensure_ascii=False``, made valid UTF-8.

    Lone surrogates only ever occur inside JSON strings, where a backslash must itself be
    escaped: an undecodable byte becomes the string characters ``\\xNN``, as in every format.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: "\\" + _one(m), text)


def path_bytes(path: str) -> bytes:
    """The bytes of a file name as the file system has them (for URIs)."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system produced
        return path.encode("utf-8", "replace")


# --- GitHub workflow commands -------------------------------------------------------------


def gh_data(text: str) -> str:
    """The message part of a workflow command (after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """A property value of a workflow command (``file=…``, ``title=…``)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def gh_plain_block(lines: list[str]) -> list[str]:
    """Plain log lines carrying input text, with workflow commands switched off around them.

    Such a line is not a command of ours, but the runner would still obey one it contains
    (a line starting with ``::``, or ``##[`` anywhere) -- and a name with a line break would
    start one. The lines go between ``::stop-commands::TOKEN`` and ``::TOKEN::``; the token is
    a digest of the block itself, so it is stable from run to run and no content can contain
    the line that ends the block.
    """
    safe = [printable(line) for line in lines]
    token = "aiinfralint-" + hashlib.sha256("\n".join(safe).encode("utf-8")).hexdigest()[:32]
    return [f"::stop-commands::{token}", *safe, f"::{token}::"]


# --- Markdown (GitHub-flavoured) ----------------------------------------------------------

# Backslash-escaped: everything that opens emphasis, code, links, images, tables, headings,
# strikethrough or math in GitHub-flavoured Markdown.
_MD_PUNCT = re.compile(r"([\\`*_\[\]()!#|~$])")
# Rendered text GitHub turns into a mention, an issue reference, an emoji or a link even when
# the characters were backslash-escaped: a zero-width space after the trigger breaks it.
_MD_TRIGGER = re.compile(r"([@])(?=[\w.-])|(:)(?=[\w+/-])|(#)(?=\d)")
_MD_LIST_START = re.compile(r"^(?:[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+$)")
_MD_RUN_OF_BACKTICKS = re.compile(r"`+")
ZWSP = "\u200b"


def md_text(text: str) -> str:
    """Input text inside Markdown prose or a table cell: shown literally, on one line."""
    text = _SPACE.sub(" ", printable(text)).strip()
    text = _MD_PUNCT.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_TRIGGER.sub(lambda m: m.group() + ZWSP, text)
    # at the start of a list item or paragraph, these would open a nested list or a heading
    return _MD_LIST_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit() else "\\" + m.group(), text, count=1)


def md_code(text: str, *, table: bool = True) -> str:
    """Input text as a Markdown code span, shown literally (GitHub processes nothing inside
    code: no mention, reference, emoji or link). In a table row ``|`` is escaped as GFM asks."""
    text = _SPACE.sub(" ", printable(text)).strip()
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in _MD_RUN_OF_BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`") or not text:
        text = f" {text} "
    return f"{fence}{text}{fence}"


# --- SARIF --------------------------------------------------------------------------------


_SARIF_BRACKET = re.compile(r"(\\*)([\[\]])")


def sarif_message(text: str) -> str:
    """Plain-text SARIF message: ``[text](target)`` is an embedded link there (SARIF 3.11.6),
    so a literal bracket is escaped with a backslash (and backslashes before it doubled)."""
    if "[" not in text and "]" not in text:
        return text
    return _SARIF_BRACKET.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), text)
