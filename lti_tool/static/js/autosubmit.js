// Submits the page's single auto-submit form (OIDC and deep-linking hand-offs). No inline script: CSP.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("autosubmit");
  if (form) { form.submit(); }
});
