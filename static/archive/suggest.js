/* Suggestions while typing, as an ARIA 1.2 combobox.
   Enter submits exactly what was typed unless an option was chosen with the arrow keys;
   without this script the search form works the same, only without suggestions. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var url = form.getAttribute("data-suggest-url");
  var list = document.createElement("ul");
  var status = document.createElement("div");
  var options = [];
  var active = -1;
  var timer = null;
  var latest = 0;

  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.parentNode.appendChild(list);
  input.parentNode.appendChild(status);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  function close() {
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    options.forEach(function (item, position) {
      item.element.setAttribute("aria-selected", position === index ? "true" : "false");
    });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].element.id);
      options[index].element.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(option) {
    if (option.param === "q") {
      input.value = option.value;
    } else {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = option.param;
      hidden.value = option.value;
      form.appendChild(hidden);
      input.value = "";
    }
    close();
    form.submit();
  }

  function render(suggestions) {
    list.textContent = "";
    options = suggestions.map(function (suggestion, position) {
      var element = document.createElement("li");
      var label = document.createElement("span");
      var kind = document.createElement("span");
      element.id = "q-suggestion-" + position;
      element.setAttribute("role", "option");
      element.setAttribute("aria-selected", "false");
      label.textContent = suggestion.label;
      kind.className = "kind";
      kind.textContent = suggestion.detail;
      element.appendChild(label);
      element.appendChild(kind);
      element.addEventListener("mousedown", function (event) { event.preventDefault(); });
      element.addEventListener("click", function () { choose(suggestion); });
      suggestion.element = element;
      list.appendChild(element);
      return suggestion;
    });
    active = -1;
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    status.textContent = options.length ? options.length + " suggestions; use the arrow keys to choose one." : "";
  }

  function fetchSuggestions() {
    var typed = input.value.trim();
    var ticket = ++latest;
    if (typed.length < 2) { render([]); return; }
    fetch(url + "?q=" + encodeURIComponent(typed), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) { if (ticket === latest) { render(data.suggestions || []); } })
      .catch(function () { render([]); });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, 150);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown") {
      if (!open) { fetchSuggestions(); return; }
      event.preventDefault();
      highlight(active + 1 >= options.length ? 0 : active + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      if (open && active >= 0) {
        event.preventDefault();
        choose(options[active]);
      } else {
        latest++;
        close();
      }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });

  input.addEventListener("blur", function () { window.setTimeout(close, 100); });
})();
