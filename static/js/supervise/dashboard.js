// The dashboard's trend chart: new and resolved tickets per day (Chart.js, vendored UMD build).
const data = JSON.parse(document.getElementById('trend-data').textContent);
const canvas = document.getElementById('trend-chart');

function draw() {
  const {Chart} = window;
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: data.days,
      datasets: [
        {label: data.labels.new, data: data.new, backgroundColor: '#2471a3'},
        {label: data.labels.resolved, data: data.resolved, backgroundColor: '#1e8449'},
      ],
    },
    options: {animation: false, responsive: true, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
}

// Chart.js is a deferred classic script: it has run before modules execute, but be safe.
if (window.Chart) draw(); else window.addEventListener('load', draw);
