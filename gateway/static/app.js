// Progressive enhancement only: every page works without it.
// A submitted form's buttons are disabled so a double click sends it once
// (the server is idempotent anyway: see form_key in docs/architecture.md).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
}, true);
