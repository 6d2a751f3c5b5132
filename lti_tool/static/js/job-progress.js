// Polls a background job (GET /jobs/<id>?ts=…) and updates the page's status region in place.
// The region (role="status", aria-live="polite", data-job-url) is rendered by the server with the job's state, so
// the page works without this script; with it, the progress moves and the final message is announced once.
// Optional hooks: [data-job-progress] (a <progress>), [data-job-message], [data-job-reload] (hidden while
// polling, shown at the end; its a[data-done-label] gets that label) and [data-job-done-text] elements.
(function () {
  "use strict";
  var region = document.querySelector("[data-job-url]");
  if (!region || !window.fetch) { return; }
  var url = region.getAttribute("data-job-url");
  var reload = document.querySelector("[data-job-reload]");
  var delay = 800;
  var maxDelay = 5000;
  var failures = 0;

  function messageEl() {
    var el = region.querySelector("[data-job-message]");
    if (!el) {
      el = document.createElement("p");
      el.setAttribute("data-job-message", "");
      region.insertBefore(el, region.firstChild);
    }
    return el;
  }

  function setText(text) {
    var el = messageEl();
    if (el.textContent !== text) { el.textContent = text; }
  }

  function setProgress(percent) {
    var bar = region.querySelector("[data-job-progress]");
    if (!bar) { return; }
    if (percent === null || percent === undefined) {
      bar.removeAttribute("value");
      bar.textContent = "";
    } else {
      bar.value = percent;
      bar.textContent = percent + "%";
    }
  }

  function finish(job) {
    var bar = region.querySelector("[data-job-progress]");
    if (bar) { bar.parentNode.removeChild(bar); }
    region.className = "job-status job-" + job.status;
    var text = job.message || "";
    if (job.status === "failed" && !text) { text = region.getAttribute("data-msg-failed"); }
    setText(text);
    if (job.status === "succeeded") {
      // Elements that describe the previous run ("last synced …") say that it just happened.
      Array.prototype.forEach.call(document.querySelectorAll("[data-job-done-text]"), function (el) {
        el.textContent = el.getAttribute("data-job-done-text");
      });
    }
    if (reload) {
      var link = reload.querySelector("a[data-done-label]");
      if (link) { link.textContent = link.getAttribute("data-done-label"); }
      reload.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        failures = 0;
        if (job.finished) { finish(job); return; }
        setText(job.message || "");
        setProgress(job.progress ? job.progress.percent : null);
        delay = Math.min(maxDelay, Math.round(delay * 1.25));
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) {
          setText(region.getAttribute("data-msg-error"));
          if (reload) { reload.hidden = false; }
          return;
        }
        window.setTimeout(poll, maxDelay);
      });
  }

  if (reload) { reload.hidden = true; }
  window.setTimeout(poll, delay);
})();
