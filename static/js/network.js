// The entry page's network: the protein with its TFs and targets as a directed graph (Cytoscape.js).
(function () {
  "use strict";
  var container = document.getElementById("network");
  if (!container || typeof cytoscape === "undefined") return;
  var limitInput = document.getElementById("network-limit");
  var status = document.getElementById("network-status");
  var center = container.dataset.center;
  var cy = null;

  function proteinUrl(accession) {
    return "/protein/" + encodeURIComponent(accession) + "/";
  }

  function elements(data) {
    var nodes = data.nodes.map(function (node) {
      // Labels are imported text: Cytoscape draws them on a canvas, never as HTML.
      return { data: { id: node.id, label: node.label, center: node.center ? 1 : 0 } };
    });
    var edges = data.edges.map(function (edge, index) {
      return { data: { id: "e" + index, source: edge.source, target: edge.target, mode: edge.mode,
                       small: edge.small_scale ? 1 : 0, review: edge.status === "flagged" ? 1 : 0 } };
    });
    return nodes.concat(edges);
  }

  function draw(data) {
    if (cy) cy.destroy();
    cy = cytoscape({
      container: container,
      elements: elements(data),
      wheelSensitivity: 0.3,
      maxZoom: 1.5,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10, "background-color": "#6b8fb5",
                                      "width": 14, "height": 14, "color": "#1b1b1b" } },
        { selector: "node[center = 1]", style: { "background-color": "#c0392b", "width": 26, "height": 26,
                                                  "font-size": 14, "font-weight": "bold" } },
        // The mode of regulation is the arrowhead (the page's legend): activation an arrow, repression a
        // bar, dual both, unknown a plain line.
        { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "none", "width": 1,
                                      "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1" } },
        { selector: "edge[mode = 'activation']", style: { "target-arrow-shape": "triangle" } },
        { selector: "edge[mode = 'repression']", style: { "target-arrow-shape": "tee" } },
        { selector: "edge[mode = 'dual']", style: { "target-arrow-shape": "triangle-tee" } },
        { selector: "edge[small = 1]", style: { "width": 2.5, "line-color": "#2f5d8a", "target-arrow-color": "#2f5d8a" } },
        { selector: "edge[review = 1]", style: { "line-style": "dashed" } }
      ],
      layout: { name: "concentric", concentric: function (node) { return node.data("center") ? 2 : 1; },
                levelWidth: function () { return 1; }, minNodeSpacing: 8, animate: false }
    });
    cy.on("tap", "node", function (event) {
      var accession = event.target.id();
      if (accession !== center) window.location.href = proteinUrl(accession);
    });
    container.dataset.nodeCount = String(cy.nodes().length);
    container.dataset.edgeCount = String(cy.edges().length);
    status.textContent = "Showing " + data.shown + " of " + data.total + " interactions.";
    window.portalNetwork = cy;
  }

  function load() {
    var limit = parseInt(limitInput.value, 10) || 1;
    status.textContent = "Loading…";
    fetch(container.dataset.url + "?limit=" + limit, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(draw)
      .catch(function (error) { status.textContent = "The network could not be loaded (" + error.message + ")."; });
  }

  function exportPng() {
    if (!cy) return;
    var link = document.createElement("a");
    link.href = cy.png({ full: true, bg: "#ffffff", scale: 2 });
    link.download = center + "_network.png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  document.getElementById("network-redraw").addEventListener("click", load);
  document.getElementById("network-png").addEventListener("click", exportPng);
  limitInput.addEventListener("keydown", function (event) { if (event.key === "Enter") load(); });
  load();
})();
