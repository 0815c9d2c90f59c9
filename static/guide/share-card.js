// Share card enhancements. The card works without this file: the textarea is
// selectable and the SMS and email links carry the default message. With it,
// the links follow the reader's edits and a Copy button appears.
(function () {
  "use strict";
  function firstLine(text) {
    var lines = text.trim().split(/\r?\n/);
    for (var i = 0; i < lines.length; i += 1) {
      if (lines[i].trim()) { return lines[i].trim(); }
    }
    return "";
  }
  function setUp(card) {
    var text = card.querySelector("[data-share-text]");
    var sms = card.querySelector("[data-share-sms]");
    var mailto = card.querySelector("[data-share-mailto]");
    var copy = card.querySelector("[data-share-copy]");
    var status = card.querySelector("[data-share-status]");
    if (!text) { return; }
    function update() {
      var body = encodeURIComponent(text.value);
      if (sms) { sms.href = "sms:?&body=" + body; }
      if (mailto) {
        mailto.href = "mailto:?subject=" + encodeURIComponent(firstLine(text.value)) + "&body=" + body;
      }
    }
    text.addEventListener("input", update);
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(text.value).then(function () {
          if (status) { status.textContent = copy.getAttribute("data-copied") || "Copied."; }
        }, function () {
          text.select();
        });
      });
    }
  }
  document.querySelectorAll(".guide-share").forEach(setUp);
}());
