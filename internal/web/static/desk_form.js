// The desk's report form keeps a draft in this browser while it is typed, so that nothing
// is lost when the submit fails (the network drops, the session ended at 3 a.m.). The
// draft is restored into an empty form and removed once the case page confirms the filing.
(function () {
  var KEY = "renkei.desk.draft";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) { return; }
  if (document.getElementById("desk-draft-clear")) { store.removeItem(KEY); return; }
  var form = document.getElementById("case-form");
  if (!form) { return; }
  var fields = ["title", "description", "category", "detected_at", "affected_services", "observables"];
  var choices = ["kind", "urgency", "event_impact"];
  function save() {
    var d = {};
    fields.forEach(function (n) { d[n] = form.elements[n].value; });
    choices.forEach(function (n) {
      var c = form.querySelector("input[name='" + n + "']:checked");
      d[n] = c ? c.value : "";
    });
    d.public_visibility = form.elements.public_visibility.checked;
    store.setItem(KEY, JSON.stringify(d));
  }
  var typed = fields.some(function (n) { return form.elements[n].value !== ""; });
  var saved = store.getItem(KEY);
  if (saved && !typed) {
    try {
      var d = JSON.parse(saved);
      fields.forEach(function (n) { if (d[n]) { form.elements[n].value = d[n]; } });
      choices.forEach(function (n) {
        var c = form.querySelector("input[name='" + n + "'][value='" + d[n] + "']");
        if (c) { c.checked = true; }
      });
      form.elements.public_visibility.checked = !!d.public_visibility;
      if (d.title || d.description) {
        document.getElementById("draft-restored").hidden = false;
      }
    } catch (e) { store.removeItem(KEY); }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", save);
})();
