/* Broadside search: takes window.broadsideSearchIndex (the manifest, search/index.js) and the search page, and gives
   results as the reader types. The index is split into shards that this script loads when a query needs them, each
   with a plain <script> element: fetch() and modules are blocked over file://. No dependencies. */
(function () {
  "use strict";

  var PAGE_SIZE = 50;       // results drawn at once; more on request, so typing stays smooth
  var FIRST_DRAW = 10;      // results drawn before the rest of the first page
  var DEBOUNCE_MS = 150;
  var SNIPPET_WORDS = 30;
  var ENTITY_LIMIT = 8;     // people, countries and organisations shown above the briefings
  var KEY_LETTERS = 2;      // a term shard holds the words beginning with the same two letters (search.py)
  var PREFIX_FROM = 4;      // a word this long also finds the words it begins ("kimb" finds "kimberley") ...
  var LAST_PREFIX_FROM = 2; // ... and the last word, still being typed, from two letters
  var TYPO_FROM = 5;        // a word this long also finds words one typo away (after its first two letters)
  var EXACT = 0, CLOSE = 1, TYPO = 2, NONE = 255;   // how well a word of the index fits a word of the query
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var FOLDED_WORD = /[\p{L}\p{N}]+/gu;
  var WRITTEN_WORD = /[\p{L}\p{N}\p{M}]+/gu;   // marks kept, so positions stay those of the text as written
  var MARKS = /\p{M}/gu;
  var LIGATURES = /[œæß]/g;                   // typed as two letters (coeur for cœur), as search.py folds them
  var LIGATURE = { "œ": "oe", "æ": "ae", "ß": "ss" };
  var JOINER = /^[\s'’\-‐]{1,3}$/;            // what may sit between two highlighted words of one <mark>
  var WEAK = 1, STRONG = 2;

  /* ---- Words ---------------------------------------------------------------------- */

  // Must fold exactly as broadside/search.py does: lower case, then strip diacritics.
  function fold(text) {
    return text.toLowerCase().replace(LIGATURES, function (pair) { return LIGATURE[pair]; })
      .normalize("NFD").replace(MARKS, "");
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

  // True when one letter added, removed, changed, or two neighbours swapped turn `a` into `b`.
  function oneEditApart(a, b) {
    if (a.length > b.length) { var longer = a; a = b; b = longer; }
    var start = 0;
    while (start < a.length && a.charAt(start) === b.charAt(start)) start++;
    if (a.length === b.length) {
      if (start === a.length) return false;
      if (a.slice(start + 1) === b.slice(start + 1)) return true;
      return a.charAt(start) === b.charAt(start + 1) && a.charAt(start + 1) === b.charAt(start) &&
        a.slice(start + 2) === b.slice(start + 2);
    }
    return b.length - a.length === 1 && a.slice(start) === b.slice(start + 1);
  }

  // Completed words also find their plural or singular ("diamond" finds "diamonds").
  function variantsOf(word) {
    var variants = [word + "s", word + "es"];
    if (word.length > 3 && /[^s]s$/.test(word)) variants.push(word.slice(0, -1));
    return variants;
  }

  function Word(text, isLast, stop) {
    this.text = text;
    this.key = text.slice(0, KEY_LETTERS);
    // Stop words and single letters are not indexed: they never rule a briefing out.
    this.optional = stop.has(text) || text.length < KEY_LETTERS;
    this.variants = variantsOf(text);
    this.prefix = text.length >= (isLast ? LAST_PREFIX_FROM : PREFIX_FROM);
    this.typos = text.length >= TYPO_FROM;
  }

  // EXACT, CLOSE (a plural, or a longer word it begins), TYPO, or NONE.
  Word.prototype.fit = function (word) {
    if (word === this.text || this.variants.indexOf(word) >= 0) return EXACT;
    if (this.prefix && word.lastIndexOf(this.text, 0) === 0) return CLOSE;
    if (this.typos && Math.abs(word.length - this.text.length) <= 1 && word.lastIndexOf(this.key, 0) === 0 &&
        oneEditApart(word, this.text)) return TYPO;
    return NONE;
  };

  function queryWords(query, stop) {
    var words = wordsOf(query).filter(function (word, at, all) { return all.lastIndexOf(word) === at; });
    return words.map(function (word, at) { return new Word(word, at === words.length - 1, stop); });
  }

  /* ---- Shards: loaded once each, as scripts ----------------------------------------- */

  function ShardError(file) {
    this.file = file;
  }

  function Loader(index, base) {
    this.index = index;
    this.base = base;      // the address of search/index.js: shard files sit beside it
    this.waiting = {};
  }

  // A promise of the data the shard script `file` registers under `name`.
  Loader.prototype.load = function (name, file, token) {
    var registry = window.broadsideSearchShards, loader = this;
    if (registry && registry[name]) return Promise.resolve(registry[name]);
    if (!this.waiting[name]) {
      this.waiting[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.onload = function () {
          var data = (window.broadsideSearchShards || {})[name];
          if (data) resolve(data); else reject(new ShardError(file));
        };
        script.onerror = function () { reject(new ShardError(file)); };
        // The token changes with the shard's content, so a browser never mixes an old shard with a new manifest.
        script.src = new URL(file + "?v=" + token, loader.base).href;
        document.head.appendChild(script);
      });
      this.waiting[name].catch(function () { delete loader.waiting[name]; });   // a later search tries again
    }
    return this.waiting[name];
  };

  // The words beginning with `key`, or null when no indexed word does.
  Loader.prototype.terms = function (key) {
    var entry = this.index.terms[key];
    if (!entry) return Promise.resolve(null);
    return this.load("terms/" + entry[0], "terms/" + entry[0] + ".js", entry[1]);
  };

  Loader.prototype.records = function (shard) {
    return this.load("briefings/" + shard, "briefings/" + shard + ".js", this.index.records[shard]);
  };

  /* ---- The engine ------------------------------------------------------------------ */

  function Engine(index, loader) {
    this.index = index;
    this.loader = loader;
    this.stop = new Set(index.stop);
    this.decoded = new Map();   // encoded postings -> numbers, for words searched again
  }

  Engine.prototype.numbers = function (encoded) {
    if (!encoded) return [];
    var numbers = this.decoded.get(encoded);
    if (!numbers) {
      numbers = decodeNumbers(encoded);
      this.decoded.set(encoded, numbers);
    }
    return numbers;
  };

  // Per briefing number, how `word` fits it at best: fit * 2, plus one when only outside the title; NONE if not.
  Engine.prototype.hitsOf = function (word, shard) {
    var best = new Uint8Array(this.index.count).fill(NONE);
    if (!shard) return best;
    for (var at = 0; at < shard.terms.length; at++) {
      var fit = word.fit(shard.terms[at]);
      if (fit === NONE) continue;
      var lists = [shard.title[at], shard.other[at]];
      for (var place = 0; place < 2; place++) {
        var code = fit * 2 + place, numbers = this.numbers(lists[place]);
        for (var i = 0; i < numbers.length; i++) if (code < best[numbers[i]]) best[numbers[i]] = code;
      }
    }
    return best;
  };

  // A promise of {words, numbers (best first), entities}: briefings holding every word (stop words aside); those
  // needing a typo last, then those with more words in the title, then those needing fewer words completed
  // ("kimb" for "kimberley"), then the newest.
  Engine.prototype.search = function (query) {
    var engine = this, words = queryWords(query, this.stop);
    var required = words.filter(function (word) { return !word.optional; });
    if (!required.length) return Promise.resolve({ words: words, numbers: [], entities: [] });
    return Promise.all(required.map(function (word) { return engine.loader.terms(word.key); })).then(function (shards) {
      var hits = required.map(function (word, at) { return engine.hitsOf(word, shards[at]); });
      return { words: words, numbers: engine.rank(hits), entities: namesIn(shards[0], required) };
    });
  };

  Engine.prototype.rank = function (hits) {
    var found = [], typos = [], inTitle = [], inexact = [];
    for (var number = 0; number < this.index.count; number++) {
      var misses = 0, titles = 0, close = 0, every = true;
      for (var w = 0; w < hits.length && every; w++) {
        var code = hits[w][number];
        if (code === NONE) every = false;
        else {
          if (code >> 1 === TYPO) misses++;
          if (code >> 1 === CLOSE) close++;
          if (!(code & 1)) titles++;
        }
      }
      if (!every) continue;
      found.push(number);
      typos[number] = misses;
      inTitle[number] = titles;
      inexact[number] = close;
    }
    return found.sort(function (a, b) {
      return typos[a] - typos[b] || inTitle[b] - inTitle[a] || inexact[a] - inexact[b] || b - a;
    });
  };

  // A promise of the records of briefings `numbers`, in that order.
  Engine.prototype.records = function (numbers) {
    var per = this.index.perShard, loader = this.loader;
    var shards = numbers.map(function (number) { return Math.floor(number / per); })
      .filter(function (shard, at, all) { return all.indexOf(shard) === at; });
    return Promise.all(shards.map(function (shard) { return loader.records(shard); })).then(function (loaded) {
      return numbers.map(function (number) { return loaded[shards.indexOf(Math.floor(number / per))][number % per]; });
    });
  };

  Engine.prototype.issueTitles = function (record) {
    var titles = this.index.issues;
    return record.issues.map(function (number) { return titles[number]; });
  };

  // People, countries and organisations whose names hold every word (found in the first word's shard).
  function namesIn(shard, words) {
    var seen = {};
    return ((shard && shard.entities) || []).filter(function (entity) {
      if (seen[entity.url]) return false;
      seen[entity.url] = true;
      var names = wordsOf([entity.name].concat(entity.aliases).join(" "));
      return words.every(function (word) {
        return names.some(function (name) { return word.fit(name) !== NONE; });
      });
    }).slice(0, ENTITY_LIMIT);
  }

  /* ---- Highlighting ----------------------------------------------------------------- */

  function tokensOf(text, words) {
    var tokens = [], match;
    WRITTEN_WORD.lastIndex = 0;
    while ((match = WRITTEN_WORD.exec(text))) {
      var folded = fold(match[0]), kind = 0;
      words.forEach(function (word) {
        if (word.fit(folded) !== NONE) kind = Math.max(kind, word.optional ? WEAK : STRONG);
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

  function appendMarked(parent, text, words) {
    var at = 0;
    rangesOf(text, tokensOf(text, words)).forEach(function (range) {
      parent.appendChild(document.createTextNode(text.slice(at, range[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(range[0], range[1]);
      parent.appendChild(mark);
      at = range[1];
    });
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // A window of the summary or opening text around the first hit; the summary's start when the hit is deeper.
  function snippetOf(record, words) {
    var texts = [record.summary, record.text].filter(Boolean);
    for (var i = 0; i < texts.length; i++) {
      var tokens = tokensOf(texts[i], words);
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

  function resultItem(engine, record, words) {
    var item = element("li", "search-result");
    var link = element("a", "search-result-title");
    link.href = record.url;
    appendMarked(link, record.title, words);
    item.appendChild(link);
    var meta = element("p", "meta");
    var time = element("time", "", record.shown);
    time.setAttribute("datetime", record.date);
    meta.appendChild(time);
    if (record.source) {
      meta.appendChild(separator());
      meta.appendChild(document.createTextNode(record.source));
    }
    item.appendChild(meta);
    var issues = engine.issueTitles(record);
    if (issues.length) {
      // The issues' titles are marked where they match, wherever the language puts them in the sentence.
      var parts = say("issues", { issues: "\u0000" }).split("\u0000");
      var named = element("p", "search-result-issues", parts[0]);
      appendMarked(named, issues.join(", "), words);
      if (parts[1]) named.appendChild(document.createTextNode(parts[1]));
      item.appendChild(named);
    }
    var snippet = snippetOf(record, words);
    if (snippet) {
      var paragraph = element("p", "search-result-snippet");
      appendMarked(paragraph, snippet, words);
      item.appendChild(paragraph);
    }
    return item;
  }

  /* ---- Words: the page's own, in its language (the form's data-messages, from the theme's catalogues) -------- */

  var LANG = document.documentElement.lang || "en";
  var MESSAGES = {};
  var PLURAL = new Intl.PluralRules(LANG);
  var NUMBER = new Intl.NumberFormat(LANG);

  function readMessages(form) {
    try {
      MESSAGES = JSON.parse(form.getAttribute("data-messages") || "{}");
    } catch (error) {
      MESSAGES = {};
    }
  }

  // A message with its %(name)s placeholders filled in; a plural message takes the form for values.num.
  function say(key, values) {
    var message = MESSAGES[key] || "";
    if (typeof message === "object") message = message[PLURAL.select(values.num)] || message.other || "";
    return message.replace(/%\((\w+)\)s/g, function (whole, name) {
      var value = values[name];
      return typeof value === "number" ? NUMBER.format(value) : String(value);
    });
  }

  function countText(count, query) {
    return count ? say("found", { num: count, query: query }) : say("none", { query: query });
  }

  function entityText(count) {
    return count ? " " + say("names", { num: count }) : "";
  }

  function failureText(error) {
    if (error instanceof ShardError) return say("failed", { file: "search/" + error.file });
    return say("failed_script", {});
  }

  function entityItem(entity, words) {
    var item = element("li", "search-entity");
    var link = element("a", "");
    link.href = entity.url;
    appendMarked(link, entity.name, words);
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
    this.entitySection = document.getElementById("search_entities");
    this.entityList = document.getElementById("search_entity_results");
    this.input = form.querySelector("input[name=q]");
    this.status = document.getElementById("search_status");
    this.list = document.getElementById("search_results");
    this.more = element("button", "search-more", "");
    this.more.type = "button";
    this.more.hidden = true;
    this.list.parentNode.insertBefore(this.more, this.list.nextSibling);
    this.found = null;
    this.shown = 0;
    this.timer = 0;
    this.asked = 0;   // the number of the latest search: an older one finishing late draws nothing
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
    this.more.addEventListener("click", function () { page.showMore(true, PAGE_SIZE); });
  };

  SearchPage.prototype.update = function () {
    window.clearTimeout(this.timer);
    var page = this, query = this.input.value.trim(), asked = ++this.asked;
    rememberQuery(query);
    if (!query) {
      this.clear();
      this.status.textContent = "";
      return Promise.resolve();
    }
    return this.engine.search(query).then(function (found) {
      if (asked !== page.asked) return;
      page.clear();
      page.found = found;
      // The first few results at once, then the count, then the rest of the first page (other shards, maybe).
      return page.showMore(false, FIRST_DRAW).then(function () {
        if (found !== page.found) return;
        page.showNames(found.entities, found.words);
        page.status.textContent = countText(found.numbers.length, query) + entityText(found.entities.length);
        return page.showMore(false, PAGE_SIZE, PAGE_SIZE);
      });
    }).catch(function (error) { page.fail(error, asked); });
  };

  SearchPage.prototype.clear = function () {
    this.found = null;
    this.shown = 0;
    this.list.textContent = "";
    this.more.hidden = true;
    this.showNames([], []);
  };

  SearchPage.prototype.fail = function (error, asked) {
    if (asked !== this.asked) return;
    this.clear();
    this.status.textContent = failureText(error);
  };

  // Lists the people, countries and organisations found, above the briefings.
  SearchPage.prototype.showNames = function (entities, words) {
    if (!this.entitySection) return;
    this.entityList.textContent = "";
    entities.forEach(function (entity) { this.entityList.appendChild(entityItem(entity, words)); }, this);
    this.entitySection.hidden = !entities.length;
  };

  // Draws the next `count` results once their records are loaded; `until` draws up to that many results at most.
  SearchPage.prototype.showMore = function (moveFocus, count, until) {
    var page = this, found = this.found, asked = this.asked;
    var end = Math.min(this.shown + count, until || Infinity), numbers = found.numbers.slice(this.shown, end);
    this.more.hidden = true;   // until these are drawn: a second press would draw them twice
    return this.engine.records(numbers).then(function (records) {
      if (asked !== page.asked || found !== page.found) return;
      var first = null;
      records.forEach(function (record) {
        var item = resultItem(page.engine, record, found.words);
        page.list.appendChild(item);
        first = first || item;
      });
      page.shown += records.length;
      var left = found.numbers.length - page.shown;
      page.more.hidden = left <= 0;
      page.more.textContent = say("more", { num: Math.min(left, PAGE_SIZE) });
      // The button the reader pressed may vanish: put focus on the first new result instead of losing it.
      if (moveFocus && first) first.querySelector("a").focus();
    }).catch(function (error) { page.fail(error, asked); });
  };

  function start() {
    var form = document.getElementById("search_form");
    var index = window.broadsideSearchIndex;
    var manifest = document.querySelector("script[data-search-index]");
    if (!form) return;
    readMessages(form);
    if (!index || !manifest) {
      document.getElementById("search_status").textContent = say("unavailable", {});
      return;
    }
    var engine = new Engine(index, new Loader(index, manifest.src));
    // For benchmarks and tests: a promise of {count, records} (the first page of results, best first).
    window.broadsideSearch = {
      query: function (text) {
        return engine.search(text).then(function (found) {
          return engine.records(found.numbers.slice(0, PAGE_SIZE)).then(function (records) {
            return { count: found.numbers.length, records: records };
          });
        });
      }
    };
    var page = new SearchPage(engine, form);
    page.status.textContent = "";   // the advice for pages without JavaScript
    var query = new URLSearchParams(window.location.search).get("q") || "";
    page.input.value = query;
    if (query.trim()) page.update();
  }

  start();
})();
