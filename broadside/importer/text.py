"""Takes an article as text (a seed, or a dump copied from a web page), gives the Article record with every guess noted.

The seed form is ' date YYYY-MM-DD Headline', paragraphs, byline. Real dumps add labels above the headline,
page leftovers, date and byline lines, datelines and hard-wrapped lines; each is recognised here, and every
line that does not reach the body is listed with its reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..errors import ContentError
from ..model import Source
from ..reader import CONTROL
from .article import Article, LeftOut, SeedError
from .bylines import find_dateline, looks_like_byline, parse_byline, split_credit, top_byline
from .dates import BadDate, match_date
from .decode import normalise_text
from .leftovers import is_label, leftover_reason

FIRST_LINE = "the first line must be ' date YYYY-MM-DD Headline'"
TITLE_LIMIT = 110  # longer first lines are lead sentences, not headlines
NO_DATE = "no date found in the article"
NO_DATE_HINT = "start it with a line ' date YYYY-MM-DD Headline', or re-run with --date YYYY-MM-DD"
_HEADER = re.compile(r"\s*date(?:\s*:\s*|\s+)(?P<rest>.*)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"”’»)]*$")


@dataclass(frozen=True)
class Line:
    """One non-blank input line: its number, stripped text, length as written and whether a blank line precedes it."""

    number: int
    text: str
    width: int
    after_gap: bool
    first: bool = False  # the text after the date on the first line


@dataclass(frozen=True)
class Paragraph:
    """Input lines read as one paragraph."""

    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        """Return the paragraph as one line of text."""
        return " ".join(line.text for line in self.lines)

    @property
    def number(self) -> int:
        """Return the input line the paragraph starts on."""
        return self.lines[0].number


@dataclass(frozen=True)
class Header:
    """What a first line ' date <date> [headline]' says; `rest` may be a headline, a label or a lead."""

    date: str
    line: Line | None  # the text after the date, as a line of its own; None when there is none


@dataclass
class Draft:
    """What has been worked out about an article so far (filled in step by step, then frozen as an Article)."""

    paragraphs: list[Paragraph]
    date: str = ""
    date_origin: str = ""
    title: str = ""
    title_origin: str = ""
    title_made_up: bool = False
    label: str = ""
    label_origin: str = ""
    byline: Source | None = None
    byline_origin: str = ""
    left_out: list[LeftOut] = field(default_factory=list)
    keep_all: bool = False
    kept_anyway: list[Paragraph] = field(default_factory=list)  # what --keep-all keeps that would be left out

    def leave_out(self, paragraph: Paragraph, reason: str) -> None:
        """Record every line of a paragraph as left out for `reason` (with keep_all, keep it in the body)."""
        if self.keep_all:
            self.kept_anyway.append(paragraph)
        else:
            self.left_out.extend(LeftOut(line.number, line.text, reason) for line in paragraph.lines)


def parse_seed(text: str, path: str, keep_all: bool = False) -> Article:
    """Return the article in a text's lines; raise SeedError with every problem found.

    With `keep_all`, page leftovers stay in the body (labels, bylines and dates are still read).
    """
    lines = normalise_text(text).split("\n")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SeedError(ContentError(path, 1, "the seed is empty", "a seed starts with ' date YYYY-MM-DD Headline'"))
    errors = find_controls(lines, path)
    header = None
    try:
        header = read_header(lines[first], first + 1, path)
    except SeedError as error:
        errors.extend(error.errors)
    if errors:
        raise SeedError(*errors)
    body_lines = input_lines(lines, first + (header is not None), header)
    reading = Draft([], keep_all=keep_all)
    if header is not None:
        reading.date, reading.date_origin = header.date, f"line {first + 1}"
    kept = drop_leftovers(body_lines, reading, keep_all)
    reading.paragraphs = form_paragraphs(kept)
    read_top(reading)
    read_body(reading, keep_all)
    read_end(reading)
    reading.paragraphs = sorted(reading.paragraphs + reading.kept_anyway, key=lambda paragraph: paragraph.number)
    check_body(reading, path, first + 1)
    make_title(reading)
    read_dateline(reading)
    return Article(
        reading.date, reading.title, tuple(p.text for p in reading.paragraphs), reading.byline,
        label=reading.label, label_origin=reading.label_origin, title_origin=reading.title_origin,
        date_origin=reading.date_origin,
        byline_origin=reading.byline_origin, title_made_up=reading.title_made_up,
        left_out=tuple(sorted(reading.left_out, key=lambda item: item.line or 0)),
        lines=sum(1 for line in lines if line.strip()))


def check_body(reading: Draft, path: str, line: int) -> None:
    """Refuse an article left with no text, saying whether page leftovers were all there was."""
    if reading.paragraphs:
        return
    if reading.left_out:
        raise SeedError(ContentError(path, line, f"no article text found: the {len(reading.left_out)} lines left "
                                     "are all web page leftovers (menus, share lines, ...)",
                                     "check that the file holds the article; --keep-all keeps every line"))
    raise SeedError(ContentError(path, line, "the seed has no article text after the headline",
                                 "add the article's paragraphs below the first line"))


def find_controls(lines: list[str], path: str) -> list[ContentError]:
    """Locate the first control character of each line (at most 10 reported)."""
    errors = []
    for number, line in enumerate(lines, start=1):
        found = CONTROL.search(line)
        if found and len(errors) < 10:
            errors.append(ContentError(
                path, number, f"control character U+{ord(found.group()):04X} is not allowed",
                "delete it: it is invisible and usually comes from a copy-paste or a wrong --encoding",
                found.start() + 1))
    return errors


# --- the first line ------------------------------------------------------------------------


def read_header(line: str, number: int, path: str) -> Header | None:
    """Read ' date <date> [text]' (YYYY-MM-DD, YYYY/MM/DD, 28 June 2021, YYYY-MM, YYYY); None if the line is not one."""
    header = _HEADER.fullmatch(line)
    if not header:
        return None
    col = header.start("rest") + 1
    try:
        found = match_date(header["rest"], strict=True)
    except BadDate as error:
        raise SeedError(ContentError(path, number, error.args[0], error.args[1], col)) from None
    if not found:
        raise SeedError(ContentError(path, number, FIRST_LINE, f"it reads '{shorten(line.strip(), 60)}'; "
                                     "dates may also be YYYY/MM/DD, 28 June 2021, YYYY-MM or YYYY"))
    after = header["rest"][found.end:]
    if after and not after[0].isspace():
        written = header["rest"][:found.end] + after.split()[0]
        raise SeedError(ContentError(path, number, FIRST_LINE, f"the date '{written}' is not one"))
    rest = after.strip()
    return Header(found.iso, Line(number, rest, len(line.rstrip()), False, first=True) if rest else None)


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def input_lines(lines: list[str], start: int, header: Header | None) -> list[Line]:
    """Return the non-blank lines from index `start`, the header's text first when it has any."""
    found: list[Line] = [header.line] if header and header.line else []
    gap = False
    for index in range(start, len(lines)):
        text = lines[index].strip()
        if text:
            found.append(Line(index + 1, text, len(lines[index].rstrip()), gap))
        gap = not text
    return found


