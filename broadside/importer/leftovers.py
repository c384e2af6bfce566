"""Takes one line of an article copied from a web page, gives why it is a leftover of the page (menu, share line, ...) or ''.

Only lines that are never article text are named here; the import report lists every one left out.
"""
from __future__ import annotations

import re

from .dates import match_date

LABELS = frozenset("""
exclusive news opinion breaking analysis feature features interview comment commentary editorial blog report
update live explainer investigation review essay column letter letters obituary profile insight briefing
statement alert advisory announcement
world africa business politics economy markets commodities mining diamonds environment international
national local region regions science technology health sport culture
actualité actualités analyse tribune éditorial entretien enquête économie monde afrique politique société
notícias notícia opinião análise entrevista reportagem economia mundo política sociedade
nieuws opinie achtergrond interview economie buitenland binnenland wereld
""".split()) | frozenset((
    "press release", "press releases", "news release", "media release", "press statement", "breaking news",
    "special report", "in depth", "fact check", "human rights", "latest news", "top stories", "news analysis",
    "communiqué de presse", "comunicado de imprensa", "comunicado de prensa", "à la une", "em destaque",
    "reading time", "op-ed", "opinion & analysis", "news & analysis",
))

_SHARE_WORDS = frozenset("""
share shares tweet email e-mail print facebook twitter x linkedin whatsapp telegram reddit pinterest copy link
comment comments save bookmark pocket flipboard messenger sms mail partager imprimer partilhar imprimir delen
""".split())

_PATTERNS = (
    ("share line", r"share (?:this|on|via|the|article|story|page)\b.{0,60}|(?:share|tweet) this\b.{0,40}"
                   r"|(?:partager|partilhar|delen)\b.{0,40}|deel (?:dit|via|op)\b.{0,40}|more sharing options|\d+\s+(?:shares?|comments?|reacties|commentaires)"),
    ("read more", r"(?:read|see) (?:more|also|the full (?:story|article|report|statement)|next)\b.{0,100}"
                  r"|continue reading\b.{0,80}|click here\b.{0,100}|\(?more\s*(?:…|\.\.\.)\)?"
                  r"|for the rest of (?:this|the) (?:article|story)\b.{0,200}|full story\b.{0,80}"
                  r"|(?:lire|lisez) (?:aussi|la suite|plus)\b.{0,100}|à lire aussi\b.{0,100}"
                  r"|leia (?:também|mais)\b.{0,100}|lees (?:ook|meer|verder)\b.{0,100}"),
    ("related articles", r"(?:related|more|recommended|similar|latest|popular|trending|top)"
                         r"(?: news| articles?| stories| content| posts| reads| links| coverage)?"
                         r"(?: items?)?(?: on this topic| from \S.{0,40})?:?"
                         r"|(?:you|we) (?:may|might) (?:also )?like:?|most (?:read|popular|viewed|shared):?"
                         r"|related news item:?|see also:?|(?:dans|sur) le même (?:sujet|thème):?"
                         r"|(?:notícias|artigos) relacionad[oa]s:?|gerelateerde artikelen:?|meer nieuws:?"),
    ("paywall", r".{0,80}\b(?:subscribe (?:now|today|to (?:read|continue|unlock|our|the newsletter))"
                r"|subscribers? only|for subscribers|already a subscriber|subscription required"
                r"|(?:available|reserved) (?:to|for) (?:subscribers|members)|sign up (?:for|to) (?:our|the)"
                r"|log in to (?:read|continue)|reached your (?:limit|free)|free articles? (?:left|remaining)"
                r"|unlimited access|become a (?:member|subscriber)|support (?:our|independent) journalism"
                r"|abonnez-vous|réservé aux abonnés|assine (?:já|agora|o)|exclusivo para assinantes"
                r"|word abonnee|lees verder met)\b.{0,120}"),
    ("cookie notice", r".{0,200}\bcookies?\b.{0,200}"),
    ("photo credit", r".{0,300}(?:\bphoto(?:graph)?s?\s*(?::|/|by\b)|\bimage\s*:|\bcredit\s*:|\bfoto\s*:"
                     r"|\bpicture\s*:|©|\(c\)\s*\d{4}|getty images|\bafp photo|\breuters/\w|\bap photo)"
                     r".{0,120}"),
    ("advertisement", r"advertisement|advertising|sponsored(?: content)?|publicité|publicidade|advertentie|ad"),
    ("menu", r"skip to (?:main )?content|skip navigation|main menu|menu|search|advanced search|home|homepage"
             r"|log ?in|sign ?in|sign up|register|logout|contact(?: us)?|about(?: us)?|privacy(?: policy)?"
             r"|terms(?: of (?:use|service))?|sitemap|rss|newsletter|follow us.{0,60}|back to top|top of page"
             r"|bottom of page|select page|connect with us|text only|print(?:er friendly)?(?: version)?"
             r"|font size|listen(?: to this article)?|\d+\s*min(?:ute)?s? read|reading time.{0,20}"
             r"|input your search keywords and press enter\.?|all rights reserved.{0,80}|copyright\b.{0,120}"
             r"|(?:english|français|português|nederlands|español)(?:\s*[|/·]?\s*(?:english|français|português"
             r"|nederlands|español))+|download as (?:pdf|txt).{0,40}"
             r"|home\s*(?:>|›|»|/)\s*.{1,200}|.{1,40}(?:\s+[|›»>]\s+.{1,40}){2,}"),
    ("page footer", r"posted by .{1,60}?(?: at \d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?)?|labels?: .{1,100}"),
    ("end marker", r"#{3,}|-+\s*ends?\s*-+|ends|–\s*ends\s*–|-30-"),
    ("web address", r"(?:https?://|www\.)\S+"),
    ("reference number", r"(?:prn|ref|reference)\s*[:.]?\s*\d{2,4}/\d+"),
)
LEFTOVERS = tuple((reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _PATTERNS)
_WORDS = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def leftover_reason(line: str) -> str:
    """Return why `line` (stripped) is a web page leftover rather than article text, or '' when it is text."""
    if len(line) > 400 or ends_in_quote(line):
        return ""
    if is_share_line(line):
        return "share line"
    if re.fullmatch(r"[\d\s.,:;|/·•]+", line) and not match_date(line.strip()):
        return "numbers only"
    for reason, pattern in LEFTOVERS:
        if pattern.fullmatch(line) and not (reason == "cookie notice" and line.count(". ") > 1):
            return reason
    return ""


def ends_in_quote(line: str) -> bool:
    """Tell whether a line reads as someone quoted, which no page furniture is."""
    return line[:1] in "“\"«„" and line.rstrip()[-1:] in "”\"»“"


def is_share_line(line: str) -> bool:
    """Tell whether a line is nothing but share buttons' words ('Comment Comment Email Email Print Print ...')."""
    words = [word.lower() for word in _WORDS.findall(line)]
    return bool(words) and all(word in _SHARE_WORDS for word in words) and (len(words) > 1 or len(line) < 20)


def is_label(line: str) -> bool:
    """Tell whether a short line is a label or kicker above a headline ('Exclusive', 'Press release', 'WORLD')."""
    if len(line) > 60:
        return False
    text = line.strip().rstrip(":|").strip()
    words = text.split()
    if not 1 <= len(words) <= 4 or len(text) > 40 or not re.fullmatch(r"[^\W_][\w&'’ ./]*", text) \
            or text[-1:] in ".,;":
        return False
    return text.lower() in LABELS or (text.isupper() and sum(char.isalpha() for char in text) >= 4)
