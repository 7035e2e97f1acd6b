/* A search box that offers completions as one types: the WAI-ARIA 1.2 combobox pattern
 * (list autocomplete, manual selection). The input is the combobox; its listbox holds the
 * suggestions of /api/suggest. Arrow keys move through them, Enter picks one and searches,
 * Escape closes the list; a pointer picks one too. Without script the box is a plain search
 * box in its form.
 *
 *   attachCombobox(input, listbox, suggestUrl, pick)
 *
 * `pick(text)` runs the search for the chosen text.
 */
function attachCombobox(input, listbox, suggestUrl, pick) {
  "use strict";
  var DEBOUNCE_MS = 150;
  var KIND_LABELS = { query: "热门", title: "标题", term: "词语" };
  var timer = null;
  var pending = null;
  var active = -1;
  var options = [];
  var typed = "";

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);
  listbox.setAttribute("role", "listbox");

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    options.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === index)); });
    active = index;
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    input.setAttribute("aria-activedescendant", options[index].id);
    if (options[index].scrollIntoView) options[index].scrollIntoView({ block: "nearest" });
  }

  function choose(index) {
    var text = options[index].dataset.text;
    input.value = text;
    cancel();
    pick(text);
  }

  function show(suggestions) {
    options = suggestions.map(function (suggestion, i) {
      var option = document.createElement("li");
      option.id = listbox.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.text = suggestion.text;
      var text = document.createElement("span");
      text.textContent = suggestion.text;
      // the kind is a visual hint: the option's name is the text it searches
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.setAttribute("aria-hidden", "true");
      kind.textContent = KIND_LABELS[suggestion.kind] || "";
      option.append(text, kind);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(i); });
      return option;
    });
    listbox.replaceChildren.apply(listbox, options);
    active = -1;
    if (!options.length) {
      close();
      return;
    }
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.removeAttribute("aria-activedescendant");
  }

  function fetchSuggestions() {
    var text = input.value.trim();
    typed = text;
    if (pending) pending.abort();
    if (!text) {
      show([]);
      return;
    }
    pending = window.AbortController ? new AbortController() : null;
    var url = suggestUrl + "?" + new URLSearchParams({ q: text, limit: "8" }).toString();
    fetch(url, { credentials: "omit", signal: pending ? pending.signal : undefined })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        // too late when the box has moved on, lost focus or been submitted
        if (text === typed && focused() && body.ok) show(body.suggestions);
      })
      .catch(function () { /* no suggestions: the box still searches */ });
  }

  function focused() {
    return input.getRootNode().activeElement === input;
  }

  // A search has started: nothing still on its way may open the list over its results.
  function cancel() {
    clearTimeout(timer);
    if (pending) pending.abort();
    typed = null;
    close();
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", function (event) {
    // Keys pressed while an input method composes (pinyin to characters) are its own.
    if (event.isComposing || event.keyCode === 229) return;
    var open = !listbox.hidden && options.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) return;
      event.preventDefault();
      if (!open) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = active < 0 ? (step > 0 ? 0 : options.length - 1) : (active + step + options.length) % options.length;
      highlight(next);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  if (input.form) input.form.addEventListener("submit", cancel);
  close();
}
