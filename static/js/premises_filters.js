/*
 * The filters of the list of premises, with htmx (the form works without JavaScript too).
 * - Choosing a value reloads the results in place; focus stays on the field (a keyboard user
 *   moving through a select with the arrow keys would otherwise be thrown out of it), and the
 *   new count is read out from a status line instead.
 * - A refused filter (status 400) still shows its error where the results were.
 * - Empty fields ("any") stay out of the URL, so that shared links stay short.
 * - After the back button, the fields show the filters of the URL again.
 * Listeners sit on the document: restoring the history replaces the form itself.
 */
(function () {
  "use strict";

  var FORM_ID = "premises-filters";

  function fromFilterForm(event) {
    var config = event.detail && event.detail.requestConfig;
    return Boolean(config && config.elt && config.elt.id === FORM_ID);
  }

  function byChange(event) {
    var trigger = event.detail.requestConfig.triggeringEvent;
    return Boolean(trigger && trigger.type === "change");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== FORM_ID) return;
    var data = event.detail.formData;
    Array.from(data.keys()).forEach(function (key) {
      if (data.get(key) === "") data.delete(key);
    });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (fromFilterForm(event) && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Capture phase: runs before site.js moves focus to the new results (bubble phase).
  document.addEventListener(
    "htmx:afterSwap",
    function (event) {
      if (!fromFilterForm(event) || !byChange(event)) return;
      var results = event.target;
      if (results && results.removeAttribute) results.removeAttribute("data-focus-after-swap");
      var heading = results && results.querySelector("h2");
      var status = document.getElementById("premises-filter-status");
      if (heading && status) status.textContent = heading.textContent.replace(/\s+/g, " ").trim();
    },
    true
  );

  document.addEventListener("htmx:historyRestore", function () {
    var form = document.getElementById(FORM_ID);
    if (!form) return;
    var params = new URLSearchParams(location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.tagName !== "SELECT") return;
      var value = params.get(field.name);
      field.value = value === null ? field.options[0].value : value;
      // A value the list does not offer: show the first choice rather than a blank field.
      if (field.selectedIndex < 0) field.selectedIndex = 0;
    });
  });
})();
