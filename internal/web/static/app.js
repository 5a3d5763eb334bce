// Progressive enhancement only: every page works without this file.
// Buttons with data-confirm ask before submitting; elements with data-copy copy text.
document.addEventListener("submit", function (e) {
  var b = e.submitter;
  var msg = (b && b.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
document.addEventListener("click", function (e) {
  var el = e.target.closest("[data-copy]");
  if (!el || !navigator.clipboard) { return; }
  var src = document.getElementById(el.getAttribute("data-copy"));
  if (src) {
    navigator.clipboard.writeText(src.textContent.trim()).then(function () {
      el.setAttribute("data-copied", "1");
      var done = el.getAttribute("data-done");
      if (done) { el.textContent = done; }
    });
  }
});
