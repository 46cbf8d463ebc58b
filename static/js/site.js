/*
 * Small enhancements for every page. When htmx replaces a part of the page marked
 * data-focus-after-swap (a page of results), focus moves to the new content, so that keyboard and
 * screen-reader users are not left on a link that no longer exists.
 */
document.addEventListener("htmx:afterSwap", function (event) {
  "use strict";
  var id = event.detail && event.detail.target && event.detail.target.id;
  var swapped = id && document.getElementById(id);
  if (swapped && swapped.hasAttribute("data-focus-after-swap")) swapped.focus();
});