def drop_leftovers(lines: list[Line], reading: Draft, keep_all: bool) -> list[Line]:
    """Return the lines that are not page leftovers; leftovers are recorded (a gap stands where one was)."""
    kept: list[Line] = []
    gap, related = False, False
    for line in lines:
        reason = "" if keep_all or line.first else leftover_reason(line.text)
        if not reason and related and is_teaser(line.text):
            reason = "related articles"  # the teaser titles under a 'Related' heading
        related = reason == "related articles"
        if reason:
            reading.left_out.append(LeftOut(line.number, line.text, reason))
            gap = True
            continue
        kept.append(replace(line, after_gap=line.after_gap or gap))
        gap = False
    return kept


def is_teaser(text: str) -> bool:
    """Tell whether a line reads as a link's title: short and not a sentence ('Title (6 December 2011)' too)."""
    return len(text) <= 120 and (not _SENTENCE_END.search(text) or text.endswith(")"))


# --- paragraphs ----------------------------------------------------------------------------


def form_paragraphs(lines: list[Line]) -> list[Paragraph]:
    """Group lines into paragraphs: a blank line ends one, and so does a line a wrapping editor did not fill."""
    blocks: list[list[Line]] = []
    for line in lines:
        if line.after_gap or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return [paragraph for block in blocks for paragraph in split_block(block)]


