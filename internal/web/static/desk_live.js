// Live updates of the consultation desk, progressive enhancement only: without this file
// (or without EventSource) the queue and the case page show what a reload shows.
// The event stream (/events) carries ids, category and urgency only; what a row or a
// message says is fetched again through the page itself, which checks access as usual.
(function () {
  var queue = document.getElementById("desk-live");
  var onCase = document.getElementById("case-live");
  if ((!queue && !onCase) || !window.EventSource || !window.fetch || !window.DOMParser) { return; }

  // refresh fetches this page again and swaps in the parts named by ids; one fetch at a
  // time, and one more if events arrived meanwhile.
  var busy = false, again = false;
  function refresh(ids, done) {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
        if (done) { done(); }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(ids, done); }
      });
  }

  function optionName(selectID, value) {
    var sel = document.getElementById(selectID);
    if (sel) {
      for (var i = 0; i < sel.options.length; i++) {
        if (sel.options[i].value === value) { return sel.options[i].textContent; }
      }
    }
    return value;
  }

  function data(e) {
    try { return JSON.parse(e.data); } catch (err) { return null; }
  }

  // Start after the last event sent out before the page was read, so that nothing filed
  // in between is missed; data-live="open" says the stream is up (and tests wait for it).
  var box = queue || onCase;
  var from = box.getAttribute("data-from");
  var es = new EventSource("/events" + (from ? "?last_event_id=" + encodeURIComponent(from) : ""));
  window.renkeiDeskStream = es; // the on-call alert (oncall_live.js) listens to it too
  es.addEventListener("open", function () { box.setAttribute("data-live", "open"); });
  es.addEventListener("error", function () { box.setAttribute("data-live", "closed"); });

  if (queue) {
    es.addEventListener("case.filed", function (e) {
      var d = data(e);
      if (!d || !d.case_id) { return; }
      var p = document.createElement("p");
      p.className = "desk-live-item" + (d.alert ? " alert" : "");
      p.setAttribute("data-case", String(d.case_id));
      if (d.alert) {
        var s = document.createElement("strong");
        s.textContent = queue.getAttribute("data-alert") + " ";
        p.appendChild(s);
      }
      var a = document.createElement("a");
      a.href = "/desk/cases/" + d.case_id;
      a.textContent = queue.getAttribute("data-new")
        .replace("{id}", String(d.case_id))
        .replace("{category}", optionName("f-category", d.category || ""));
      p.appendChild(a);
      var u = document.createElement("span");
      u.className = "urgency urgency-" + (d.urgency || "");
      u.textContent = queue.getAttribute("data-urgency") + ": " + optionName("f-urgency", d.urgency || "");
      p.appendChild(document.createTextNode(" "));
      p.appendChild(u);
      queue.insertBefore(p, queue.firstChild);
      queue.hidden = false;
      refresh(["desk-counts", "desk-table"]);
    });
    es.addEventListener("reset", function () { refresh(["desk-counts", "desk-table"]); });
    // A case changed state, handler or urgency: its row (and the counts) change.
    ["case.state", "case.assigned", "case.urgency"].forEach(function (kind) {
      es.addEventListener(kind, function () { refresh(["desk-counts", "desk-table"]); });
    });
  }

  if (onCase) {
    var caseID = Number(onCase.getAttribute("data-case"));
    // Every change swaps in the same parts, so that a refresh queued behind another one
    // brings all of them.
    var parts = ["case-facts", "transitions", "timeline", "case-files-list"];
    es.addEventListener("case.message", function (e) {
      var d = data(e);
      if (!d || d.case_id !== caseID) { return; }
      refresh(parts, function () {
        onCase.textContent = onCase.getAttribute("data-message");
        onCase.hidden = false;
      });
    });
    ["case.state", "case.assigned", "case.urgency", "case.attachment"].forEach(function (kind) {
      es.addEventListener(kind, function (e) {
        var d = data(e);
        if (!d || d.case_id !== caseID) { return; }
        refresh(parts, function () {
          onCase.textContent = onCase.getAttribute("data-updated");
          onCase.hidden = false;
        });
      });
    });
  }
})();
