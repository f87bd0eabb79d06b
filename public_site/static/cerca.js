/* Search for the public site: an enhancement only; without JavaScript the home form opens
   the full index of services. Results are built with textContent, never innerHTML. */
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-root") || "";

  function norm(s) {
    return String(s).toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function corrisponde(testo, q) {
    var t = norm(testo);
    return norm(q).split(/\s+/).filter(Boolean).every(function (w) { return t.indexOf(w) !== -1; });
  }

  function annuncia(msg) {
    var stato = document.getElementById("stato-ricerca");
    if (stato) { stato.textContent = msg; }
  }

  // Home: live results from the static index.
  var campo = document.getElementById("cerca-prestazione");
  var esiti = document.getElementById("esiti-ricerca");
  var indice = window.REGISTRO_INDICE || [];
  if (campo && esiti) {
    campo.addEventListener("input", function () {
      var q = campo.value.trim();
      while (esiti.firstChild) { esiti.removeChild(esiti.firstChild); }
      if (!q) { annuncia(""); return; }
      var trovati = indice.filter(function (p) { return corrisponde(p.c + " " + p.d + " " + p.b, q); });
      trovati.slice(0, 20).forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + p.u;
        a.textContent = p.d;
        li.appendChild(a);
        var codice = document.createElement("span");
        codice.className = "codice";
        codice.textContent = " (" + p.c + ")";
        li.appendChild(codice);
        esiti.appendChild(li);
      });
      annuncia(trovati.length === 0 ? "Nessuna prestazione trovata"
        : trovati.length + (trovati.length === 1 ? " prestazione trovata" : " prestazioni trovate")
          + (trovati.length > 20 ? ", mostrate le prime 20" : ""));
    });
  }

  // Full index: filter by ?q= when the home form was submitted.
  var elenco = document.getElementById("elenco-prestazioni");
  if (elenco && window.URLSearchParams) {
    var q = new URLSearchParams(window.location.search).get("q");
    if (q && q.trim()) {
      var n = 0;
      Array.prototype.forEach.call(elenco.querySelectorAll("li[data-cerca]"), function (li) {
        var ok = corrisponde(li.getAttribute("data-cerca"), q);
        li.hidden = !ok;
        if (ok) { n += 1; }
      });
      Array.prototype.forEach.call(elenco.querySelectorAll("section"), function (s) {
        s.hidden = s.querySelectorAll("li[data-cerca]:not([hidden])").length === 0;
      });
      annuncia(n === 0 ? "Nessuna prestazione trovata per «" + q + "»: elenco completo qui sotto"
        : n + " prestazioni trovate per «" + q + "»");
      if (n === 0) {
        Array.prototype.forEach.call(elenco.querySelectorAll("[hidden]"), function (el) { el.hidden = false; });
      }
    }
  }
}());
