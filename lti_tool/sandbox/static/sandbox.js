// Demo LMS behaviour. One static file: the CSP (script-src 'self') forbids inline scripts.
(function () {
  "use strict";

  // 1. Auto-submitting hand-off forms (OIDC login initiation, id_token form_post, errors).
  function autosubmit() {
    var form = document.getElementById("autosubmit");
    if (form && form.classList.contains("autosubmit")) { form.submit(); }
  }

  // 2. Dynamic registration dialog: LTI Dynamic Registration 1.0 §3.6, the tool asks us to close it.
  function registrationDialog() {
    var dialog = document.getElementById("registration-dialog");
    if (!dialog) { return; }
    var frame = document.getElementById("registration-frame");
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    window.addEventListener("message", function (event) {
      var data = event.data;
      if (!frame || event.source !== frame.contentWindow) { return; }
      if (data && (data === "org.imsglobal.lti.close" || data.subject === "org.imsglobal.lti.close")) {
        if (typeof dialog.close === "function") { dialog.close(); }
        window.location.href = dialog.getAttribute("data-return-url");
      }
    });
  }

  // 3. LTI Client Side postMessages: platform storage for the tool frame (lti.put_data / lti.get_data),
  //    used by tools to keep their OIDC state when third-party cookies are blocked. Data is kept per
  //    origin, in this page's memory only, and answered to the origin that sent the message.
  function platformStorage() {
    var frame = document.querySelector('iframe[name="tool-frame"]');
    if (!frame) { return; }
    var store = new Map();
    var supported = ["lti.capabilities", "lti.put_data", "lti.get_data"];
    window.addEventListener("message", function (event) {
      var data = event.data;
      if (event.source !== frame.contentWindow || !data || typeof data.subject !== "string") { return; }
      if (data.subject.slice(0, 4) !== "lti." || /\.response$/.test(data.subject)) { return; }
      var reply = { subject: data.subject + ".response", message_id: data.message_id };
      if (data.subject === "lti.capabilities") {
        reply.supported_messages = supported.map(function (s) { return { subject: s, frame: "_parent" }; });
      } else if (data.subject === "lti.put_data" && typeof data.key === "string") {
        store.set(event.origin + "\u0000" + data.key, data.value);
        reply.key = data.key;
        reply.value = data.value;
      } else if (data.subject === "lti.get_data" && typeof data.key === "string") {
        var id = event.origin + "\u0000" + data.key;
        reply.key = data.key;
        if (store.has(id)) {
          reply.value = store.get(id);
        } else {
          reply.error = { code: "bad_request", message: "No value stored for this key." };
        }
      } else {
        reply.error = { code: "unsupported_subject", message: "Unsupported message: " + data.subject };
      }
      event.source.postMessage(reply, event.origin);
    });
  }

  // Platform storage must listen before the tool frame loads anything.
  platformStorage();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { autosubmit(); registrationDialog(); });
  } else {
    autosubmit();
    registrationDialog();
  }
})();
