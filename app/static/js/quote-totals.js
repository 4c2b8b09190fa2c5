// The quote page: totals follow the manual discount as it is typed (no inline script:
// the Content-Security-Policy allows scripts only from /static).
(function () {
  var input = document.getElementById('manual_discount_percent');
  if (!input || !input.dataset.preview) { return; }
  var token = document.querySelector('input[name=csrf_token]').value;
  function money(text) { var parts = Number(text).toFixed(2).split('.'); return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "'") + '.' + parts[1]; }
  input.addEventListener('input', function () {
    fetch(input.dataset.preview, {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
      body: JSON.stringify({manual_discount_percent: input.value || '0'})})
      .then(function (r) { return r.json(); })
      .then(function (t) {
        if (t.error) { return; }
        document.querySelectorAll('#quote-totals [data-total]').forEach(function (cell) {
          var name = cell.dataset.total, value = t[name];
          if (name.endsWith('_percent')) { cell.textContent = String(Number(value)); }
          else { cell.textContent = (name.endsWith('_discount') ? '-' : '') + money(value); }
          // a discount of 0 is not shown
          if (name.endsWith('_discount')) { cell.closest('tr').hidden = Number(value) === 0; }
        });
        document.getElementById('approval-hint').hidden = !t.needs_approval;
      });
  });
})();
