// The live SLA clock of a ticket (plugins/servicedesk/sla_clock.py gives the figures):
// counts the FirstReaction time down while it runs, stops where the service hours end
// and says why it stands still. A static file: the CSP allows no inline script.
(function () {
  "use strict";
  var clock = document.getElementById("sla-clock");
  if (!clock) {
    return;
  }
  var left = Number(clock.dataset.left); // seconds at page load; negative once overdue
  var running = clock.dataset.running === "1";
  var runsFor = clock.dataset.runsFor ? Number(clock.dataset.runsFor) : Infinity;
  var loaded = Date.now();
  var time = clock.querySelector(".sla-time");
  var state = clock.querySelector(".sla-state");

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function format(seconds) {
    var s = Math.floor(seconds);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h ? h + " h " + two(m) : m) + " min " + two(s % 60) + " s";
  }

  function tick() {
    var elapsed = (Date.now() - loaded) / 1000;
    var stopped = !running || elapsed >= runsFor;
    var now = running ? left - Math.min(elapsed, runsFor) : left;
    time.textContent = now < 0 ? clock.dataset.overdue.replace("%s", format(-now)) : format(now);
    state.textContent = stopped ? clock.dataset.stoppedText : clock.dataset.runningText;
    clock.classList.toggle("stopped", stopped);
    clock.classList.toggle("overdue", now < 0);
  }

  tick();
  window.setInterval(tick, 1000);
})();
