// LTI Dynamic Registration 1.0 §3.6: tell the platform the registration is complete.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("close-registration");
  function close() {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
  if (button) { button.addEventListener("click", close); }
});
