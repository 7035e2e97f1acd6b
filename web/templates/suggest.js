/* The pages' search box offers completions as one types (see combobox.js). */
(function () {
  "use strict";
{% include "combobox.js" %}

  var input = document.getElementById("q");
  var listbox = document.getElementById("q-suggestions");
  if (!input || !listbox) return;
  attachCombobox(input, listbox, {{ url_for('api.suggest') | tojson }}, function () {
    if (input.form.requestSubmit) input.form.requestSubmit();
    else input.form.submit();
  });
})();
