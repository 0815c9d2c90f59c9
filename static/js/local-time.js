/* Hours in the viewer's terms: a listing's times are in the service's own
 * zone ("opens at 10 a.m. PST"); when the viewer's clock is in another zone,
 * add the same moment in theirs ("1 p.m. your time"). Without JavaScript the
 * service's zone, always named, still says it all. */
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) {
    return;
  }
  var lang = document.documentElement.lang || undefined;
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) {
      return;
    }
    // Offsets in minutes: the service's is in the ISO string, the viewer's from the Date.
    var match = /([+-])(\d\d):(\d\d)$/.exec(element.getAttribute("datetime"));
    if (!match) {
      return;
    }
    var serviceOffset = (match[1] === "-" ? 1 : -1) * (parseInt(match[2], 10) * 60 + parseInt(match[3], 10));
    if (serviceOffset === moment.getTimezoneOffset()) {
      return;
    }
    var options = { hour: "numeric", minute: moment.getMinutes() ? "2-digit" : undefined };
    var yours = new Intl.DateTimeFormat(lang, options).format(moment);
    var note = document.createElement("span");
    note.className = "your-time";
    note.textContent = " " + element.getAttribute("data-your-time").replace("%s", yours);
    element.after(note);
  });
}());
