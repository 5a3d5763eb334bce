// The on-call alert of a new case on every page of a person on call; progressive
// enhancement only (the alert email is sent regardless). The queue shows its own alerts;
// the case page's stream (desk_live.js) is reused rather than opening a second one.
(function () {
  var box = document.getElementById("oncall-live");
  if (!box || !window.EventSource) { return; }

  function name(names, group, code) {
    return (names[group] && names[group][code]) || code || "";
  }

  function show(d, names) {
    var p = document.createElement("p");
    p.className = "oncall-item";
    p.setAttribute("data-case", String(d.case_id));
    var s = document.createElement("strong");
    s.textContent = box.getAttribute("data-alert") + " ";
    p.appendChild(s);
    var a = document.createElement("a");
    a.href = "/desk/cases/" + d.case_id;
    a.textContent = box.getAttribute("data-new")
      .replace("{id}", String(d.case_id))
      .replace("{category}", name(names, "category", d.category));
    p.appendChild(a);
    p.appendChild(document.createTextNode(" " + box.getAttribute("data-urgency") + ": " + name(names, "urgency", d.urgency)));
    box.insertBefore(p, box.firstChild);
    box.hidden = false;
  }

  function start() {
    if (document.getElementById("desk-live")) { return; }
    var names = {};
    try { names = JSON.parse(box.getAttribute("data-names")) || {}; } catch (e) { names = {}; }
    var es = window.renkeiDeskStream;
    if (!es) {
      var from = box.getAttribute("data-from");
      es = new EventSource("/events" + (from && from !== "0" ? "?last_event_id=" + encodeURIComponent(from) : ""));
    }
    if (es.readyState === 1) { box.setAttribute("data-live", "open"); }
    es.addEventListener("open", function () { box.setAttribute("data-live", "open"); });
    es.addEventListener("error", function () { box.setAttribute("data-live", "closed"); });
    es.addEventListener("case.filed", function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      if (d && d.alert && d.case_id) { show(d, names); }
    });
  }
  // After every deferred script, so that the case page's stream exists.
  document.addEventListener("DOMContentLoaded", start);
})();