def split_block(block: list[Line]) -> list[Paragraph]:
    """Split a block of lines (no blank line between them) into paragraphs.

    A block is hard-wrapped text when most of its line ends fall mid-sentence; then a line ends its
    paragraph only when the next line's first word would have fitted after it (the wrap did not end that
    line, the writer did). Otherwise, as in text copied from a web page, every line is a paragraph.
    """
    inner = [line for line in block[:-1] if not line.first]
    wrapped = sum(not _SENTENCE_END.search(line.text) for line in inner) * 2 > len(inner)
    width = max((line.width for line in block if not line.first), default=0)
    paragraphs: list[list[Line]] = [[block[0]]]
    for before, line in zip(block, block[1:]):
        if ends_paragraph(before, line, width if wrapped and width <= 100 else 0):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return [Paragraph(tuple(lines)) for lines in paragraphs]


def ends_paragraph(line: Line, following: Line, width: int) -> bool:
    """Tell whether `line` ends its paragraph though no blank line follows it (width 0: lines are not wrapped)."""
    if following.text[:1].islower():  # the sentence goes on, unless a 'by NAME' line starts under the headline
        return following.number <= 6 and top_byline(following.text) is not None
    if not width or line.first:
        return True
    return line.width + 1 + len(following.text.split()[0]) <= width


# --- above the body: label, headline, byline, date -----------------------------------------


def read_top(reading: Draft) -> None:
    """Take the label, headline, top byline and date from the paragraphs above the body."""
    paragraphs = reading.paragraphs
    index = 0
    headline = pick_headline(paragraphs)
    while index < len(paragraphs) - (headline is None or index > headline):  # the last paragraph is body
        paragraph = paragraphs[index]
        if headline is not None and index == headline:
            set_title(reading, paragraph)
        elif not read_top_line(reading, paragraph, before_headline=headline is not None and index < headline):
            break
        index += 1
    del paragraphs[:index]


def pick_headline(paragraphs: list[Paragraph]) -> int | None:
    """Return the index of the headline among the first paragraphs, or None when the text starts with its lead.

    Lines that are labels, dates or bylines are passed over; of the rest, the first of four words or more
    wins over shorter ones (site names, sections), and a sentence or an over-long line is the lead.
    """
    short: int | None = None
    label_line: int | None = None  # a first line that looks like a label: the headline if nothing else can be
    for index, paragraph in enumerate(paragraphs[:8]):
        text = paragraph.text
        if paragraph.lines[0].first:  # the seed form's headline, unless it is a label or the lead itself
            if is_label(text):
                label_line = index
                continue
            return None if is_long_lead(paragraph) else index
        if is_top_furniture(text):
            continue
        if is_lead(paragraph) or text.rstrip("\"”’»)").endswith((".", "!", "…")):
            return short if short is not None else label_line
        if len(text.split()) >= 4:
            return index
        if short is None:
            short = index
    return short if short is not None else label_line


def is_top_furniture(text: str) -> bool:
    """Tell whether a line above the headline is a label, a date line or a 'By' line."""
    return is_label(text) or date_line(text) is not None or top_byline(text) is not None


def is_long_lead(paragraph: Paragraph) -> bool:
    """Tell whether a paragraph cannot be a headline: wrapped over lines, over 110 characters, or opening with a dateline."""
    text = paragraph.text
    if split_credit(text):
        return False  # an aggregator's headline, credit and all
    return len(paragraph.lines) > 1 or len(text) > TITLE_LIMIT or bool(find_dateline(text))


def is_lead(paragraph: Paragraph) -> bool:
    """Tell whether a paragraph is article text rather than a headline: long, wrapped, a dateline or a sentence."""
    text = paragraph.text
    if is_long_lead(paragraph):
        return True
    if split_credit(text):
        return False
    return bool(_SENTENCE_END.search(text)) and not text.endswith("?") and len(text.split()) > 3 \
        and not re.search(r"\b(?:[A-Z]\.){2,}$|\b(?:Inc|Ltd|Co|Corp)\.$", text)


def set_title(reading: Draft, paragraph: Paragraph) -> None:
    """Take a paragraph as the headline, splitting off an aggregator's credit ('– by NAME (Publication – date)')."""
    text, origin = paragraph.text, f"line {paragraph.number}"
    credited = split_credit(text)
    if credited is not None:
        text = credited.title
        reading.byline, reading.byline_origin = credited.source, origin
        found = match_date(credited.date)
        if found and not reading.date:
            reading.date, reading.date_origin = found.iso, origin
    reading.title, reading.title_origin = text, origin


