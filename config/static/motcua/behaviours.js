/* Page behaviours without inline script (the Content-Security-Policy allows scripts from our own files only).
 * Event delegation on the document, so it also works on pages that viewflow's Turbo swaps in.
 *   data-autosubmit          on a <select>: submit its form when the choice changes
 *   data-click-on-change=ID  on a field: click the element #ID when the value changes
 *   data-print               on a button: open the print dialog
 *   data-history-back        on a link or button: go back one page; also viewflow's own "Back" buttons,
 *                            whose onclick="window.history.back(-1)…" attribute the policy refuses to run
 */
(function () {
  "use strict";
  if (window.motcuaBehaviours) { return; }
  window.motcuaBehaviours = true;
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.hasAttribute("data-autosubmit") && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
      return;
    }
    var id = target.getAttribute("data-click-on-change");
    if (id) {
      var button = document.getElementById(id);
      if (button) { button.click(); }
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    } else if (target.closest("[data-history-back], a[onclick^='window.history.back']")) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
