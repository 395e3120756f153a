// The report's charts, drawn from the specs insight/charts.py computes (title, kind, labels,
// series). Used by the console's reports page and inlined into the self-contained HTML report,
// so it imports nothing: the caller passes Chart.js in. Every chart also has its figures as a
// table (screen readers, printing). All text is set with textContent.

const COLOURS = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b"];

function el(tag, text) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  return node;
}

function dataTable(spec, labels) {
  const table = el("table");
  table.className = "grid";
  const head = el("tr");
  head.append(el("th", ""), ...spec.series.map((s) => el("th", labels.word(s.label))));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  spec.labels.forEach((label, i) => {
    const row = el("tr");
    const th = el("th", labels.word(label));
    th.scope = "row";
    row.append(th, ...spec.series.map((s) => el("td", s.data[i] == null ? "—" : s.data[i])));
    tbody.append(row);
  });
  table.append(thead, tbody);
  return table;
}

/** Draw every spec into `container`; returns the Chart instances (destroy them to redraw). */
export function drawCharts(container, specs, Chart, labels = {}) {
  // ``labels.word`` translates a series or category name (the server sends them in English)
  const word = labels.word || ((x) => x);
  const words = { data: labels.data || "Figures", word };
  const made = [];
  for (const spec of specs) {
    const figure = el("figure");
    figure.className = "chart";
    figure.dataset.chart = spec.key;
    const caption = el("figcaption", spec.title);
    const box = el("div");
    box.className = "chart-box";
    const canvas = el("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", spec.title);
    box.append(canvas);
    const details = el("details");
    details.append(el("summary", words.data), dataTable(spec, words));
    figure.append(caption, box, details);
    container.append(figure);
    if (!Chart) continue;
    const suffix = spec.unit === "percent" ? " %" : spec.unit === "minutes" ? " min" : "";
    const valueAxis = spec.horizontal ? "x" : "y";
    made.push(new Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels.map(word),
        datasets: spec.series.map((s, i) => ({
          label: word(s.label), data: s.data, spanGaps: true,
          backgroundColor: spec.colours?.[i] || COLOURS[i % COLOURS.length],
          borderColor: spec.colours?.[i] || COLOURS[i % COLOURS.length],
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: {
          x: { stacked: spec.stacked },
          y: { stacked: spec.stacked },
          [valueAxis]: { stacked: spec.stacked, beginAtZero: true, ticks: { callback: (v) => `${v}${suffix}` } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    }));
  }
  return made;
}