def read_top_line(reading: Draft, paragraph: Paragraph, before_headline: bool) -> bool:
    """Read one paragraph above the body (a label, byline or date); False when the body starts here."""
    text, origin = paragraph.text, f"line {paragraph.number}"
    if len(paragraph.lines) > 1:
        return False
    found = date_line(text)
    if found is not None:
        iso, rest = found
        take_date(reading, paragraph, iso)
        if rest and top_byline(rest) and reading.byline is None:
            reading.byline, reading.byline_origin = top_byline(rest), origin
        elif rest and is_label(rest) and not reading.label:
            reading.label, reading.label_origin = rest, origin
        return True
    byline = top_byline(text) or (not before_headline and reading.title and is_bare_byline(text, reading.title)
                                  and parse_byline(text))
    if byline and reading.byline is None:
        reading.byline, reading.byline_origin = byline, origin
        return True
    if before_headline:
        if is_label(text) and not reading.label:
            reading.label, reading.label_origin = text, origin
        else:
            reading.leave_out(paragraph, "label" if is_label(text) else "line above the headline")
        return True
    if not reading.label and is_label(text):
        reading.label, reading.label_origin = text, origin
        return True
    return False


def is_bare_byline(text: str, title: str) -> bool:
    """Tell whether a line under the headline is a byline without 'By': 'Name' or 'Name, Publication'."""
    if not looks_like_byline(text) or is_label(text) or squash(text) == squash(title):
        return False
    return "," in text or len(text.split()) <= 4


def take_date(reading: Draft, paragraph: Paragraph, iso: str) -> None:
    """Use a date line's date when the article has none yet; otherwise it is left out as a repeat."""
    if not reading.date:
        reading.date, reading.date_origin = iso, f"line {paragraph.number}"
    else:
        reading.leave_out(paragraph, "date line")


_FILLER = re.compile(r"""(?:\s|[|/·•,;:()–—-]|\b(?:
    published|updated|posted|last\ updated|modified|on|at|date|dated|for\ immediate\ release|release\ date
  | publié|mis\ à\ jour|le|publicado|atualizado|em|gepubliceerd|bijgewerkt|op|om
  | monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi|samedi
  | dimanche|segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|sábado|domingo|maandag|dinsdag
  | woensdag|donderdag|vrijdag|zaterdag|zondag|gmt|utc|edt|est|cet|cest|cat|sast|wat|eat|bst
  | \d{1,2}[:hu.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?|publicidade|advertisement
)\b)+""", re.IGNORECASE | re.VERBOSE)


def date_line(text: str) -> tuple[str, str] | None:
    """Return (ISO date, the rest) when a line is a date line ('June 26, 2009', 'Press Release / 5 June 2009')."""
    if len(text) > 120:
        return None
    try:
        found = match_date(text, anchored=False)
    except BadDate:
        return None
    if found is None or (len(found.iso) == 4 and text.strip() != found.iso):
        return None
    before, after = text[:found.start], text[found.end:]
    rest = " ".join(part for part in (clean_filler(before), clean_filler(after)) if part)
    if rest and not (is_label(rest) or top_byline(rest)):
        return None
    return found.iso, rest


def clean_filler(text: str) -> str:
    """Return what is left of a date line's side once times, weekdays and 'Published' words are taken out."""
    return _FILLER.sub(" ", text).strip(" |/·•,;:–—-")


# --- the body ------------------------------------------------------------------------------


def read_body(reading: Draft, keep_all: bool) -> None:
    """Leave out date lines, repeats and lists of links; join a dateline standing alone to its paragraph."""
    kept: list[Paragraph] = []
    title = squash(reading.title)
    seen: set[str] = {title} if title else set()
    index, paragraphs = 0, reading.paragraphs
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        run = link_run(paragraphs, index)
        if not reading.date and index < 5 and len(paragraph.lines) == 1 and date_line(paragraph.text):
            take_date(reading, paragraph, date_line(paragraph.text)[0])
            index += 1
            continue
        reason = "" if keep_all else body_leftover(paragraph, seen, run, title)
        if reason:
            for item in paragraphs[index:index + max(run, 1)] if reason == "list of links" else [paragraph]:
                reading.leave_out(item, reason)
            index += max(run, 1) if reason == "list of links" else 1
            continue
        if find_dateline(paragraph.text) and find_dateline(paragraph.text).text.strip() == paragraph.text \
                and index + 1 < len(paragraphs):
            paragraphs[index + 1] = Paragraph(paragraph.lines + paragraphs[index + 1].lines)
            index += 1
            continue
        seen.add(squash(paragraph.text))
        kept.append(paragraph)
        index += 1
    reading.paragraphs = kept


