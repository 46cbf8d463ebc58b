/*
 * Small enhancements for every page:
 * - focus follows htmx swaps, so that keyboard and screen-reader users are not left on a control
 *   that no longer exists;
 * - a failed htmx request shows a readable message where the person acted, never a blank panel;
 * - a shop-type list gets a search box that shortens it as one types.
 */
(function () {
  "use strict";

  function messages() {
    try {
      return JSON.parse(document.body.dataset.htmxErrors || "{}");
    } catch (error) {
      return {};
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var id = target && target.id;
    var swapped = id && document.getElementById(id);
    // A confirmation that arrived with the swap is read first, and scrolled into sight.
    var arrival = swapped && swapped.querySelector("[data-focus-on-arrival]");
    if (arrival) {
      arrival.focus();
    } else if (swapped && swapped.hasAttribute("data-focus-after-swap")) {
      swapped.focus();
    } else if (!document.activeElement || document.activeElement === document.body) {
      // The control that had focus was replaced by one with no id: focus the new content instead.
      var fallback = swapped || (target && target.isConnected ? target : null);
      if (fallback && fallback.hasAttribute("tabindex")) fallback.focus();
    }
  });

  function showError(element, text) {
    if (!element || !element.isConnected) return;
    var anchor = element.closest("form, section, li, div") || element;
    var note = anchor.querySelector(":scope > .request-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "request-error";
      note.setAttribute("role", "alert");
      anchor.appendChild(note);
    }
    note.textContent = text;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var texts = messages();
    var status = event.detail.xhr ? String(event.detail.xhr.status) : "";
    showError(event.detail.elt, texts[status] || texts["default"] || "Error " + status);
  });

  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt, messages().network || "Network error");
  });

  function normalise(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function enhanceTypeFilters(root) {
    root.querySelectorAll("input[data-filters]").forEach(function (input) {
      var select = document.getElementById(input.dataset.filters);
      if (!select || input.dataset.enhanced) return;
      input.dataset.enhanced = "true";
      var original = Array.prototype.map.call(select.children, function (node) {
        return node.cloneNode(true);
      });
      var status = document.createElement("p");
      status.className = "hint";
      status.setAttribute("role", "status");
      input.insertAdjacentElement("afterend", status);
      input.closest("[hidden]") && input.closest("[hidden]").removeAttribute("hidden");

      input.addEventListener("input", function () {
        var term = normalise(input.value);
        var chosen = select.value;
        var matches = 0;
        select.replaceChildren();
        original.forEach(function (node) {
          if (node.tagName !== "OPTGROUP") {
            select.appendChild(node.cloneNode(true));
            return;
          }
          var groupMatches = normalise(node.label).indexOf(term) !== -1;
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            if (!term || groupMatches || normalise(option.textContent).indexOf(term) !== -1) {
              group.appendChild(option.cloneNode(true));
            }
          });
          matches += group.children.length;
          if (group.children.length) select.appendChild(group);
        });
        select.value = chosen;
        if (term && matches === 1) select.value = select.querySelector("optgroup option").value;
        status.textContent = term ? (input.dataset.matches || "%(count)s").replace("%(count)s", matches) : "";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceTypeFilters(document);
  });
  document.addEventListener("htmx:load", function (event) {
    enhanceTypeFilters(event.detail.elt.parentNode || document);
  });
})();
