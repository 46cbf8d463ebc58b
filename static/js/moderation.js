/*
 * The moderation lists, made quick to work through from the keyboard:
 * - after a decision, focus moves to the next item's first button, and the decision is read out;
 * - a "select every item" box (shown only with JavaScript) ticks the items of the page.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    // After an outerHTML swap the target is the replaced element: find its successor by id.
    var item = target && target.id && document.getElementById(target.id);
    if (!item || !item.classList.contains("decided")) return;
    var next = item.nextElementSibling;
    while (next && next.classList.contains("decided")) next = next.nextElementSibling;
    var button = next && next.querySelector("[data-primary]");
    if (button) {
      button.focus();
    } else {
      item.focus();
    }
  });

  function enhanceSelectAll(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      var holder = box.closest("[hidden]");
      if (holder) holder.removeAttribute("hidden");
      box.addEventListener("change", function () {
        var form = box.form;
        document
          .querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]')
          .forEach(function (item) {
            if (item.form === form) item.checked = box.checked;
          });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceSelectAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    enhanceSelectAll(event.detail.elt);
  });
})();
