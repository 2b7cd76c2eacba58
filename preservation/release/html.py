"""Saved HTML pages of the press archive → release text; the page's frame is not content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import lxml.html
from lxml import etree

from preservation.release.decode import for_xml
from preservation.release.notice import comparable, notice_paragraphs

_FRAME = frozenset({"nav", "script", "style", "header", "footer", "aside", "noscript", "template", "form"})
_FRAME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BLOCK = frozenset(
    {"address", "article", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3"}
    | {"h4", "h5", "h6", "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_PARAGRAPH_BREAK = "\ue000"
_LINE_BREAK = "\ue001"
"""Private-use characters that mark breaks while whitespace from the markup is collapsed."""


_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


@dataclass(frozen=True)
class HtmlContent:
    text: str
    """Paragraphs separated by blank lines, as a text export would have them."""
    title: str | None
    """The page's first h1 – the release title on the archive's pages."""
    replaced: tuple[str, ...] = ()
    """Characters XML cannot carry (``U+0001``) that the markup held or referred to: replaced by spaces
    or left out."""


def html_to_text(markup: str, notice: str) -> HtmlContent:
    """Headings, paragraphs and the notice block as text. Parsed offline: nothing is ever fetched."""
    # lxml lets such characters into its tree but refuses them when text is set back, as the frame is
    # taken apart; a space keeps the words apart and HTML collapses it.
    markup, replaced = _xml_characters_only(markup)
    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return HtmlContent("", None)
    body = root.find("body")
    page = body if body is not None else root
    _drop_frame(page, {comparable(p) for p in notice_paragraphs(notice)})
    heading = page.find(".//h1")
    title = _collapse(_text_of(heading)) if heading is not None else None
    parts: list[str] = []
    _flatten(page, parts)
    return HtmlContent(_layout("".join(parts)), title or None, replaced)


def _xml_characters_only(markup: str) -> tuple[str, tuple[str, ...]]:
    replaced: set[str] = set()

    def reference(match: re.Match[str]) -> str:
        code = int(match[1], 16) if match[1] else int(match[2])
        character = chr(code) if code <= 0x10FFFF else "\ufffd"
        _, unfit = for_xml(character)
        replaced.update(unfit)
        return " " if unfit else match[0]

    markup = _CHARACTER_REFERENCE.sub(reference, markup)
    clean, unfit = for_xml(markup)
    return clean, tuple(sorted(replaced.union(unfit)))


def _is_frame(element: etree._Element) -> bool:
    return element.tag in _FRAME or element.get("role") in _FRAME_ROLES


def _drop_frame(page: etree._Element, notice: set[str]) -> None:
    """Remove the outermost frame elements; keep notice paragraphs a site may have put in an aside."""
    frames = [
        e
        for e in page.iter()
        if isinstance(e.tag, str) and _is_frame(e) and not any(_is_frame(a) for a in e.iterancestors())
    ]
    for element in frames:
        texts = (_collapse(_text_of(block)) for block in element.iter(*_BLOCK))
        kept = [text for text in texts if comparable(text) in notice]
        for text in reversed(kept):
            paragraph = etree.Element("p")
            paragraph.text = text
            element.addnext(paragraph)
        cast(lxml.html.HtmlElement, element).drop_tree()  # keeps the tail text, unlike remove()


def _flatten(element: etree._Element, out: list[str]) -> None:
    """Text with break markers around blocks and at <br>; the element's own tail is the caller's."""
    if not isinstance(element.tag, str):  # comments and processing instructions left by the parser
        return
    block = element.tag in _BLOCK
    if block:
        out.append(_PARAGRAPH_BREAK)
    if element.tag == "br":
        out.append(_LINE_BREAK)
    out.append(_clean(element.text))
    for child in element:
        _flatten(child, out)
        out.append(_clean(child.tail))
    if block:
        out.append(_PARAGRAPH_BREAK)


def _clean(text: str | None) -> str:
    return (text or "").replace(_PARAGRAPH_BREAK, "").replace(_LINE_BREAK, "")


def _text_of(element: etree._Element) -> str:
    return str(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _layout(text: str) -> str:
    """Collapse markup whitespace like a browser, then turn the markers into blank lines and line ends."""
    text = re.sub(r"\s+", " ", text)
    breaks = f"[{_PARAGRAPH_BREAK}{_LINE_BREAK}]"
    lines = [_collapse(line) for line in re.split(breaks, text)]
    paragraphs: list[list[str]] = [[]]
    for line, marker in zip(lines, [*re.findall(breaks, text), ""], strict=True):
        if line:
            paragraphs[-1].append(line)
        if marker == _PARAGRAPH_BREAK and paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)
