/* Page tools on a resource page: copy its link, share it, print it. The
 * buttons ship hidden and appear only when the browser can do the job, so a
 * page without JavaScript shows no dead controls. */
(function () {
  "use strict";
  var status = document.querySelector("[data-tool-status]");

  function say(message) {
    if (status) {
      status.textContent = "";
      // A fresh text node makes screen readers announce a repeated message.
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  }

  document.querySelectorAll("[data-copy-link]").forEach(function (button) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy-link")).then(
        function () { say(button.getAttribute("data-done")); },
        function () { say(button.getAttribute("data-failed")); }
      );
    });
  });

  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!navigator.share) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: document.title, url: button.getAttribute("data-share") })
        .catch(function () { /* The person closed the share sheet. */ });
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
