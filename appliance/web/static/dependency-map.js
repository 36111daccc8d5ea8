// The dependency map (issue 12): draws the JSON graph of /dependencies/graph.json with cytoscape, both served by
// the appliance (the CSP allows scripts from 'self' only; no inline script, no CDN). Machines are nodes, edges are
// labelled with ports and processes; a click on a discovered machine opens its own map.
/* global cytoscape */
(() => {
  const el = document.getElementById('dependency-map');
  if (!el) return;
  const status = document.getElementById('map-status');
  const say = (text) => {
    if (status) status.textContent = text;
  };
  fetch(el.dataset.src, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then((r) => {
      if (!r.ok) throw new Error(`the appliance answered ${r.status}`);
      return r.json();
    })
    .then((g) => {
      // cytoscape adds a <style> element (position: relative on its container) unless one with this id exists; the
      // CSP (style-src 'self') would block it, so a placeholder stands in and app.css gives #dependency-map the rule.
      if (!document.getElementById('__________cytoscape_stylesheet')) {
        const placeholder = document.createElement('meta');
        placeholder.id = '__________cytoscape_stylesheet';
        document.head.appendChild(placeholder);
      }
      say(`${g.nodes.length} machine(s), ${g.edges.length} connection(s) from ${g.from} to ${g.to}`);
      const cy = cytoscape({
        container: el,
        elements: [...g.nodes.map((n) => ({ data: n })), ...g.edges.map((e) => ({ data: e }))],
        style: [
          {
            selector: 'node',
            style: {
              label: 'data(label)',
              'background-color': '#7a8896',
              color: '#1b1f24',
              'font-size': 11,
              'text-valign': 'bottom',
              'text-margin-y': 4,
            },
          },
          { selector: 'node[?discovered]', style: { 'background-color': '#0b5cad' } },
          { selector: 'node[?focus]', style: { 'background-color': '#1a7f37', 'border-width': 3, 'border-color': '#0f4d21' } },
          {
            selector: 'edge',
            style: {
              label: 'data(label)',
              width: 2,
              'line-color': '#9aa5b1',
              'target-arrow-color': '#9aa5b1',
              'target-arrow-shape': 'triangle',
              'curve-style': 'bezier',
              'font-size': 9,
              'text-rotation': 'autorotate',
              'text-background-color': '#ffffff',
              'text-background-opacity': 0.8,
            },
          },
        ],
        layout: { name: g.nodes.length > 40 ? 'grid' : 'breadthfirst', directed: true, padding: 24, spacingFactor: 1.3 },
        wheelSensitivity: 0.3,
      });
      cy.on('tap', 'node[?discovered]', (ev) => {
        const url = new URL(window.location.href);
        url.searchParams.delete('group');
        url.searchParams.set('machine', ev.target.id());
        window.location.href = url.toString();
      });
      el.dataset.ready = 'true';
    })
    .catch((err) => say(`The map could not be drawn: ${err.message}`));
})();
