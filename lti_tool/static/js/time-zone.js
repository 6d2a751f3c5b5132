// Fill a time zone <select data-detect-time-zone> with the browser's own IANA zone, when the list has it.
// The person can still choose another one; the server validates the choice either way.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (err) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("select[data-detect-time-zone]").forEach(function (select) {
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
  });
})();
