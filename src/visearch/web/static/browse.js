// Browse: the filter panel is open on wide screens and folded on phones, unless filters are active.
"use strict";

(function () {
  const panel = document.getElementById("filter-panel");
  if (panel && window.matchMedia("(min-width: 761px)").matches) panel.open = true;
})();
