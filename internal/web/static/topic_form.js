// Progressive enhancement of the new-topic form: a live summary of who will be able to
// read the topic. The server checks everything again; the form works without this file.
(function () {
  var form = document.getElementById("topic-form");
  var out = document.getElementById("audience-summary");
  if (!form || !out) { return; }
  function checked(name) {
    var el = form.querySelector("input[name=" + name + "]:checked");
    return el ? el.value : "";
  }
  function count(name) { return form.querySelectorAll("input[name=" + name + "]:checked").length; }
  function update() {
    var scope = checked("scope"), red = checked("tlp") === "red";
    var orgs = count("audience_org"), people = count("audience_user");
    var text;
    if (scope === "community") {
      text = red ? out.getAttribute("data-red-community") : out.getAttribute("data-community");
    } else if (scope === "selected") {
      if (red && orgs > 0) {
        text = out.getAttribute("data-red-orgs");
      } else if (orgs + people === 0) {
        text = out.getAttribute("data-nobody");
      } else {
        text = out.getAttribute("data-selected").replace("{orgs}", orgs).replace("{people}", people);
      }
    }
    out.textContent = text || "";
    out.hidden = !text;
    var aud = document.getElementById("audience-field");
    if (aud) { aud.classList.toggle("inactive", scope === "community"); }
  }
  form.addEventListener("change", update);
  update();
})();