def body_leftover(paragraph: Paragraph, seen: set[str], run: int, title: str) -> str:
    """Return why a body paragraph is left out ('' to keep it)."""
    text = paragraph.text
    if len(paragraph.lines) == 1 and date_line(text) is not None and not date_line(text)[1]:
        return "date line"
    if squash(text) == title:
        return "repeats the title"
    if squash(text) in seen and len(text.split()) >= 8:  # a page pasted twice over; short lines may repeat
        return "repeats a paragraph"
    if run >= 3:
        return "list of links"
    return ""


def link_run(paragraphs: list[Paragraph], start: int) -> int:
    """Return how many paragraphs reading as link titles start at `start` (a list of teasers when 3 or more):
    one short line of three words or more, capitalised, and not a sentence."""
    count = 0
    for paragraph in paragraphs[start:]:
        text = paragraph.text
        if len(paragraph.lines) > 1 or len(text) > 120 or _SENTENCE_END.search(text) or text.endswith((";", ":")) \
                or len(text.split()) < 3 or not re.match(r"[\"“‘']?[^\W\d_]", text) or not text.lstrip("\"“‘'")[:1].isupper():
            break
        count += 1
    return count


def squash(text: str) -> str:
    """Return text compared for repeats: case and spacing ignored, and punctuation in short lines (titles)."""
    if len(text) > 300:  # a long paragraph repeats whole; the regex would cost a second on 600 KB
        return " ".join(text.casefold().split())
    return re.sub(r"[\W_]+", " ", text).strip().casefold() or text


# --- below the body: the byline ------------------------------------------------------------


def read_end(reading: Draft) -> None:
    """Take the last line as the byline when it reads as one (never the only paragraph)."""
    paragraphs = reading.paragraphs
    if not paragraphs:
        return
    last = paragraphs[-1]
    line = last.lines[-1]
    if leftover_reason(line.text):
        return  # kept by --keep-all, still no byline
    if len(last.lines) > 1:
        if not (_SENTENCE_END.search(last.lines[-2].text) and looks_like_byline(line.text)):
            return
        paragraphs[-1] = Paragraph(last.lines[:-1])
    elif len(paragraphs) < 2 or not looks_like_byline(line.text):
        return
    else:
        paragraphs.pop()
    reading.byline, reading.byline_origin = parse_byline(line.text), f"line {line.number}"


# --- made-up titles and datelines ----------------------------------------------------------


def make_title(reading: Draft) -> None:
    """Make the title from the first sentence when the text has no headline (the report says it was made up)."""
    if reading.title:
        return
    first = reading.paragraphs[0].text
    dateline = find_dateline(first)
    sentence = first_sentence(first[len(dateline.text):] if dateline else first)
    reading.title = cut_at_word(sentence.rstrip(".").strip(), TITLE_LIMIT)
    reading.title_origin, reading.title_made_up = "made from the first sentence", True


def first_sentence(text: str) -> str:
    """Return the first sentence of a paragraph: up to the first full stop followed by a space and a capital."""
    found = re.search(r"(?<![A-Z])(?<!\b[A-Z][a-z])[.!?][\"”’»)]*(?=\s+[\"“«(]?[A-ZÀ-Þ])", text)
    return text[:found.end()] if found else text


def cut_at_word(text: str, limit: int) -> str:
    """Return `text` shortened at a word boundary to at most `limit` characters, an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return cut + "…"


def read_dateline(reading: Draft) -> None:
    """Let an agency named in the dateline ('(Reuters) -') be the publication when no byline names one."""
    dateline = find_dateline(reading.paragraphs[0].text)
    if dateline is None or not dateline.agency:
        return
    byline = reading.byline or Source()
    if not byline.publication:
        reading.byline = replace(byline, publication=dateline.agency)
        reading.byline_origin = ", ".join(filter(None, (reading.byline_origin, "publication from the dateline")))
