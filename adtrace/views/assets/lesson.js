/* adtrace's web lesson: steps through the states of `adtrace --step` (views/stepper.py's reveal_states),
   which the page carries as JSON. Everything it shows comes from that data or from the page's own elements;
   it computes no number. One lesson per root element, found by its id: two lessons in one notebook each
   keep to their own elements and keys. */
(function (scope) {
  "use strict";
  var root = document.getElementById(scope);
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  root.classList.remove("adl-nojs");
  var standalone = root.hasAttribute("data-standalone");
  var data = JSON.parse(root.querySelector("script.adl-data").textContent);
  var states = [];
  var pieces = {};
  root.querySelectorAll("script.adl-states").forEach(function (el) {
    /* The states come in chunks, in order, written as the lesson was: each with the running sums' new pieces. */
    var chunk = JSON.parse(el.textContent);
    chunk.states.forEach(function (s) { states.push(s); });
    Object.keys(chunk.sums).forEach(function (q) {
      var seq = pieces[q] || (pieces[q] = []);
      chunk.sums[q].forEach(function (p) { seq.push(p); });
    });
  });
  function sums(s) {
    /* A state's running sums come as [sequence, shown]: the first `shown` pieces of the sequence (each term of a
       sum is sent once, with the " + " before it), then the terms still to come. Made when the state is shown. */
    var text = {};
    Object.keys(s[6]).forEach(function (i) {
      text[i] = pieces[s[6][i][0]].slice(0, s[6][i][1]).join("") + data.more;
    });
    return text;
  }
  var stepper = root.querySelector(".adl-graph");
  var byNode = {};
  stepper.querySelectorAll("[data-node]").forEach(function (el) {
    (byNode[el.getAttribute("data-node")] = byNode[el.getAttribute("data-node")] || []).push(el);
  });
  var edges = stepper.querySelectorAll("[data-edge]");
  var field = function (name) { return root.querySelector(".adl-stepper .adl-" + name); };
  var k = 0;

  function each(node, selector, fn) {
    (byNode[node] || []).forEach(function (el) {
      el.querySelectorAll(selector).forEach(fn);
    });
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function fit(el) {
    /* A running sum can be wider than its node's box (sized for the final adjoint): squeeze it to fit. */
    var box = el.parentNode.querySelector("rect");
    if (!box || !el.getComputedTextLength) return;
    el.removeAttribute("textLength");
    el.removeAttribute("lengthAdjust");
    var room = box.width.baseVal.value - 2 * (el.x.baseVal.getItem(0).value - box.x.baseVal.value);
    if (el.textContent && el.getComputedTextLength() > room) {
      el.setAttribute("textLength", String(room));
      el.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function keepInView(el) {
    /* A tall graph scrolls inside the stepper: bring the current node into the part of it on screen
       (the page itself is never scrolled). */
    var box = root.querySelector(".adl-stepper");
    if (box.scrollHeight <= box.clientHeight + 1) return;
    var r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
    var head = root.querySelector(".adl-head").getBoundingClientRect();
    var top = Math.max(b.top, 0, head.bottom), bottom = Math.min(b.bottom, window.innerHeight);
    if (r.top < top || r.bottom > bottom) box.scrollTop += r.top - (top + bottom) / 2 + r.height / 2;
  }

  function show(n) {
    k = Math.max(0, Math.min(states.length - 1, n));
    var s = states[k];
    var kind = s[0], node = s[1], parent = s[2], values = s[3], known = s[4], pass = data.passes[s[5]];
    var running = sums(s);
    var shown = {};
    data.order.slice(0, values).forEach(function (i) { shown[i] = true; });
    var done = {};
    if (pass) pass.order.slice(0, known).forEach(function (i) { done[i] = true; });
    data.order.forEach(function (i) {
      each(i, ".value", function (el) { el.style.visibility = shown[i] ? "visible" : "hidden"; });
      var adjoint = "";
      if (pass && running[i] !== undefined) adjoint = pass.mark + " = " + running[i];
      else if (pass && done[i]) adjoint = pass.shown[i] || "";
      each(i, ".adjoint", function (el) {
        if (el.textContent === adjoint) return;
        setText(el, adjoint);
        if (el instanceof SVGTextElement) fit(el);
      });
      (byNode[i] || []).forEach(function (el) {
        el.classList.toggle("adl-current", i === node);
        el.classList.toggle("adl-parent", i === parent);
      });
    });
    if (node !== null && byNode[node]) keepInView(byNode[node][0]);
    var hot = node !== null && parent !== null ? node + "-" + parent : null;
    edges.forEach(function (el) { el.classList.toggle("adl-hot", el.getAttribute("data-edge") === hot); });
    setText(field("status"), data.step.replace("{k}", String(k + 1)).replace("{count}", String(states.length)) + s[7]);
    setText(field("formula"), s[8]);
    setText(field("explain"), s[9]);
    setText(field("partial"), s[10]);
    setText(field("running"), s[11] && running[node] !== undefined ? s[11] + running[node] : "");
    root.setAttribute("data-step", String(k + 1));
    root.setAttribute("data-kind", kind);
    root.setAttribute("data-node", node === null ? "" : String(node));
    field("first").disabled = field("back").disabled = k === 0;
    field("next").disabled = field("last").disabled = k === states.length - 1;
    if (standalone) {
      var hash = "#step-" + (k + 1);
      if (location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (e) { location.hash = hash; }
      }
    }
  }

  function fromHash() {
    var m = /^#step-(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) - 1 : null;
  }

  var moves = {
    next: function () { show(k + 1); },
    back: function () { show(k - 1); },
    first: function () { show(0); },
    last: function () { show(states.length - 1); }
  };
  Object.keys(moves).forEach(function (name) { field(name).addEventListener("click", moves[name]); });
  var keys = { ArrowRight: "next", " ": "next", Enter: "next", ArrowLeft: "back", Home: "first", End: "last" };
  (standalone ? document : root).addEventListener("keydown", function (e) {
    var move = keys[e.key];
    var tag = e.target && e.target.tagName;
    if (!move || e.altKey || e.ctrlKey || e.metaKey || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;  // the button itself answers
    e.preventDefault();
    moves[move]();
  });
  root.querySelectorAll("[data-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var what = button.getAttribute("data-toggle");
      if (what === "theme") {
        root.setAttribute("data-theme", root.getAttribute("data-theme") === "dark" ? "light" : "dark");
      } else {
        root.classList.toggle("adl-" + what);
      }
      button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
    });
  });
  if (standalone) {
    window.addEventListener("hashchange", function () {
      var n = fromHash();
      if (n !== null && n !== k) show(n);
    });
  }
  var start = standalone ? fromHash() : null;
  show(start === null ? 0 : start);
})("__SCOPE__");
