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

// The left menu on a phone: folded behind the 菜单 button (app.css, max-width 768px). Without
// JavaScript the menu is never folded (the class that folds it is added here).
(function () {
  var menu = document.querySelector("nav.sidemenu");
  var toggle = document.querySelector(".menu-toggle");
  if (!menu || !toggle) { return; }
  menu.classList.add("collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = menu.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
}());
