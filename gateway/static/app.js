// Progressive enhancement only: every page works without it.
// A submitted form's buttons are disabled so a double click sends it once
// (the server is idempotent anyway: see form_key in docs/architecture.md).
// No inline script or handler anywhere (the Content-Security-Policy allows scripts from
// /static only): what pages need is declared with data- attributes and wired here.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
}, true);

// [data-print]: print the page; [data-back]: back to the previous page (its href is the
// way without script).
document.addEventListener("click", function (event) {
  if (!event.target.closest) { return; }
  if (event.target.closest("[data-print]")) { event.preventDefault(); window.print(); }
  if (event.target.closest("[data-back]") && window.history.length > 1) {
    event.preventDefault(); window.history.back();
  }
});

// <input type="checkbox" data-check-all="ids">: ticks or clears every input[name=ids].
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.dataset && box.dataset.checkAll) {
    document.querySelectorAll("input[name=" + box.dataset.checkAll + "]").forEach(function (b) {
      b.checked = box.checked;
    });
  }
  if (box.dataset && box.dataset.reloadWith) {  // <select data-reload-with="type_code">
    location.search = "?" + box.dataset.reloadWith + "=" + encodeURIComponent(box.value);
  }
});

// 承诺书 pages: #countdown (data-seconds) counts down; #confirm-button stays disabled until
// it reaches 0 and, where there is one, #confirmed is ticked. A convenience only: the server
// refuses a confirmation before its own clock says the letter was read.
(function () {
  var el = document.getElementById("countdown"), button = document.getElementById("confirm-button");
  if (!el || !button) { return; }
  var box = document.getElementById("confirmed"), left = parseInt(el.dataset.seconds, 10) || 0;
  function update() { button.disabled = left > 0 || (box !== null && !box.checked); }
  function tick() {
    el.textContent = left;
    update();
    if (left <= 0) { return; }
    left -= 1; setTimeout(tick, 1000);
  }
  if (box) { box.addEventListener("change", update); }
  tick();
})();

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

// A table (or <pre>) that scrolls sideways on a narrow screen (app.css: tables keep their columns
// and scroll in their box at 390 px) is a scroll region: it takes the keyboard focus (Tab, then
// the arrow keys scroll it) — axe's scrollable-region-focusable, issue 16 item 10. Only while it
// does scroll, so wide screens get no extra tab stops.
(function () {
  function mark() {
    document.querySelectorAll("table, pre").forEach(function (el) {
      var overflow = window.getComputedStyle(el).overflowX;
      var scrolls = (overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.dataset.scrollRegion = "1";
      } else if (!scrolls && el.dataset.scrollRegion) {
        el.removeAttribute("tabindex");
        delete el.dataset.scrollRegion;
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
}());
