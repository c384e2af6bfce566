/* Broadside search: takes window.broadsideSearchIndex (set by search/index.js) and the search page, and gives
   results as the reader types. Plain script, no dependencies: fetch() and modules are blocked over file://. */
(function () {
  "use strict";

  // Where a term hits decides its weight; a briefing's score is the sum over the query's terms.
  var WEIGHT = { title: 8, issues: 4, source: 4, summary: 2, text: 1, body: 1 };
  var PREFIX_ONLY = 0.75;   // "kimb" finding "kimberley" counts a little less than the whole word
  var PAGE_SIZE = 50;       // results drawn at once; more on request, so typing stays smooth
  var DEBOUNCE_MS = 150;
  var SNIPPET_WORDS = 30;
  var ENTITY_LIMIT = 8;     // people, countries and organisations shown above the briefings
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var FOLDED_WORD = /[\p{L}\p{N}]+/gu;
  var WRITTEN_WORD = /[\p{L}\p{N}\p{M}]+/gu;   // marks kept, so positions stay those of the text as written
  var MARKS = /\p{M}/gu;
  var JOINER = /^[\s'’\-‐]{1,3}$/;            // what may sit between two highlighted words of one <mark>
  var NONE = 0, WEAK = 1, STRONG = 2;

  /* ---- Matching --------------------------------------------------------------- */

  // Must fold exactly as broadside/search.py does: lower case, then strip diacritics.
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(MARKS, "");
  }

  function wordsOf(text) {
    return fold(text).match(FOLDED_WORD) || [];
  }

  function decodeNumbers(encoded) {
    var numbers = [], value = 0, previous = -1;
    for (var i = 0; i < encoded.length; i++) {
      var digit = DIGITS.indexOf(encoded.charAt(i));
      value = value * 32 + (digit & 31);
      if (digit < 32) {
        previous += 1 + value;
        numbers.push(previous);
        value = 0;
      }
    }
    return numbers;
  }

  // Python sorts by code point; comparing UTF-16 code units agrees because search.py sorts that way too.
  function firstAtLeast(sorted, key) {
    var low = 0, high = sorted.length;
    while (low < high) {
      var middle = (low + high) >> 1;
      if (sorted[middle] < key) low = middle + 1; else high = middle;
    }
    return low;
  }

  // Completed words also find their plural or singular ("diamond" finds "diamonds"); the last word is a prefix.
  function variantsOf(term) {
    var variants = [term, term + "s", term + "es"];
    if (term.length > 3 && /[^s]s$/.test(term)) variants.push(term.slice(0, -1));
    return variants;
  }

  function Term(word, isLast, stop) {
    this.word = word;
    this.isLast = isLast;
    this.variants = isLast ? [] : variantsOf(word);
    // Stop words are assumed to be in every body, so they never rule a briefing out.
    this.optional = stop.has(word) || (word.length < 2 && !isLast);
  }

  Term.prototype.fit = function (word) {
    if (this.variants.indexOf(word) >= 0 || word === this.word) return 1;
    return this.isLast && word.lastIndexOf(this.word, 0) === 0 ? PREFIX_ONLY : 0;
  };

  // Calls found(key, fit) for each key of `sorted` the term matches.
  Term.prototype.eachKey = function (sorted, found) {
    var term = this;
    if (!this.isLast) {
      this.variants.forEach(function (variant) {
        var at = firstAtLeast(sorted, variant);
        if (sorted[at] === variant) found(at, 1);
      });
      return;
    }
    for (var at = firstAtLeast(sorted, this.word); at < sorted.length; at++) {
      var fit = term.fit(sorted[at]);
      if (!fit) break;
      found(at, fit);
    }
  };

  function termsOf(query, stop) {
    var words = wordsOf(query).filter(function (word, at, all) { return all.lastIndexOf(word) === at; });
    return words.map(function (word, at) { return new Term(word, at === words.length - 1, stop); });
  }

  /* ---- The engine: the index, prepared once -------------------------------------- */

  function addWords(byWord, number, text, weight) {
    wordsOf(text).forEach(function (word) {
      var pairs = byWord.get(word);
      if (!pairs) {
        byWord.set(word, [number, weight]);
      } else if (pairs[pairs.length - 2] === number) {
        pairs[pairs.length - 1] = Math.max(pairs[pairs.length - 1], weight);
      } else {
        pairs.push(number, weight);
      }
    });
  }

  function Engine(index) {
    var byWord = new Map();
    this.index = index;
    this.briefings = index.briefings;
    this.stop = new Set(index.stop);
    this.briefings.forEach(function (briefing, number) {
      addWords(byWord, number, briefing.title, WEIGHT.title);
      addWords(byWord, number, this.issueTitles(briefing).join(" "), WEIGHT.issues);
      addWords(byWord, number, briefing.source, WEIGHT.source);
      addWords(byWord, number, briefing.summary, WEIGHT.summary);
      addWords(byWord, number, briefing.text, WEIGHT.text);
    }, this);
    this.byWord = byWord;
    this.shownWords = Array.from(byWord.keys()).sort();
    this.decoded = new Array(index.terms.length);
  }

  Engine.prototype.issueTitles = function (briefing) {
    var titles = this.index.issues;
    return briefing.issues.map(function (number) { return titles[number]; });
  };

  Engine.prototype.bodyNumbers = function (at) {
    if (!this.decoded[at]) this.decoded[at] = decodeNumbers(this.index.postings[at]);
    return this.decoded[at];
  };

  // Map of briefing number -> best weight of `term` in that briefing.
  Engine.prototype.hitsOf = function (term) {
    var hits = new Map(), engine = this;
    function note(number, weight) {
      if (!(hits.get(number) >= weight)) hits.set(number, weight);
    }
    term.eachKey(this.shownWords, function (at, fit) {
      var pairs = engine.byWord.get(engine.shownWords[at]);
      for (var i = 0; i < pairs.length; i += 2) note(pairs[i], pairs[i + 1] * fit);
    });
    term.eachKey(this.index.terms, function (at, fit) {
      engine.bodyNumbers(at).forEach(function (number) { note(number, WEIGHT.body * fit); });
    });
    return hits;
  };

  // Briefings that have every term (stop words aside), best first; ties newest first.
  Engine.prototype.query = function (query) {
    var terms = termsOf(query, this.stop), count = this.briefings.length;
    var scores = new Float64Array(count), found = new Uint16Array(count), required = 0;
    terms.forEach(function (term) {
      if (!term.optional) required++;
      this.hitsOf(term).forEach(function (weight, number) {
        scores[number] += weight;
        if (!term.optional) found[number]++;
      });
    }, this);
    var numbers = [];
    for (var number = 0; number < count; number++) if (found[number] === required && terms.length) numbers.push(number);
    var briefings = this.briefings;
    numbers.sort(function (a, b) {
      return scores[b] - scores[a] || (briefings[a].date < briefings[b].date) - (briefings[a].date > briefings[b].date) || a - b;
    });
    return { terms: terms, results: numbers.map(function (n) { return { briefing: briefings[n], score: scores[n] }; }) };
  };

  /* ---- People, countries and organisations: matched by their names --------------------- */

  function Names(entities) {
    this.entries = (entities || []).map(function (entity) {
      return { entity: entity, words: wordsOf([entity.name].concat(entity.aliases).join(" ")) };
    });
  }

  // Those whose names hold every term (stop words aside), matched as briefings are: the last term as a prefix.
  Names.prototype.query = function (terms) {
    var required = terms.filter(function (term) { return !term.optional; });
    if (!required.length) return [];
    return this.entries.filter(function (entry) {
      return required.every(function (term) {
        return entry.words.some(function (word) { return term.fit(word) > 0; });
      });
    }).slice(0, ENTITY_LIMIT).map(function (entry) { return entry.entity; });
  };

  /* ---- Highlighting ----------------------------------------------------------------- */

  function tokensOf(text, terms) {
    var tokens = [], match;
    WRITTEN_WORD.lastIndex = 0;
    while ((match = WRITTEN_WORD.exec(text))) {
      var word = fold(match[0]), kind = NONE;
      terms.forEach(function (term) {
        if (term.fit(word)) kind = Math.max(kind, term.optional ? WEAK : STRONG);
      });
      tokens.push({ start: match.index, end: match.index + match[0].length, kind: kind });
    }
    return tokens;
  }

  // Runs of matching words become one range ("Côte d'Ivoire"); stop words join a run but never start or end one.
  function rangesOf(text, tokens) {
    var ranges = [], run = null;
    tokens.forEach(function (token) {
      if (run && !(token.kind && JOINER.test(text.slice(run.reach, token.start)))) {
        ranges.push([run.start, run.end]);
        run = null;
      }
      if (token.kind === STRONG && !run) run = { start: token.start, end: token.end, reach: token.end };
      else if (token.kind && run) {
        run.reach = token.end;
        if (token.kind === STRONG) run.end = token.end;
      }
    });
    if (run) ranges.push([run.start, run.end]);
    return ranges;
  }

  function appendMarked(parent, text, terms) {
    var at = 0;
    rangesOf(text, tokensOf(text, terms)).forEach(function (range) {
      parent.appendChild(document.createTextNode(text.slice(at, range[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(range[0], range[1]);
      parent.appendChild(mark);
      at = range[1];
    });
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // A window of the summary or opening text around the first hit; the summary's start when the hit is deeper.
  function snippetOf(briefing, terms) {
    var texts = [briefing.summary, briefing.text].filter(Boolean);
    for (var i = 0; i < texts.length; i++) {
      var tokens = tokensOf(texts[i], terms);
      var first = tokens.findIndex(function (token) { return token.kind === STRONG; });
      if (first >= 0) return cut(texts[i], tokens, Math.max(0, first - 8));
    }
    return texts.length ? cut(texts[0], tokensOf(texts[0], []), 0) : "";
  }

  function cut(text, tokens, from) {
    var to = from + SNIPPET_WORDS;
    if (to >= tokens.length) from = Math.max(0, tokens.length - SNIPPET_WORDS);
    var start = from > 0 ? tokens[from].start : 0;
    var end = to < tokens.length ? tokens[to - 1].end : text.length;
    return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }

  /* ---- The page ------------------------------------------------------------------- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function separator() {
    var span = element("span", "sep", " · ");
    span.setAttribute("aria-hidden", "true");
    var fragment = document.createDocumentFragment();
    fragment.appendChild(span);
    fragment.appendChild(element("span", "visually-hidden", ", "));
    return fragment;
  }

  function resultItem(engine, briefing, terms) {
    var item = element("li", "search-result");
    var link = element("a", "search-result-title");
    link.href = briefing.url;
    appendMarked(link, briefing.title, terms);
    item.appendChild(link);
    var meta = element("p", "meta");
    var time = element("time", "", briefing.shown);
    time.setAttribute("datetime", briefing.date);
    meta.appendChild(time);
    if (briefing.source) {
      meta.appendChild(separator());
      meta.appendChild(document.createTextNode(briefing.source));
    }
    item.appendChild(meta);
    var issues = engine.issueTitles(briefing);
    if (issues.length) {
      var named = element("p", "search-result-issues", "Issues: ");
      appendMarked(named, issues.join(", "), terms);
      item.appendChild(named);
    }
    var snippet = snippetOf(briefing, terms);
    if (snippet) {
      var paragraph = element("p", "search-result-snippet");
      appendMarked(paragraph, snippet, terms);
      item.appendChild(paragraph);
    }
    return item;
  }

  function countText(count, query) {
    var quoted = "“" + query + "”";
    if (!count) return "No briefings match " + quoted + ". Try fewer or shorter words.";
    return count === 1 ? "1 briefing matches " + quoted + "." : count + " briefings match " + quoted + ".";
  }

  function entityText(count) {
    if (!count) return "";
    return count === 1 ? " Also 1 person, country or organisation." : " Also " + count + " people, countries or organisations.";
  }

  function entityItem(entity, terms) {
    var item = element("li", "search-entity");
    var link = element("a", "");
    link.href = entity.url;
    appendMarked(link, entity.name, terms);
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(element("span", "meta", entity.about));
    return item;
  }

  function rememberQuery(query) {
    try {
      var address = new URL(window.location.href);
      if (query) address.searchParams.set("q", query); else address.searchParams.delete("q");
      window.history.replaceState(null, "", address.href);
    } catch (error) {
      // Some browsers refuse history changes for file:// pages; searching works without it.
    }
  }

  function SearchPage(engine, form) {
    this.engine = engine;
    this.names = new Names(engine.index.entities);
    this.entitySection = document.getElementById("search_entities");
    this.entityList = document.getElementById("search_entity_results");
    this.input = form.querySelector("input[name=q]");
    this.status = document.getElementById("search_status");
    this.list = document.getElementById("search_results");
    this.everything = Array.prototype.slice.call(this.list.children);   // the no-JavaScript list, kept for an empty query
    this.everythingText = this.status.textContent;
    this.more = element("button", "search-more", "");
    this.more.type = "button";
    this.more.hidden = true;
    this.list.parentNode.insertBefore(this.more, this.list.nextSibling);
    this.found = null;
    this.shown = 0;
    this.timer = 0;
    this.listen(form);
  }

  SearchPage.prototype.listen = function (form) {
    var page = this;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      page.update();
    });
    this.input.addEventListener("input", function () {
      window.clearTimeout(page.timer);
      page.timer = window.setTimeout(function () { page.update(); }, DEBOUNCE_MS);
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !page.input.value) return;
      event.preventDefault();
      page.input.value = "";
      page.update();
    });
    this.more.addEventListener("click", function () { page.showMore(true); });
  };

  SearchPage.prototype.update = function () {
    window.clearTimeout(this.timer);
    var query = this.input.value.trim();
    rememberQuery(query);
    this.list.textContent = "";
    if (!query) {
      this.showNames([]);
      this.found = null;
      this.everything.forEach(function (item) { this.list.appendChild(item); }, this);
      this.more.hidden = true;
      this.status.textContent = this.everythingText;
      return;
    }
    this.found = this.engine.query(query);
    var named = this.showNames(this.found.terms);
    this.shown = 0;
    this.showMore(false);
    this.status.textContent = countText(this.found.results.length, query) + entityText(named);
  };

  // Lists the people, countries and organisations the terms name, above the briefings; gives how many.
  SearchPage.prototype.showNames = function (terms) {
    if (!this.entitySection) return 0;
    var found = this.names.query(terms);
    this.entityList.textContent = "";
    found.forEach(function (entity) { this.entityList.appendChild(entityItem(entity, terms)); }, this);
    this.entitySection.hidden = !found.length;
    return found.length;
  };

  SearchPage.prototype.showMore = function (moveFocus) {
    var results = this.found.results, end = Math.min(results.length, this.shown + PAGE_SIZE);
    var first = null;
    for (var i = this.shown; i < end; i++) {
      var item = resultItem(this.engine, results[i].briefing, this.found.terms);
      this.list.appendChild(item);
      first = first || item;
    }
    this.shown = end;
    var left = results.length - end;
    this.more.hidden = left <= 0;
    this.more.textContent = "Show " + Math.min(left, PAGE_SIZE) + " more";
    // The button the reader pressed may vanish: put focus on the first new result instead of losing it.
    if (moveFocus && first) first.querySelector("a").focus();
  };

  function start() {
    var form = document.getElementById("search_form");
    var index = window.broadsideSearchIndex;
    if (!form) return;
    if (!index) {
      document.getElementById("search_status").textContent =
        "Search is unavailable because its index did not load; every briefing is listed below.";
      return;
    }
    var engine = new Engine(index);
    window.broadsideSearch = { query: function (text) { return engine.query(text).results; } };
    var page = new SearchPage(engine, form);
    var query = new URLSearchParams(window.location.search).get("q") || "";
    page.input.value = query;
    if (query.trim()) page.update();
  }

  start();
})();
