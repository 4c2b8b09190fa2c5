// Live countdowns on the dashboards: <span class="countdown" data-due="ISO instant"
// data-left="%s left" data-over="%s overdue">text from the server</span>.
// The words come from the page (translated there); this only counts the time.
// data-now is the server's clock when the page was drawn: counting from it, a wrong
// clock on the desk's PC does not move the due time.
(function () {
  "use strict";
  var loaded = Date.now();
  var first = document.querySelector(".countdown[data-now]");
  var skew = first ? Date.parse(first.getAttribute("data-now")) - loaded : 0;
  function span(ms) {
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + " h " : "") + pad(m) + " min " + pad(s) + " s";
  }
  function tick() {
    var now = Date.now() + (isNaN(skew) ? 0 : skew);
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      var words = left >= 0 ? el.getAttribute("data-left") : el.getAttribute("data-over");
      el.textContent = (words || "%s").replace("%s", span(left));  // "%s" marks the time
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 30 * 60 * 1000);
    });
  }
  if (document.querySelector(".countdown[data-due]")) {
    tick();
    window.setInterval(tick, 1000);
  }
})();
