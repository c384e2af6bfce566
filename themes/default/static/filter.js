/* Broadside: the filter box of the people, countries and organisations indexes. Plain script, no dependencies,
   so it works opened from disk. Without it the box stays hidden and the whole list shows. */
(function () {
  "use strict";

  var MARKS = /\p{M}/gu;

  // As search.js folds: lower case, then no diacritics ("Côte" finds "cote").
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(MARKS, "");
  }

  // The box's words, in the page's language (its data-messages, from the theme's catalogues).
  function countText(box, shown, total) {
    var messages = {}, number = new Intl.NumberFormat(document.documentElement.lang || "en");
    try {
      messages = JSON.parse(box.getAttribute("data-messages") || "{}");
    } catch (error) {
      messages = {};
    }
    var message = messages[!shown ? "none" : shown === total ? "all" : "some"] || "";
    return message.replace("%(shown)s", number.format(shown)).replace("%(total)s", number.format(total));
  }

  function attach(box) {
    var list = document.getElementById(box.getAttribute("data-filter-list"));
    var input = box.querySelector("input");
    var status = box.querySelector("[aria-live]");
    if (!list || !input || !status) return;
    var items = Array.prototype.map.call(list.children, function (item) {
      return { item: item, text: fold(item.getAttribute("data-filter-text") || item.textContent) };
    });

    function update() {
      var words = fold(input.value).split(/\s+/).filter(Boolean), shown = 0;
      items.forEach(function (entry) {
        var fits = words.every(function (word) { return entry.text.indexOf(word) >= 0; });
        entry.item.hidden = !fits;
        if (fits) shown++;
      });
      status.textContent = words.length ? countText(box, shown, items.length) : "";
    }

    input.addEventListener("input", update);
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !input.value) return;
      event.preventDefault();
      input.value = "";
      update();
    });
    box.hidden = false;
    update();  // a value the browser restored (back button) filters at once
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-list]"), attach);
})();
