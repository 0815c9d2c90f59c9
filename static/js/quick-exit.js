/* Quick exit: the "Quick exit" link or the Escape key leaves for a neutral
 * page at once. location.replace() swaps this page's entry in the history,
 * so the Back button does not bring it back. Without JavaScript the link
 * still leaves; it just cannot rewrite history. */
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) {
    return;
  }
  var leaving = false;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    if (leaving) {
      return;
    }
    leaving = true;
    // Hide the page before the next one arrives, in case someone is looking.
    document.body.hidden = true;
    document.title = "";
    window.location.replace(link.href);
  }

  link.addEventListener("click", function (event) {
    // Let modified clicks (new tab, new window) behave as the person asked.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    leave(event);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      leave(event);
    }
  });
}());
